//! ABI versioning and capability checks: engines built for the previous minor version keep
//! running; a future minor, another major or an import the host does not grant is refused before
//! anything runs, and the runtime keeps working afterwards.

mod common;

use std::io::Cursor;
use std::sync::{Arc, Mutex, OnceLock};

use common::{hostile_wasm, layer_info, params, sha256, test_engine};
use engine_runtime::{
    ABI_VERSION, AbiError, AbiVersion, LayerIo, NoLowers, Runtime, RuntimeConfig,
    supported_versions,
};

const TAR: &str = "application/vnd.oci.image.layer.v1.tar";

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| Runtime::new(RuntimeConfig::default()).expect("runtime"))
}

/// Loads `name` expecting a refusal; returns it as the typed error and as the full message.
fn refused(name: &str) -> (AbiError, String) {
    let err = match runtime().load(test_engine(name)) {
        Ok(_) => panic!("the {name} engine was loaded"),
        Err(err) => err,
    };
    let abi = err
        .downcast_ref::<AbiError>()
        .unwrap_or_else(|| panic!("{name}: not an ABI refusal: {err:#}"))
        .clone();
    (abi, format!("{err:#}"))
}

/// The current engine still loads and converts after a refusal.
fn assert_still_works() {
    let engine = runtime().load(hostile_wasm()).expect("load hostile");
    assert_eq!(engine.identity().abi, ABI_VERSION);
    let work = tempfile::tempdir().unwrap();
    let io = LayerIo {
        work_dir: work.path().into(),
        ..LayerIo::default()
    };
    let source = b"after a refusal".to_vec();
    let result = engine
        .convert_layer(
            &params(&[]),
            Cursor::new(source.clone()),
            layer_info(TAR, &source, sha256(&source)),
            NoLowers,
            &io,
        )
        .expect("a normal conversion after a refusal");
    assert_eq!(result.layers[0].digest, sha256(&source));
}

#[test]
fn previous_minor_engine_keeps_running() {
    let engine = runtime()
        .load(test_engine("legacy"))
        .expect("an engine built for the previous minor version loads");
    let id = engine.identity();
    assert_eq!(id.name, "legacy");
    assert_eq!(
        id.abi,
        AbiVersion {
            major: 1,
            minor: 0,
            patch: 0
        }
    );

    let source = b"a layer from an older engine".repeat(1000);
    let work = tempfile::tempdir().unwrap();
    let logged = Arc::new(Mutex::new(Vec::new()));
    let sink = logged.clone();
    let io = LayerIo {
        work_dir: work.path().into(),
        log: Some(Arc::new(move |_, msg: &str| {
            sink.lock().unwrap().push(msg.to_string())
        })),
        ..LayerIo::default()
    };
    let result = engine
        .convert_layer(
            &params(&[]),
            Cursor::new(source.clone()),
            layer_info(TAR, &source, sha256(&source)),
            NoLowers,
            &io,
        )
        .expect("the legacy engine converts");
    let layer = &result.layers[0];
    assert_eq!(std::fs::read(&layer.blob_path).unwrap(), source);
    assert_eq!(layer.digest, sha256(&source));
    assert_eq!(
        layer.annotations,
        [("test.legacy.sha256".to_string(), sha256(&source))],
        "the 1.0 engine's hasher is the host's"
    );
    assert_eq!(*logged.lock().unwrap(), ["layer 0 copied"]);
}

#[test]
fn previous_minor_gets_the_same_limits() {
    let config = RuntimeConfig {
        output_cap_ratio: 0,
        output_cap_min_bytes: 1000,
        ..RuntimeConfig::default()
    };
    let engine = Runtime::new(config)
        .unwrap()
        .load(test_engine("legacy"))
        .unwrap();
    let source = vec![1u8; 5000];
    let work = tempfile::tempdir().unwrap();
    let io = LayerIo {
        work_dir: work.path().into(),
        ..LayerIo::default()
    };
    let err = engine
        .convert_layer(
            &params(&[]),
            Cursor::new(source.clone()),
            layer_info(TAR, &source, sha256(&source)),
            NoLowers,
            &io,
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("output cap of 1000 bytes"),
        "unexpected error: {err}"
    );
}

#[test]
fn future_minor_is_refused_naming_both_versions() {
    let (err, msg) = refused("future-minor");
    assert_eq!(
        err,
        AbiError::UnsupportedVersion {
            found: "1.3.0".into()
        }
    );
    assert!(msg.contains("convertor:engine@1.3.0"), "{msg}");
    assert!(msg.contains(&supported_versions()), "{msg}");
    assert!(
        msg.contains("@1.0.x") && msg.contains("@1.1.x") && msg.contains("@1.2.x"),
        "{msg}"
    );
    assert_still_works();
}

#[test]
fn other_major_is_refused_naming_both_versions() {
    let (err, msg) = refused("other-major");
    assert_eq!(
        err,
        AbiError::UnsupportedVersion {
            found: "2.0.0".into()
        }
    );
    assert!(msg.contains("convertor:engine@2.0.0"), "{msg}");
    assert!(msg.contains("@1.2.x"), "{msg}");
    assert_still_works();
}

#[test]
fn ungranted_capability_is_refused_before_running() {
    let (err, msg) = refused("sockets");
    assert!(
        matches!(&err, AbiError::ForbiddenImport(name) if name.starts_with("wasi:sockets/")),
        "{err:?}"
    );
    assert!(msg.contains("capability the host does not grant"), "{msg}");
    assert_still_works();
}

#[test]
fn a_module_that_is_not_an_engine_is_refused() {
    // The smallest component: no imports at all.
    let Err(err) = runtime().load_bytes(b"\0asm\x0d\0\x01\0") else {
        panic!("an empty component was loaded");
    };
    assert_eq!(err.downcast_ref::<AbiError>(), Some(&AbiError::NotAnEngine));
}

#[test]
fn current_engines_report_the_current_version() {
    let engine = runtime().load(hostile_wasm()).unwrap();
    assert_eq!(engine.identity().abi, ABI_VERSION);
    assert!(ABI_VERSION.is_supported());
    assert!(
        !AbiVersion {
            minor: ABI_VERSION.minor + 1,
            ..ABI_VERSION
        }
        .is_supported()
    );
}

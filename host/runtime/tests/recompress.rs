//! The sample recompress engine, end to end through the runtime.

mod common;

use std::io::Cursor;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use common::{gzip, layer_info, make_tar, params, recompress_wasm, sha256};
use engine_runtime::wit::EngineError;
use engine_runtime::{ConvertError, EngineHandle, LayerIo, NoLowers, Runtime, RuntimeConfig};

const GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";

fn engine() -> &'static EngineHandle {
    static ENGINE: OnceLock<EngineHandle> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let runtime = Runtime::new(RuntimeConfig::default()).expect("runtime");
        runtime.load(recompress_wasm()).expect("load recompress")
    })
}

fn unzstd(data: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    ruzstd::decoding::StreamingDecoder::new(data)
        .expect("zstd frame")
        .read_to_end(&mut out)
        .expect("zstd decode");
    out
}

#[test]
fn gzip_layer_becomes_zstd_with_the_same_diff_id() {
    let tar = make_tar(1 << 20);
    let gz = gzip(&tar);
    let info = layer_info(GZIP, &gz, sha256(&tar));
    let work = tempfile::tempdir().unwrap();
    let seen = Arc::new(AtomicU64::new(0));
    let seen2 = seen.clone();
    let io = LayerIo {
        work_dir: work.path().into(),
        progress: Some(Arc::new(move |done| seen2.store(done, Ordering::Relaxed))),
        ..LayerIo::default()
    };

    let result = engine()
        .convert_layer(&params(&[]), Cursor::new(gz.clone()), info, NoLowers, &io)
        .expect("conversion");

    assert_eq!(result.layers.len(), 1);
    let layer = &result.layers[0];
    assert_eq!(layer.media_type, ZSTD);
    assert_eq!(layer.diff_id, sha256(&tar));
    let blob = std::fs::read(&layer.blob_path).unwrap();
    assert_eq!(layer.digest, sha256(&blob));
    assert_eq!(layer.size, blob.len() as u64);
    assert!(
        blob.len() < tar.len() / 2,
        "zstd output of {} bytes is barely compressed",
        blob.len()
    );
    assert_eq!(unzstd(&blob), tar);
    assert_eq!(
        seen.load(Ordering::Relaxed),
        gz.len() as u64,
        "progress should end at the source size"
    );
}

#[test]
fn plain_tar_with_level_none_round_trips() {
    let tar = make_tar(64 << 10);
    let info = layer_info("application/vnd.oci.image.layer.v1.tar", &tar, sha256(&tar));
    let work = tempfile::tempdir().unwrap();
    let io = LayerIo {
        work_dir: work.path().into(),
        ..LayerIo::default()
    };

    let result = engine()
        .convert_layer(
            &params(&[("level", "none")]),
            Cursor::new(tar.clone()),
            info,
            NoLowers,
            &io,
        )
        .expect("conversion");

    let blob = std::fs::read(&result.layers[0].blob_path).unwrap();
    assert!(
        blob.len() > tar.len(),
        "stored blocks cannot be smaller than the input"
    );
    assert_eq!(unzstd(&blob), tar);
}

#[test]
fn diff_id_mismatch_is_invalid_input() {
    let tar = make_tar(64 << 10);
    let gz = gzip(&tar);
    let info = layer_info(GZIP, &gz, sha256(b"something else"));
    let work = tempfile::tempdir().unwrap();
    let io = LayerIo {
        work_dir: work.path().into(),
        ..LayerIo::default()
    };

    let err = engine()
        .convert_layer(&params(&[]), Cursor::new(gz), info, NoLowers, &io)
        .unwrap_err();

    assert!(
        matches!(err.engine_error(), Some(EngineError::InvalidInput(msg)) if msg.contains("diff_id")),
        "unexpected error: {err}"
    );
    assert_eq!(
        std::fs::read_dir(work.path()).unwrap().count(),
        0,
        "a failed call must not leave sinks"
    );
}

#[test]
fn corrupt_gzip_is_invalid_input_not_a_trap() {
    let tar = make_tar(64 << 10);
    let mut gz = gzip(&tar);
    let mid = gz.len() / 2;
    gz[mid..mid + 64].fill(0xff);
    let info = layer_info(GZIP, &gz, sha256(&tar));
    let work = tempfile::tempdir().unwrap();
    let io = LayerIo {
        work_dir: work.path().into(),
        ..LayerIo::default()
    };

    let err = engine()
        .convert_layer(&params(&[]), Cursor::new(gz), info, NoLowers, &io)
        .unwrap_err();

    assert!(
        matches!(err.engine_error(), Some(EngineError::InvalidInput(_))),
        "unexpected error: {err}"
    );
}

#[test]
fn bad_level_is_invalid_option() {
    let tar = make_tar(4 << 10);
    let info = layer_info("application/vnd.oci.image.layer.v1.tar", &tar, sha256(&tar));
    let work = tempfile::tempdir().unwrap();
    let io = LayerIo {
        work_dir: work.path().into(),
        ..LayerIo::default()
    };

    let err = engine()
        .convert_layer(
            &params(&[("level", "19")]),
            Cursor::new(tar),
            info,
            NoLowers,
            &io,
        )
        .unwrap_err();

    assert!(
        matches!(err, ConvertError::Engine(EngineError::InvalidOption(_))),
        "unexpected error: {err}"
    );
}

#[test]
fn describe_and_identity() {
    let info = engine().describe().expect("describe");
    assert_eq!(info.name, "recompress");
    assert!(info.accepts.iter().any(|t| t == GZIP));
    assert!(
        info.options
            .iter()
            .any(|o| o.name == "level" && o.affects_output)
    );

    let id = engine().identity();
    assert_eq!(id.name, "recompress");
    assert_eq!(id.version, info.version);
    let wasm = std::fs::read(recompress_wasm()).unwrap();
    assert_eq!(format!("sha256:{}", id.sha256), sha256(&wasm));
}

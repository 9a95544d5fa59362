//! Third-party engines through the `convertor` binary: `--engine TAG=PATH` writes output tag TAG
//! with any component of the world (the recompress sample engine, an engine built for the
//! previous ABI minor), `--engine-digest` pins it, `--engine-option` reaches it, manifests name
//! it; hostile engines fail the run with one line, tag nothing, and leave the layout usable.
//!
//! Components come from `ENGINE_WASM_DIR` (`just engines`).

mod pipeline_common;

use convertor::gojson::{self, Image, Manifest};
use convertor::layout::{Layout, Verify};
use convertor::pipeline::{
    ANNOTATION_ENGINE_ABI, ANNOTATION_ENGINE_DIGEST, ANNOTATION_ENGINE_NAME,
    ANNOTATION_ENGINE_VERSION,
};
use convertor_tests::sample::write_sample_image;
use convertor_tests::unpack::{diff, snapshot, unpack_layers};
use convertor_tests::wasm::component;
use pipeline_common::{assert_ok, checked_manifest, convertor, tags, tempdir};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Output;

const ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";

fn wasm(name: &str) -> PathBuf {
    component(name).unwrap()
}

fn digest_of(path: &Path) -> String {
    format!(
        "sha256:{}",
        hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
    )
}

fn sample(dir: &Path) -> PathBuf {
    let layout = dir.join("layout");
    write_sample_image(&layout).unwrap();
    layout
}

/// `convertor -r oci:LAYOUT -i latest --oci -d WORK EXTRA...`.
fn run(layout: &Path, extra: &[&str]) -> Output {
    let work = layout.with_file_name("work");
    let mut args = vec![
        "-r".to_string(),
        format!("oci:{}", layout.display()),
        "-i".into(),
        "latest".into(),
        "--oci".into(),
        "-d".into(),
        work.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    convertor(&args)
}

/// Asserts a failed run with exactly one error line containing `expected`; returns it.
fn assert_failed(out: &Output, expected: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "stderr:\n{stderr}");
    assert!(
        errors[0].contains(expected),
        "expected {expected:?} in the error line:\n{stderr}"
    );
    assert!(
        stderr
            .lines()
            .all(|l| l.starts_with("error:") || l.starts_with("warning:")),
        "stray stderr lines:\n{stderr}"
    );
    errors[0].to_string()
}

fn tag_names(layout: &Path) -> Vec<String> {
    tags(layout).into_iter().map(|(t, _)| t).collect()
}

/// The layers of a tag as (media type, blob path), and its config.
fn image_layers(layout: &Layout, tag: &str) -> (Manifest, Vec<(String, PathBuf)>, Image) {
    let desc = layout.resolve_tag(tag).unwrap();
    let m = checked_manifest(layout, &desc);
    let layers = m
        .layers()
        .iter()
        .map(|d| (d.media_type.clone(), layout.blob_path(&d.digest).unwrap()))
        .collect();
    let config: Image =
        gojson::from_slice(&layout.read_blob(&m.config.digest, Verify::Yes).unwrap()).unwrap();
    (m, layers, config)
}

#[test]
fn recompress_engine_writes_its_own_tag_beside_a_builtin_format() {
    let dir = tempdir();
    let layout_dir = sample(dir.path());
    let recompress = wasm("recompress_engine");

    let stdout = assert_ok(&run(
        &layout_dir,
        &[
            "--overlaybd",
            "obd",
            "--vsize",
            "4",
            "--engine",
            &format!("zst={}", recompress.display()),
            "--engine-option",
            "zst:level=fastest",
            "--engine-digest",
            &format!("zst={}", digest_of(&recompress)),
        ],
    ));
    assert!(stdout.contains("engine: tagged zst -> "), "{stdout}");
    assert!(stdout.contains("overlaybd: tagged obd -> "), "{stdout}");
    assert_eq!(tag_names(&layout_dir), ["latest", "obd", "zst"]);

    let layout = Layout::open(&layout_dir).unwrap();
    let (_, src_layers, src_config) = image_layers(&layout, "latest");
    let (m, zst_layers, zst_config) = image_layers(&layout, "zst");
    assert_eq!(zst_layers.len(), src_layers.len());
    assert!(zst_layers.iter().all(|(t, _)| t == ZSTD), "{zst_layers:?}");
    assert_eq!(zst_config.diff_ids(), src_config.diff_ids());

    // The engine's identity is on the manifest; the built-in format's manifest has none.
    assert_eq!(m.annotations[ANNOTATION_ENGINE_NAME], "recompress");
    assert_eq!(m.annotations[ANNOTATION_ENGINE_VERSION], "0.1.0");
    assert_eq!(
        m.annotations[ANNOTATION_ENGINE_DIGEST],
        digest_of(&recompress)
    );
    // Built against `wit/`, so the host's own version.
    assert_eq!(
        m.annotations[ANNOTATION_ENGINE_ABI],
        engine_runtime::ABI_VERSION.to_string()
    );
    let (obd, _, _) = image_layers(&layout, "obd");
    assert!(
        !obd.annotations
            .keys()
            .any(|k| k.starts_with("dev.convertor")),
        "{:?}",
        obd.annotations
    );

    // Unpacking the output gives the same tree as unpacking the source.
    let src_tree = dir.path().join("src-tree");
    let zst_tree = dir.path().join("zst-tree");
    unpack_layers(&src_layers, &src_tree).unwrap();
    unpack_layers(&zst_layers, &zst_tree).unwrap();
    let (a, b) = (snapshot(&src_tree).unwrap(), snapshot(&zst_tree).unwrap());
    assert!(a.len() > 10, "the sample unpacked to {} entries", a.len());
    assert!(a == b, "trees differ: {:#?}", diff(&a, &b));
}

#[test]
fn engine_built_for_the_previous_abi_minor_runs() {
    let dir = tempdir();
    let layout_dir = sample(dir.path());
    let legacy = wasm("legacy_engine");
    assert_ok(&run(
        &layout_dir,
        &["--engine", &format!("old={}", legacy.display())],
    ));
    let layout = Layout::open(&layout_dir).unwrap();
    let (m, layers, _) = image_layers(&layout, "old");
    assert_eq!(layers.len(), 3);
    assert_eq!(m.annotations[ANNOTATION_ENGINE_ABI], "1.0.0");
    assert_eq!(m.annotations[ANNOTATION_ENGINE_NAME], "legacy");
}

#[test]
fn wrong_digest_or_undeclared_option_refuses_to_run() {
    let dir = tempdir();
    let layout_dir = sample(dir.path());
    let recompress = format!("zst={}", wasm("recompress_engine").display());

    let wrong = format!("zst=sha256:{}", "0".repeat(64));
    let line = assert_failed(
        &run(
            &layout_dir,
            &["--engine", &recompress, "--engine-digest", &wrong],
        ),
        "--engine-digest",
    );
    assert!(line.contains(&"0".repeat(64)), "{line}");
    assert_failed(
        &run(
            &layout_dir,
            &["--engine", &recompress, "--engine-option", "zst:speed=9"],
        ),
        "has no option `speed` (it declares: level)",
    );
    // The engine's own refusal of a value.
    assert_failed(
        &run(
            &layout_dir,
            &["--engine", &recompress, "--engine-option", "zst:level=19"],
        ),
        "invalid option",
    );
    assert_eq!(tag_names(&layout_dir), ["latest"]);
}

#[test]
fn hostile_engines_fail_cleanly_and_the_layout_stays_usable() {
    let dir = tempdir();
    let layout_dir = sample(dir.path());
    let hostile = format!("bad={}", wasm("hostile_engine").display());
    let mode = |m: &str| format!("bad:mode={m}");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![mode("loop"), "--engine-timeout=1".into()],
            "exceeded its deadline of 1s",
        ),
        (
            vec![mode("memory"), "--engine-memory=64".into()],
            "memory limit of 67108864 bytes",
        ),
        (
            vec![mode("output"), "--engine-output-ratio=0".into()],
            "output cap of 67108864 bytes",
        ),
        (vec![mode("trap")], "hostile engine gave up after 4 bytes"),
        (vec![mode("bad-descriptor")], "malformed descriptor"),
    ];
    for (extra, expected) in &cases {
        let mut args = vec!["--engine", &hostile, "--engine-option", &extra[0]];
        args.extend(extra[1..].iter().map(String::as_str));
        assert_failed(&run(&layout_dir, &args), expected);
        assert_eq!(tag_names(&layout_dir), ["latest"], "after {extra:?}");
    }
    for (fixture, expected) in [
        ("sockets_engine", "imports wasi:sockets/"),
        ("future_minor_engine", "convertor:engine@1.3.0"),
        ("other_major_engine", "convertor:engine@2.0.0"),
    ] {
        let engine = format!("bad={}", wasm(fixture).display());
        let line = assert_failed(&run(&layout_dir, &["--engine", &engine]), expected);
        if fixture != "sockets_engine" {
            assert!(line.contains("@1.0.x or @1.1.x or @1.2.x"), "{line}");
        }
        assert_eq!(tag_names(&layout_dir), ["latest"], "after {fixture}");
    }
    // The same layout converts normally afterwards, and nothing was left in the work dir.
    let recompress = format!("zst={}", wasm("recompress_engine").display());
    assert_ok(&run(&layout_dir, &["--engine", &recompress]));
    assert_eq!(tag_names(&layout_dir), ["latest", "zst"]);
    let work = layout_dir.with_file_name("work");
    assert_eq!(std::fs::read_dir(&work).unwrap().count(), 0);
}

#[test]
fn help_documents_the_engine_limits() {
    let out = convertor(&["--help"]);
    let help = assert_ok(&out);
    for (flag, default) in [
        ("--engine-memory", "[default: 1024]"),
        ("--engine-timeout", "[default: 1800]"),
        ("--engine-output-ratio", "[default: 4]"),
        ("--engine-instances", "[default: 0]"),
    ] {
        let line = help
            .lines()
            .find(|l| l.contains(flag))
            .unwrap_or_else(|| panic!("{flag} is not in --help"));
        assert!(line.contains(default), "{line}");
    }
}

#[test]
fn limit_flags_reach_the_sandbox() {
    let dir = tempdir();
    let layout_dir = sample(dir.path());
    let recompress = format!("zst={}", wasm("recompress_engine").display());
    let sandbox = |extra: &[&str]| {
        let mut args = vec!["--engine", &recompress, "--json"];
        args.extend(extra);
        let json: serde_json::Value =
            serde_json::from_str(assert_ok(&run(&layout_dir, &args)).trim()).unwrap();
        json["sandbox"].clone()
    };
    let set = sandbox(&[
        "--engine-memory=256",
        "--engine-timeout=60",
        "--engine-output-ratio=2",
        "--engine-instances=1",
    ]);
    assert_eq!(
        set,
        serde_json::json!({
            "memoryBytes": 256u64 << 20,
            "timeoutSeconds": 60,
            "outputRatio": 2,
            "outputMinBytes": 64u64 << 20,
            "instances": 1,
        })
    );
    let cpus = std::thread::available_parallelism().unwrap().get();
    let defaults = sandbox(&[]);
    assert_eq!(defaults["memoryBytes"], 1u64 << 30);
    assert_eq!(defaults["timeoutSeconds"], 1800);
    assert_eq!(defaults["outputRatio"], 4);
    assert_eq!(defaults["instances"], cpus, "0 means one per CPU");
}

#[test]
fn a_format_name_as_tag_overrides_the_builtin_component() {
    let dir = tempdir();
    let layout_dir = sample(dir.path());
    let legacy = wasm("legacy_engine");

    // The built-in component, pinned to a digest it does not have: refused before running.
    let wrong = format!("overlaybd=sha256:{}", "1".repeat(64));
    assert_failed(
        &run(
            &layout_dir,
            &["--overlaybd", "obd", "--engine-digest", &wrong],
        ),
        "the overlaybd engine",
    );
    assert_eq!(tag_names(&layout_dir), ["latest"]);

    // `--engine overlaybd=PATH` makes the overlaybd output with that component instead.
    let stdout = assert_ok(&run(
        &layout_dir,
        &[
            "--overlaybd",
            "obd",
            "--engine",
            &format!("overlaybd={}", legacy.display()),
            "--engine-digest",
            &format!("overlaybd={}", digest_of(&legacy)),
        ],
    ));
    assert!(stdout.contains("overlaybd: tagged obd -> "), "{stdout}");
    let layout = Layout::open(&layout_dir).unwrap();
    let (m, _, _) = image_layers(&layout, "obd");
    assert_eq!(m.annotations[ANNOTATION_ENGINE_NAME], "legacy");
    assert!(
        m.layers()
            .iter()
            .all(|l| l.annotations.contains_key("test.legacy.sha256"))
    );
}

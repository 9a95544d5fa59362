//! Pipeline pieces that need no engine: placeholder substitution, CLI options mapped onto an
//! engine's declared options, and the engine lookup errors.

use convertor::cli::{self, Command, Format, Options};
use convertor::pipeline::{engine_options, engine_path, substitute};
use engine_runtime::wit::{EngineInfo, OptionSpec};

fn options(extra: &[&str]) -> Options {
    let mut argv = vec!["convertor", "-r", "oci:/x", "-i", "a", "--overlaybd", "b"];
    argv.extend_from_slice(extra);
    match cli::parse(argv).unwrap() {
        Command::Run(o) => *o,
        Command::Print(t) => panic!("unexpected help: {t}"),
    }
}

fn info(names: &[&str]) -> EngineInfo {
    EngineInfo {
        name: "test".into(),
        version: "0".into(),
        artifact_type: String::new(),
        accepts: vec![],
        options: names
            .iter()
            .map(|n| OptionSpec {
                name: n.to_string(),
                description: String::new(),
                default_value: String::new(),
                affects_output: true,
            })
            .collect(),
    }
}

fn pairs(v: &[(String, String)]) -> Vec<String> {
    v.iter().map(|(k, v)| format!("{k}={v}")).collect()
}

#[test]
fn placeholders_are_replaced_in_values_only() {
    let d = "sha256:00ff";
    let out = substitute(
        &[
            ("blob-digest".into(), "{digest}".into()),
            ("blob-size".into(), "{size}".into()),
            ("mixed".into(), "at {digest}, {size} bytes".into()),
            ("{digest}".into(), "plain".into()),
        ],
        d,
        642560,
    );
    assert_eq!(out["blob-digest"], d);
    assert_eq!(out["blob-size"], "642560");
    assert_eq!(out["mixed"], "at sha256:00ff, 642560 bytes");
    assert_eq!(out["{digest}"], "plain");
}

#[test]
fn cli_settings_become_engine_options() {
    let native = info(&["vsize", "mkfs", "sparse", "algorithm", "bs"]);
    let o = options(&["--vsize", "128", "--disable-sparse"]);
    assert_eq!(
        pairs(&engine_options(Format::Overlaybd, &o, &native).unwrap()),
        [
            "vsize=128",
            "mkfs=true",
            "algorithm=lz4",
            "bs=4",
            "sparse=false"
        ]
    );
    // TurboOCI always builds sparse and has no fstype option: ext4 is simply not passed.
    let turbo = info(&["vsize", "mkfs", "algorithm", "bs"]);
    assert_eq!(
        pairs(&engine_options(Format::TurboOci, &o, &turbo).unwrap()),
        ["vsize=128", "mkfs=true", "algorithm=lz4", "bs=4"]
    );
    // --mkfs=false forces 64 GiB.
    let o = options(&[
        "--mkfs=false",
        "--vsize",
        "8",
        "--algorithm",
        "zstd",
        "--bs",
        "64",
    ]);
    assert_eq!(
        pairs(&engine_options(Format::Overlaybd, &o, &native).unwrap()),
        [
            "vsize=64",
            "mkfs=false",
            "algorithm=zstd",
            "bs=64",
            "sparse=true"
        ]
    );
}

#[test]
fn a_setting_the_engine_cannot_honour_is_an_error() {
    let turbo = info(&["vsize", "mkfs"]);
    let err = engine_options(Format::TurboOci, &options(&["--fstype", "erofs"]), &turbo)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no `fstype` option") && err.contains("--fstype=erofs"),
        "{err}"
    );
    let bare = info(&[]);
    let err = engine_options(Format::Overlaybd, &options(&["--disable-sparse"]), &bare)
        .unwrap_err()
        .to_string();
    assert!(err.contains("`sparse`"), "{err}");
    let err = engine_options(Format::Overlaybd, &options(&["--bs", "64"]), &bare)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no `bs` option") && err.contains("--bs=64"),
        "{err}"
    );
    // Neutral values of undeclared options are fine.
    assert!(
        engine_options(Format::Overlaybd, &options(&[]), &bare)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn engine_override_must_exist() {
    let o = options(&["--engine", "OverlayBD=/nonexistent/x.wasm"]);
    let err = engine_path(Format::Overlaybd, &o.engines)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("/nonexistent/x.wasm") && err.contains("no such file"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("t.wasm");
    std::fs::write(&wasm, b"\0asm").unwrap();
    let arg = format!("turbooci={}", wasm.display());
    let o = options(&["--engine", &arg]);
    assert_eq!(engine_path(Format::TurboOci, &o.engines).unwrap(), wasm);
}

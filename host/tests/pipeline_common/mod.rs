//! Shared helpers of the pipeline tests: the engine components, running the `convertor` binary,
//! and flattening a converted image to check it with e2fsck.
//!
//! Components come from `OVERLAYBD_WASM` / `TURBOOCI_WASM` when set (the Justfile sets them);
//! otherwise they are built in release mode into a target directory of their own under
//! `CARGO_TARGET_TMPDIR`, so the build never waits on the lock of the one running the tests.

#![allow(dead_code)]

use convertor::gojson::{self, Descriptor, Manifest};
use convertor::layout::{Layout, Verify};
use layer::LayerSource;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const WORKSPACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
const TURBO_TARGET: &str = "containerd.io/snapshot/overlaybd/turbo-oci/target-digest";

/// Paths of the overlaybd and turbooci engine components.
pub fn components() -> &'static (PathBuf, PathBuf) {
    static PATHS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    PATHS.get_or_init(|| {
        let env = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let paths = if let (Some(o), Some(t)) = (env("OVERLAYBD_WASM"), env("TURBOOCI_WASM")) {
            (o, t)
        } else {
            build_components()
        };
        warm_cache(&paths);
        paths
    })
}

fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("engine-cache")
}

/// Compiles both engines into the cache the binary uses, once, before tests run it in
/// parallel (each run would otherwise compile them itself).
fn warm_cache((obd, turbo): &(PathBuf, PathBuf)) {
    let runtime = engine_runtime::Runtime::new(engine_runtime::RuntimeConfig {
        cache_dir: Some(cache_dir()),
        ..Default::default()
    })
    .expect("runtime");
    std::fs::create_dir_all(cache_dir()).unwrap();
    for p in [obd, turbo] {
        runtime.load(p).expect("loading an engine component");
    }
}

fn build_components() -> (PathBuf, PathBuf) {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("engine-components");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .args(["-p", "overlaybd-engine", "-p", "turbooci-engine"])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(WORKSPACE)
        .status()
        .expect("running cargo");
    assert!(status.success(), "building the engine components failed");
    let dir = target.join("wasm32-wasip2/release");
    (
        dir.join("overlaybd_engine.wasm"),
        dir.join("turbooci_engine.wasm"),
    )
}

/// A scratch directory under the target dir, removed on drop.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("creating a temporary directory")
}

/// The `convertor` binary with the components and a compiled-code cache set up.
pub fn convertor_cmd() -> Command {
    let (obd, turbo) = components();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_convertor"));
    cmd.env("OVERLAYBD_WASM", obd)
        .env("TURBOOCI_WASM", turbo)
        .env("CONVERTOR_CACHE_DIR", cache_dir());
    cmd
}

/// Runs `convertor ARGS`.
pub fn convertor(args: &[&str]) -> Output {
    convertor_cmd()
        .args(args)
        .output()
        .expect("running convertor")
}

/// Asserts a run succeeded and returns its stdout.
pub fn assert_ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "convertor failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `(tag, digest)` of every tagged entry of a layout.
pub fn tags(layout: &Path) -> Vec<(String, String)> {
    Layout::open(layout)
        .unwrap()
        .tags()
        .unwrap()
        .into_iter()
        .map(|(t, d)| (t, d.digest))
        .collect()
}

/// Copies a directory tree (fixtures are read-only; conversion writes into the layout).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// The manifest a tag names, with every blob it references checked (digest and size).
pub fn checked_manifest(layout: &Layout, desc: &Descriptor) -> Manifest {
    let bytes = layout.read_blob(&desc.digest, Verify::Yes).unwrap();
    assert_eq!(bytes.len() as i64, desc.size, "manifest size");
    let m: Manifest = gojson::from_slice(&bytes).unwrap();
    for d in std::iter::once(&m.config).chain(m.layers()) {
        let blob = layout.read_blob(&d.digest, Verify::Yes).unwrap();
        assert_eq!(blob.len() as i64, d.size, "size of {}", d.digest);
        if let Some(target) = d.annotations.get(TURBO_TARGET) {
            assert!(layout.has_blob(target).unwrap(), "turbo target {target}");
        }
    }
    m
}

/// Flattens the layers of `m` into a sparse raw device at `raw` and returns `e2fsck -fn`'s
/// report; panics when the filesystem is not clean.
pub fn flatten_and_fsck(layout: &Layout, m: &Manifest, raw: &Path) -> String {
    let sources = m
        .layers()
        .iter()
        .map(|d| {
            let blob = File::open(layout.blob_path(&d.digest).unwrap()).unwrap();
            match d.annotations.get(TURBO_TARGET) {
                None => LayerSource::Native(Box::new(blob)),
                Some(target) => LayerSource::from_meta_layer(
                    std::io::BufReader::new(blob),
                    Box::new(File::open(layout.blob_path(target).unwrap()).unwrap()),
                )
                .unwrap(),
            }
        })
        .collect();
    let stack = layer::open_stack(sources).unwrap();
    assert!(stack.virtual_size() > 0);
    let mut file = File::create(raw).unwrap();
    file.set_len(stack.virtual_size()).unwrap();
    layer::flatten(&stack, &mut file).unwrap();
    drop(file);
    let report = convertor_tests::tools::e2fsck_clean(raw).unwrap();
    let _ = std::fs::remove_file(raw);
    report
}

//! Shared test helpers: building the engine components and making layers.
//!
//! Components come from `RECOMPRESS_WASM` / `HOSTILE_WASM` when set (the Justfile or CI may
//! prebuild them); otherwise the tests run `cargo build --target wasm32-wasip2` themselves, into
//! a target directory of their own under `CARGO_TARGET_TMPDIR` so they never wait on the lock of
//! the build that is running them.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use engine_runtime::wit::{LayerInfo, LayerParams, MediaFamily};
use sha2::{Digest, Sha256};

const WORKSPACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn components_target() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("engine-components")
}

fn cargo_build(args: &[&str]) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--target", "wasm32-wasip2"])
        .args(args)
        .env("CARGO_TARGET_DIR", components_target())
        .current_dir(WORKSPACE)
        .status()
        .expect("running cargo");
    assert!(
        status.success(),
        "building {args:?} for wasm32-wasip2 failed"
    );
}

/// The recompress sample engine.
pub fn recompress_wasm() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        if let Some(path) = std::env::var_os("RECOMPRESS_WASM") {
            return path.into();
        }
        cargo_build(&["-p", "recompress-engine"]);
        components_target().join("wasm32-wasip2/debug/recompress_engine.wasm")
    })
}

/// The misbehaving test engine (tests/engines/hostile).
pub fn hostile_wasm() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| match std::env::var_os("HOSTILE_WASM") {
        Some(path) => path.into(),
        None => test_engine("hostile"),
    })
}

/// A component of the test-engine workspace (tests/engines): `hostile`, `legacy`,
/// `future-minor`, `other-major` or `sockets`. Taken from `ENGINE_WASM_DIR` when `just engines`
/// built it there, else built here once for all of them.
pub fn test_engine(name: &str) -> PathBuf {
    let file = format!("{}_engine.wasm", name.replace('-', "_"));
    if let Some(dir) = std::env::var_os("ENGINE_WASM_DIR") {
        let path = Path::new(&dir).join(&file);
        if path.is_file() {
            return path;
        }
    }
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/engines/Cargo.toml");
        cargo_build(&["--manifest-path", manifest, "--workspace"]);
    });
    components_target().join("wasm32-wasip2/debug").join(file)
}

pub fn sha256(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

/// A tar of a few files, about `approx_size` bytes, compressible but not trivially.
pub fn make_tar(approx_size: usize) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut state = 0x1234_5678u32;
    for i in 0..4 {
        let mut body = Vec::with_capacity(approx_size / 4);
        while body.len() < approx_size / 4 {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let word = ["alpha ", "beta ", "gamma ", "delta\n"][(state >> 16) as usize % 4];
            body.extend_from_slice(word.as_bytes());
            body.push((state >> 24) as u8);
        }
        let mut header = tar::Header::new_gnu();
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_cksum();
        builder
            .append_data(&mut header, format!("dir/file-{i}.txt"), body.as_slice())
            .expect("tar append");
    }
    builder.into_inner().expect("tar finish")
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).expect("gzip");
    enc.finish().expect("gzip")
}

pub fn layer_info(media_type: &str, blob: &[u8], diff_id: String) -> LayerInfo {
    LayerInfo {
        media_type: media_type.into(),
        digest: sha256(blob),
        size: blob.len() as u64,
        diff_id,
        annotations: vec![],
    }
}

pub fn params(options: &[(&str, &str)]) -> LayerParams {
    LayerParams {
        index: 0,
        chain_id: "sha256:0000000000000000000000000000000000000000000000000000000000000000".into(),
        parent_chain_id: None,
        family: MediaFamily::Oci,
        options: options
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

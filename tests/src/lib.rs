//! Shared pieces of the integration tests: where ../shared is, the project's own sample image,
//! and wrappers around the real tools (e2fsck, debugfs, mount) the tests check images with.

pub mod bench;
pub mod cli;
pub mod convert;
pub mod image;
pub mod oci;
pub mod rootfs;
pub mod sample;
pub mod tools;
pub mod unpack;
pub mod wasm;

use std::path::PathBuf;

/// The repository root (this crate lives in `tests/`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `../shared` beside the checkout, when present (CI always has it; a bare clone may not).
pub fn shared_dir() -> Option<PathBuf> {
    let dir = repo_root().join("../shared");
    dir.join("spec").is_dir().then_some(dir)
}

/// A scratch directory under the target dir, emptied first.
pub fn scratch(name: &str) -> PathBuf {
    let dir = repo_root().join("target/test-scratch").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

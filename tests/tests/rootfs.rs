//! The Debian rootfs-small benchmark image (../shared/bench/make-rootfs-image.sh) converted to
//! both formats: e2fsck-clean, and the kernel's view of the merged device equals a reference
//! unpack of the image. Needs root (debootstrap, loop mounts) and a Debian mirror; the image is
//! built once and kept under target/bench.

use convertor_tests::convert::{
    Converted, convert_image_native, convert_image_turbo, open_converted,
};
use convertor_tests::image::image_layers;
use convertor_tests::{repo_root, scratch, shared_dir};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

const VSIZE: u64 = 64 << 30;

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout == b"0\n")
}

/// The image and the snapshot of its reference unpack, built on first use (once per process:
/// the tests run in parallel threads).
fn rootfs_small() -> Option<(PathBuf, PathBuf)> {
    static ONCE: std::sync::OnceLock<Option<(PathBuf, PathBuf)>> = std::sync::OnceLock::new();
    ONCE.get_or_init(build_rootfs_small).clone()
}

fn build_rootfs_small() -> Option<(PathBuf, PathBuf)> {
    let shared = shared_dir()?;
    if !is_root() {
        eprintln!("not root: skipping the rootfs test (debootstrap and loop mounts need root)");
        return None;
    }
    let bench = repo_root().join("target/bench");
    let image = bench.join("rootfs-small");
    if !image.join("index.json").is_file() {
        let status = Command::new("bash")
            .arg(shared.join("bench/make-rootfs-image.sh"))
            .arg(&image)
            .args(["--variant", "small"])
            .env("DEB_CACHE", bench.join("debs"))
            .status()
            .expect("running make-rootfs-image.sh");
        assert!(status.success(), "make-rootfs-image.sh failed");
    }
    let tree = bench.join("rootfs-small.tree.json");
    if !tree.is_file() {
        let unpacked = bench.join("rootfs-small.unpacked");
        let _ = std::fs::remove_dir_all(&unpacked);
        let verify = shared.join("fixtures/verify-edge-image.py");
        let ok = Command::new("python3")
            .arg(&verify)
            .arg(&image)
            .arg("--unpack")
            .arg(&unpacked)
            .status();
        assert!(ok.is_ok_and(|s| s.success()), "reference unpack failed");
        let ok = Command::new("python3")
            .arg(&verify)
            .arg("--snapshot")
            .arg(&unpacked)
            .arg("--output")
            .arg(&tree)
            .status();
        assert!(ok.is_ok_and(|s| s.success()), "snapshot failed");
        let _ = std::fs::remove_dir_all(&unpacked);
    }
    Some((image, tree))
}

struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn check(done: &[Converted], dir: &Path, tree: &Path) {
    let stack = open_converted(done).expect("open the converted stack");
    let raw = dir.join("merged.raw");
    let mut out = File::create(&raw).unwrap();
    out.set_len(stack.virtual_size()).unwrap();
    layer::flatten(&stack, &mut out).unwrap();
    convertor_tests::tools::e2fsck_clean(&raw).expect("e2fsck -fn is clean");
    let mnt = dir.join("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    let mounted = Command::new("mount")
        .args(["-o", "ro,loop,noload"])
        .arg(&raw)
        .arg(&mnt)
        .status()
        .unwrap();
    assert!(mounted.success(), "loop mount failed");
    let _guard = Mount(mnt.clone());
    let verify = shared_dir().unwrap().join("fixtures/verify-edge-image.py");
    let out = Command::new("python3")
        .arg(verify)
        .arg("--compare")
        .arg(&mnt)
        .arg("--expected")
        .arg(tree)
        .args(["--no-dir-mtime", "--ignore", "/lost+found"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tree differs:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn rootfs_small_native_matches_its_unpacked_tree() {
    let Some((image, tree)) = rootfs_small() else {
        return;
    };
    let layers = image_layers(&image, "latest").unwrap();
    let dir = scratch("rootfs-small-native");
    let done = convert_image_native(&layers, VSIZE, &dir).unwrap();
    check(&done, &dir, &tree);
}

#[test]
fn rootfs_small_turbo_matches_its_unpacked_tree() {
    let Some((image, tree)) = rootfs_small() else {
        return;
    };
    let layers = image_layers(&image, "latest").unwrap();
    let dir = scratch("rootfs-small-turbo");
    let done = convert_image_turbo(&layers, VSIZE, &dir).unwrap();
    check(&done, &dir, &tree);
}

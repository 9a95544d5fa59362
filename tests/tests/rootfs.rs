//! The Debian benchmark images (../shared/bench/make-rootfs-image.sh, small and large) converted
//! to both formats: e2fsck-clean, and the kernel's view of the merged device equals a reference
//! unpack of the image. Needs root (debootstrap, loop mounts) and a Debian mirror; the images
//! are built once and kept under target/bench (`just bench` uses the large one too).

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

/// The image and the snapshot of its reference unpack, built on first use (once per process
/// and variant: the tests run in parallel threads).
fn rootfs(variant: &'static str) -> Option<(PathBuf, PathBuf)> {
    type Built = std::sync::OnceLock<Option<(PathBuf, PathBuf)>>;
    static SMALL: Built = Built::new();
    static LARGE: Built = Built::new();
    let once = if variant == "small" { &SMALL } else { &LARGE };
    once.get_or_init(|| build_rootfs(variant)).clone()
}

fn build_rootfs(variant: &str) -> Option<(PathBuf, PathBuf)> {
    let shared = shared_dir()?;
    if !is_root() {
        eprintln!("not root: skipping the rootfs test (debootstrap and loop mounts need root)");
        return None;
    }
    let bench = repo_root().join("target/bench");
    let image = bench.join(format!("rootfs-{variant}"));
    if !image.join("index.json").is_file() {
        let status = Command::new("bash")
            .arg(shared.join("bench/make-rootfs-image.sh"))
            .arg(&image)
            .args(["--variant", variant])
            .env("DEB_CACHE", bench.join("debs"))
            .status()
            .expect("running make-rootfs-image.sh");
        assert!(status.success(), "make-rootfs-image.sh failed");
    }
    let tree = bench.join(format!("rootfs-{variant}.tree.json"));
    if !tree.is_file() {
        let unpacked = bench.join(format!("rootfs-{variant}.unpacked"));
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

fn convert_and_check(variant: &'static str, turbo: bool) {
    let Some((image, tree)) = rootfs(variant) else {
        return;
    };
    let layers = image_layers(&image, "latest").unwrap();
    let dir = scratch(&format!(
        "rootfs-{variant}-{}",
        if turbo { "turbo" } else { "native" }
    ));
    let done = if turbo {
        convert_image_turbo(&layers, VSIZE, &dir).unwrap()
    } else {
        convert_image_native(&layers, VSIZE, &dir).unwrap()
    };
    check(&done, &dir, &tree);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn rootfs_small_native_matches_its_unpacked_tree() {
    convert_and_check("small", false);
}

#[test]
fn rootfs_small_turbo_matches_its_unpacked_tree() {
    convert_and_check("small", true);
}

#[test]
fn rootfs_large_native_matches_its_unpacked_tree() {
    convert_and_check("large", false);
}

#[test]
fn rootfs_large_turbo_matches_its_unpacked_tree() {
    convert_and_check("large", true);
}

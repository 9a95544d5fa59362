//! The Debian benchmark images (../shared/bench/make-rootfs-image.sh, small and large) converted
//! by the real `convertor` to both formats in one run, each output flattened by `obdtool flatten
//! --layout`: e2fsck-clean, and the kernel's view of the device equals a reference unpack of the
//! image; rootfs-small also round-trips through a registry (Debian's docker-registry). Needs root (debootstrap, loop mounts) and a Debian mirror; the images
//! are built once and kept under target/bench (`just bench` uses the large one too).

mod common;
mod registry_support;

use common::obd::Args;
use common::work::Work;
use convertor_tests::rootfs::{is_root, rootfs_image};
use convertor_tests::{repo_root, shared_dir};
use registry_support::{Auth, Registry, layout_tag, ok};
use std::path::{Path, PathBuf};
use std::process::Command;

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
    let image = rootfs_image(variant).expect("building the rootfs image");
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

fn check(raw: &Path, dir: &Path, tree: &Path) {
    convertor_tests::tools::e2fsck_clean(raw).expect("e2fsck -fn is clean");
    let mnt = dir.join("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    let mounted = Command::new("mount")
        .args(["-o", "ro,loop,noload"])
        .arg(raw)
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

fn convert_and_check(variant: &'static str) {
    let Some((image, tree)) = rootfs(variant) else {
        return;
    };
    let work = Work::new(&format!("rootfs-{variant}"));
    let layout = work.path("layout");
    convertor_tests::cli::copy_layout(&image, &layout).unwrap();
    common::convertor::both_formats_flattened(
        &layout,
        "latest",
        ["latest-obd", "latest-turbo"],
        &[],
        work.dir(),
        |tag, raw| check(raw, &work.subdir(tag), &tree),
    );
}

#[test]
fn rootfs_small_both_formats_match_its_unpacked_tree() {
    convert_and_check("small");
}

#[test]
fn rootfs_large_both_formats_match_its_unpacked_tree() {
    convert_and_check("large");
}

/// rootfs-small loaded into docker-registry with `convertor copy`, converted there to both
/// formats, pulled back (with its source, which TurboOCI layers read) and checked like above.
#[test]
fn rootfs_small_round_trips_through_the_registry() {
    let Some((image, tree)) = rootfs("small") else {
        return;
    };
    let work = Work::new("rootfs-small-registry");
    let reg = Registry::start(&work.path("registry"), Auth::Plain);
    ok([
        "copy",
        "--plain",
        &format!("oci:{}:latest", image.display()),
        &reg.repo("rootfs:latest"),
    ]);
    ok([
        "-r",
        &reg.repo("rootfs"),
        "--plain",
        "-i",
        "latest",
        "--overlaybd",
        "obd",
        "--turboOCI",
        "turbo",
        "-d",
        &work.path("convert-work").display().to_string(),
    ]);
    let back = work.path("back");
    for t in ["latest", "obd", "turbo"] {
        ok([
            "copy",
            "--plain",
            &reg.repo(&format!("rootfs:{t}")),
            &format!("oci:{}:{t}", back.display()),
        ]);
    }
    assert_eq!(
        layout_tag(&back, "latest")["digest"],
        layout_tag(&image, "latest")["digest"],
        "the source came back byte for byte"
    );
    for t in ["obd", "turbo"] {
        let raw = work.path(format!("{t}.raw"));
        Args::new("flatten")
            .opt("--layout", &back)
            .opt("--tag", t)
            .opt("-o", &raw)
            .ok();
        check(&raw, &work.subdir(t), &tree);
        std::fs::remove_file(&raw).unwrap();
    }
}

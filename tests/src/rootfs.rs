//! The Debian benchmark images of ../shared/bench (rootfs-small, rootfs-large), built on first
//! use into target/bench and kept there. Building needs root and a Debian mirror.

use crate::{repo_root, shared_dir};
use anyhow::{Result, bail};
use std::path::PathBuf;
use std::process::Command;

pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout == b"0\n")
}

/// The OCI layout of `rootfs-<variant>` (tag `latest`), built if missing. Test binaries run in
/// parallel, so the build holds a lock and re-checks under it.
pub fn rootfs_image(variant: &str) -> Result<PathBuf> {
    let Some(shared) = shared_dir() else {
        bail!("../shared is missing (make-rootfs-image.sh lives there)");
    };
    let bench = repo_root().join("target/bench");
    let image = bench.join(format!("rootfs-{variant}"));
    if image.join("index.json").is_file() {
        return Ok(image);
    }
    if !is_root() {
        bail!("not root (debootstrap needs root)");
    }
    std::fs::create_dir_all(&bench)?;
    let out = Command::new("flock")
        .arg(bench.join(format!(".rootfs-{variant}.lock")))
        .args([
            "bash",
            "-c",
            r#"[ -f "$1/index.json" ] || bash "$2" "$1" --variant "$3""#,
            "-",
        ])
        .arg(&image)
        .arg(shared.join("bench/make-rootfs-image.sh"))
        .arg(variant)
        .env("DEB_CACHE", bench.join("debs"))
        .output()?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last: Vec<&str> = stderr.lines().rev().take(3).collect();
        bail!(
            "make-rootfs-image.sh {variant} failed ({}): {}",
            out.status,
            last.into_iter().rev().collect::<Vec<_>>().join(" | ")
        );
    }
    Ok(image)
}

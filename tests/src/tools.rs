//! The real tools images are checked with.

use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::Command;

/// `e2fsck -fn IMAGE`: Ok with its output when it reports a clean filesystem (exit 0).
pub fn e2fsck_clean(image: &Path) -> Result<String> {
    let out = Command::new("e2fsck")
        .args(["-fn"])
        .arg(image)
        .output()
        .context("running e2fsck (install e2fsprogs)")?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        bail!(
            "e2fsck -fn {} exited {}:\n{text}",
            image.display(),
            out.status
        );
    }
    Ok(text)
}

/// Runs one debugfs request against an image, read-only.
pub fn debugfs(image: &Path, request: &str) -> Result<String> {
    let out = Command::new("debugfs")
        .args(["-R", request])
        .arg(image)
        .output()
        .context("running debugfs (install e2fsprogs)")?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

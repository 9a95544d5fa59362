//! Published blobs moved into the layout from the engine's work directory.

use crate::image::Sha256Digester;
use crate::layout::Layout;
use anyhow::{Context, Result};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// sha256 and length of a file.
pub fn hash_file(path: &Path) -> Result<(String, u64)> {
    let file = File::open(path).with_context(|| format!("failed to open {}", path.display()))?;
    digest_reader(file).with_context(|| format!("failed to read {}", path.display()))
}

/// sha256 and length of everything `r` yields.
pub fn digest_reader(mut r: impl Read) -> std::io::Result<(String, u64)> {
    let mut digester = Sha256Digester::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => digester.update(buf.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let len = digester.len();
    Ok((digester.finish(), len))
}

/// Puts the file at `path` into `layout` as blob `digest` and returns the stored path. A file
/// the caller owns (`movable`) is renamed in when it is on the same filesystem; otherwise it is
/// copied, and the copy checks the digest as it writes.
pub fn store_file(layout: &Layout, path: &Path, digest: &str, movable: bool) -> Result<PathBuf> {
    let dest = layout.blob_path(digest)?;
    if dest.is_file() {
        if movable {
            let _ = std::fs::remove_file(path);
        }
        return Ok(dest);
    }
    // A movable file is the runtime's own: it hashed this very file after the engine returned,
    // and nothing writes it since, so it is renamed in without a second pass.
    if movable {
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("failed to create {}", dir.display()))?;
        }
        if std::fs::rename(path, &dest).is_ok() {
            return Ok(dest);
        }
    }
    let file = File::open(path).with_context(|| format!("failed to open {}", path.display()))?;
    layout
        .write_blob_from(file, Some(digest))
        .with_context(|| format!("failed to store {}", path.display()))?;
    if movable {
        let _ = std::fs::remove_file(path);
    }
    Ok(dest)
}

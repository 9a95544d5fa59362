//! Published blobs moved into the layout from the engine's work directory, their digest checked.

use crate::image::Sha256Digester;
use crate::layout::Layout;
use anyhow::{Context, Result, bail};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// sha256 and length of a file.
pub fn hash_file(path: &Path) -> Result<(String, u64)> {
    let mut file =
        File::open(path).with_context(|| format!("failed to open {}", path.display()))?;
    let mut digester = Sha256Digester::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).with_context(|| format!("failed to read {}", path.display())),
        };
        digester.update(buf.get(..n).unwrap_or_default());
    }
    let len = digester.len();
    Ok((digester.finish(), len))
}

/// Puts the file at `path` into `layout` as blob `digest` and returns the stored path. A file
/// the caller owns (`movable`) is renamed in when it is on the same filesystem; otherwise it is
/// copied. Either way its content must hash to `digest`.
pub fn store_file(layout: &Layout, path: &Path, digest: &str, movable: bool) -> Result<PathBuf> {
    let dest = layout.blob_path(digest)?;
    if dest.is_file() {
        if movable {
            let _ = std::fs::remove_file(path);
        }
        return Ok(dest);
    }
    if movable {
        let (actual, _) = hash_file(path)?;
        if actual != digest {
            bail!(
                "published blob {} hashes to {actual}, not the {digest} the engine run reported",
                path.display()
            );
        }
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

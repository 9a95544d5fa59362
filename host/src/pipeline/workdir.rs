//! The work directory (`-d`, upstream's layout): `<dir>/<n>-<platform>-<hex>` per manifest and
//! `<NNNN>_<layer digest>` per layer inside it. Engines put their scratch files and sinks in
//! the layer directory. `--dump-manifest` leaves `config.json` and `manifest.json` in the
//! manifest directory and `index.json` in `<dir>` (a nested index is written before its parent,
//! which overwrites it, as upstream).

use crate::gojson::Descriptor;
use crate::image::{format_platform, sha256_hex};
use crate::layout::write_atomic;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// The work directory of one run.
#[derive(Debug, Clone)]
pub struct WorkDir {
    pub root: PathBuf,
    /// Keep per-layer and per-manifest files (`--reserve`).
    pub reserve: bool,
}

impl WorkDir {
    /// The directory of the `n`th manifest of the run (counted from 1 across all targets, in
    /// graph order, so the names do not depend on thread timing). Stale content is removed.
    pub fn image_dir(&self, n: usize, source: &Descriptor) -> Result<PathBuf> {
        let platform = source
            .platform
            .as_ref()
            .map(|p| format_platform(p).replace('/', "_"))
            .unwrap_or_default();
        let hex = sha256_hex(&source.digest)?;
        let dir = self.root.join(format!("{n}-{platform}-{hex}"));
        fresh_dir(&dir)?;
        Ok(dir)
    }

    /// The directory of layer `index` of an image.
    pub fn layer_dir(&self, image_dir: &Path, index: usize, digest: &str) -> Result<PathBuf> {
        let dir = image_dir.join(format!("{index:04}_{digest}"));
        fresh_dir(&dir)?;
        Ok(dir)
    }

    /// Removes a directory unless `--reserve`.
    pub fn discard(&self, dir: &Path) {
        if !self.reserve {
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    /// Writes `name` into `dir` (`--dump-manifest`).
    pub fn dump(&self, dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("failed to create {}", dir.display()))?;
        let path = dir.join(name);
        write_atomic(&path, bytes)?;
        Ok(path)
    }
}

fn fresh_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)
            .with_context(|| format!("failed to clear {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))
}

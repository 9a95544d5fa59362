//! Where converted blobs live, as dedup sees it: does the target store hold a blob, and can a
//! blob be brought in from the store another record names. OCI layouts implement it here; a
//! registry implements it with HEAD requests and cross-repository mounts.

use crate::layout::{Layout, Verify};
use anyhow::{Context, Result};
use std::fs::File;
use std::path::{Path, PathBuf};

/// A store as the database names it: upstream's `host` and `repo` columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub host: String,
    pub repository: String,
}

/// The target store of a run.
pub trait BlobSite: Sync {
    /// This store's name in the database.
    fn location(&self) -> &Location;
    /// Whether this store holds `digest` with `size` bytes.
    fn has_blob(&self, digest: &str, size: i64) -> Result<bool>;
    /// A small blob (a manifest, a layer record) of the store `at` names, checked against its
    /// digest; `None` when that store does not have it (or is gone).
    fn read_blob(&self, at: &Location, digest: &str) -> Result<Option<Vec<u8>>>;
    /// Brings blob `digest` (`size` bytes) in from the store `from` names. `false` when that
    /// store does not have it.
    fn copy_from(&self, from: &Location, digest: &str, size: i64) -> Result<bool>;
    /// Stores a small blob.
    fn put_blob(&self, bytes: &[u8]) -> Result<()>;
    /// A local file holding a blob of this store, to read it as a lower layer.
    fn local_file(&self, digest: &str) -> Result<PathBuf>;
}

/// The `host` of OCI layouts on this machine: never a registry name, and distinct per machine
/// so a shared database does not send one machine to another's paths.
pub fn layout_host() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_string());
    format!("oci-layout@{name}")
}

/// An OCI layout as a dedup site; its repository is its canonical path, so other layouts on
/// the machine can copy from it.
pub struct LayoutSite<'a> {
    layout: &'a Layout,
    location: Location,
}

impl<'a> LayoutSite<'a> {
    pub fn new(layout: &'a Layout) -> Result<LayoutSite<'a>> {
        let root = layout.root();
        let path = std::fs::canonicalize(root)
            .with_context(|| format!("failed to resolve {}", root.display()))?;
        Ok(LayoutSite {
            layout,
            location: Location {
                host: layout_host(),
                repository: path.display().to_string(),
            },
        })
    }

    /// Runs `f` on the layout `at` names; `None` when it is not on this machine or is gone.
    fn with_layout<T>(
        &self,
        at: &Location,
        f: impl FnOnce(&Layout) -> Result<T>,
    ) -> Result<Option<T>> {
        if at.host != self.location.host {
            return Ok(None);
        }
        if at.repository == self.location.repository {
            return f(self.layout).map(Some);
        }
        match Layout::open(Path::new(&at.repository)) {
            Ok(other) => f(&other).map(Some),
            Err(_) => Ok(None),
        }
    }
}

impl BlobSite for LayoutSite<'_> {
    fn location(&self) -> &Location {
        &self.location
    }

    fn has_blob(&self, digest: &str, size: i64) -> Result<bool> {
        let path = self.layout.blob_path(digest)?;
        Ok(
            std::fs::metadata(path)
                .is_ok_and(|m| m.is_file() && i64::try_from(m.len()) == Ok(size)),
        )
    }

    fn read_blob(&self, at: &Location, digest: &str) -> Result<Option<Vec<u8>>> {
        let blob = self.with_layout(at, |l| {
            if !l.has_blob(digest)? {
                return Ok(None);
            }
            l.read_blob(digest, Verify::Yes).map(Some)
        })?;
        Ok(blob.flatten())
    }

    fn copy_from(&self, from: &Location, digest: &str, size: i64) -> Result<bool> {
        if self.has_blob(digest, size)? {
            return Ok(true);
        }
        let path = self.with_layout(from, |l| l.blob_path(digest))?;
        let Some(Ok(file)) = path.map(File::open) else {
            return Ok(false);
        };
        let (_, len) = self
            .layout
            .write_blob_from(file, Some(digest))
            .with_context(|| format!("failed to copy {digest} from {}", from.repository))?;
        Ok(i64::try_from(len) == Ok(size))
    }

    fn put_blob(&self, bytes: &[u8]) -> Result<()> {
        self.layout.write_blob(bytes).map(drop)
    }

    fn local_file(&self, digest: &str) -> Result<PathBuf> {
        self.layout.blob_path(digest)
    }
}

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

/// What another store said about a blob. Only `Missing` makes a record stale: a store that
/// cannot be reached (a layout gone from this machine, a registry down) may still be another
/// machine's or come back, so its records are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched<T> {
    Found(T),
    Missing,
    Unreachable,
}

/// The target store of a run.
pub trait BlobSite: Sync {
    /// This store's name in the database.
    fn location(&self) -> &Location;
    /// Whether this store holds `digest` with `size` bytes.
    fn has_blob(&self, digest: &str, size: i64) -> Result<bool>;
    /// A small blob (a manifest, a layer record) of the store `at` names (this one or
    /// another), checked against its digest.
    fn read_blob(&self, at: &Location, digest: &str) -> Result<Fetched<Vec<u8>>>;
    /// Brings blob `digest` (`size` bytes) into this store from the store `from` names.
    fn copy_from(&self, from: &Location, digest: &str, size: i64) -> Result<Fetched<()>>;
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

    /// Runs `f` on the layout `at` names, when it is on this machine and still there.
    fn with_layout<T>(
        &self,
        at: &Location,
        f: impl FnOnce(&Layout) -> Result<Fetched<T>>,
    ) -> Result<Fetched<T>> {
        if at.host != self.location.host {
            return Ok(Fetched::Unreachable);
        }
        if at.repository == self.location.repository {
            return f(self.layout);
        }
        match Layout::open(Path::new(&at.repository)) {
            Ok(other) => f(&other),
            Err(_) => Ok(Fetched::Unreachable),
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

    fn read_blob(&self, at: &Location, digest: &str) -> Result<Fetched<Vec<u8>>> {
        self.with_layout(at, |l| {
            if !l.has_blob(digest)? {
                return Ok(Fetched::Missing);
            }
            l.read_blob(digest, Verify::Yes).map(Fetched::Found)
        })
    }

    fn copy_from(&self, from: &Location, digest: &str, size: i64) -> Result<Fetched<()>> {
        if self.has_blob(digest, size)? {
            return Ok(Fetched::Found(()));
        }
        let path = self.with_layout(from, |l| {
            let p = l.blob_path(digest)?;
            Ok(if p.is_file() {
                Fetched::Found(p)
            } else {
                Fetched::Missing
            })
        })?;
        let path = match path {
            Fetched::Found(p) => p,
            Fetched::Missing => return Ok(Fetched::Missing),
            Fetched::Unreachable => return Ok(Fetched::Unreachable),
        };
        let file =
            File::open(&path).with_context(|| format!("failed to open {}", path.display()))?;
        let (_, len) = self
            .layout
            .write_blob_from(file, Some(digest))
            .with_context(|| format!("failed to copy {digest} from {}", from.repository))?;
        if i64::try_from(len) != Ok(size) {
            anyhow::bail!(
                "{digest} in {} has {len} bytes, not {size}",
                from.repository
            );
        }
        Ok(Fetched::Found(()))
    }

    fn put_blob(&self, bytes: &[u8]) -> Result<()> {
        self.layout.write_blob(bytes).map(drop)
    }

    fn local_file(&self, digest: &str) -> Result<PathBuf> {
        self.layout.blob_path(digest)
    }
}

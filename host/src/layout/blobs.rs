//! Content-addressed blobs under `blobs/sha256/<hex>`: atomic writes, verified reads.

use super::Layout;
use crate::image::{Sha256Digester, sha256_hex};
use anyhow::{Context, Result, bail};
use std::fs::File;
use std::io::{Read, Write};
use std::path::PathBuf;

/// Whether a read recomputes the digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verify {
    Yes,
    No,
}

impl Layout {
    /// Path of a blob; the digest is validated first so it cannot escape the layout.
    pub fn blob_path(&self, digest: &str) -> Result<PathBuf> {
        let hex = sha256_hex(digest)?;
        Ok(self.root().join("blobs").join("sha256").join(hex))
    }

    pub fn has_blob(&self, digest: &str) -> Result<bool> {
        Ok(self.blob_path(digest)?.is_file())
    }

    /// Opens a blob for streaming reads.
    pub fn open_blob(&self, digest: &str) -> Result<File> {
        let path = self.blob_path(digest)?;
        File::open(&path).with_context(|| format!("failed to open blob {}", path.display()))
    }

    /// Reads a whole blob, optionally checking its sha256.
    pub fn read_blob(&self, digest: &str, verify: Verify) -> Result<Vec<u8>> {
        let path = self.blob_path(digest)?;
        let bytes = std::fs::read(&path)
            .with_context(|| format!("failed to read blob {}", path.display()))?;
        if verify == Verify::Yes {
            let mut d = Sha256Digester::new();
            d.update(&bytes);
            let actual = d.finish();
            if actual != digest {
                bail!(
                    "blob {} is corrupt: its content hashes to {actual}",
                    path.display()
                );
            }
        }
        Ok(bytes)
    }

    /// Stores `data` and returns `(digest, size)`.
    pub fn write_blob(&self, data: &[u8]) -> Result<(String, u64)> {
        self.write_blob_from(data, None)
    }

    /// Streams `reader` into the store through a temporary file renamed into place once the
    /// digest is known, so a blob path never holds partial content. With `expected`, a
    /// different digest is an error and nothing is stored.
    pub fn write_blob_from(
        &self,
        mut reader: impl Read,
        expected: Option<&str>,
    ) -> Result<(String, u64)> {
        if let Some(e) = expected {
            sha256_hex(e)?;
        }
        let dir = self.root().join("blobs").join("sha256");
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("failed to create {}", dir.display()))?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(&dir)
            .with_context(|| format!("failed to create a temporary file in {}", dir.display()))?;
        let mut digester = Sha256Digester::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e).context("failed to read blob content"),
            };
            let chunk = buf.get(..n).unwrap_or_default();
            digester.update(chunk);
            tmp.write_all(chunk)
                .context("failed to write blob content")?;
        }
        let size = digester.len();
        let digest = digester.finish();
        if let Some(e) = expected
            && e != digest
        {
            bail!("blob content hashes to {digest}, expected {e}");
        }
        tmp.as_file().sync_all().context("failed to flush blob")?;
        let path = self.blob_path(&digest)?;
        tmp.persist(&path)
            .with_context(|| format!("failed to move blob into {}", path.display()))?;
        Ok((digest, size))
    }
}

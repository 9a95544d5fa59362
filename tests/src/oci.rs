//! A minimal OCI image layout writer: content-addressed blobs, `index.json` with tags.

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub fn sha256_hex(data: &[u8]) -> String {
    format!("{:x}", Sha256::digest(data))
}

pub struct Layout {
    root: PathBuf,
    manifests: Vec<serde_json::Value>,
}

impl Layout {
    pub fn create(root: &Path) -> Result<Self> {
        std::fs::create_dir_all(root.join("blobs/sha256"))
            .with_context(|| format!("creating {}", root.display()))?;
        std::fs::write(
            root.join("oci-layout"),
            br#"{"imageLayoutVersion":"1.0.0"}"#,
        )?;
        Ok(Self {
            root: root.to_path_buf(),
            manifests: Vec::new(),
        })
    }

    /// Stores a blob and returns its `sha256:` digest.
    pub fn put_blob(&self, data: &[u8]) -> Result<String> {
        let hex = sha256_hex(data);
        std::fs::write(self.root.join("blobs/sha256").join(&hex), data)?;
        Ok(format!("sha256:{hex}"))
    }

    /// Adds a manifest to `index.json` under `tag`.
    pub fn tag(&mut self, media_type: &str, digest: &str, size: usize, tag: &str) {
        self.manifests.push(serde_json::json!({
            "mediaType": media_type,
            "digest": digest,
            "size": size,
            "annotations": { "org.opencontainers.image.ref.name": tag },
        }));
    }

    pub fn finish(self) -> Result<()> {
        let index = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": self.manifests,
        });
        std::fs::write(self.root.join("index.json"), serde_json::to_vec(&index)?)?;
        Ok(())
    }
}

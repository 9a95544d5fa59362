//! Helpers shared by the integration tests.
#![allow(dead_code)]

use anyhow::{Result, anyhow};
use convertor::gojson::Descriptor;
use convertor::image::{BlobSource, sha256_digest};
use std::collections::HashMap;
use std::path::PathBuf;

/// `/work/shared` beside the checkout, or `None` (with a note) when it is absent.
pub fn shared_dir() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared"));
    if p.join("fixtures/hello-world/index.json").is_file() {
        Some(p)
    } else {
        eprintln!("note: {} is absent; skipping this golden test", p.display());
        None
    }
}

/// An in-memory blob store keyed by digest.
#[derive(Default)]
pub struct MemSource {
    pub blobs: HashMap<String, Vec<u8>>,
}

impl MemSource {
    /// Stores `bytes` and returns a descriptor of type `media_type` for them.
    pub fn put(&mut self, media_type: &str, bytes: &[u8]) -> Descriptor {
        let d = sha256_digest(bytes);
        self.blobs.insert(d.clone(), bytes.to_vec());
        Descriptor::new(media_type, &d, bytes.len() as i64)
    }
}

impl BlobSource for MemSource {
    fn fetch(&self, desc: &Descriptor) -> Result<Vec<u8>> {
        self.blobs
            .get(&desc.digest)
            .cloned()
            .ok_or_else(|| anyhow!("blob {} not found", desc.digest))
    }
}

/// A unique scratch directory under the target dir, removed on drop.
pub fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("creating a temporary directory")
}

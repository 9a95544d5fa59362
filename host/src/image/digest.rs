//! `sha256:<hex>` digests: validation and computation.

use super::ImageError;
use sha2::{Digest as _, Sha256};

/// Checks that `digest` is `sha256:` followed by 64 lowercase hex digits and returns the hex.
pub fn sha256_hex(digest: &str) -> Result<&str, ImageError> {
    let hex = digest
        .strip_prefix("sha256:")
        .ok_or_else(|| ImageError::BadDigest(digest.to_string()))?;
    let ok = hex.len() == 64 && hex.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
    if ok {
        Ok(hex)
    } else {
        Err(ImageError::BadDigest(digest.to_string()))
    }
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Incremental `sha256:<hex>` over streamed bytes.
#[derive(Default, Clone)]
pub struct Sha256Digester {
    hasher: Sha256,
    len: u64,
}

impl Sha256Digester {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn update(&mut self, data: &[u8]) {
        self.hasher.update(data);
        self.len = self.len.saturating_add(data.len() as u64);
    }
    /// Bytes seen so far.
    pub fn len(&self) -> u64 {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn finish(self) -> String {
        format!("sha256:{}", hex::encode(self.hasher.finalize()))
    }
}

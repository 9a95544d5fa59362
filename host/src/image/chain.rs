//! OCI chain IDs over a config's `diff_ids`, and the chainID → UUID rule overlaybd layers carry
//! (upstream-convertor.md §2.7).

use super::ImageError;
use super::digest::{sha256_digest, sha256_hex};

/// `chain[0] = diff_id[0]`, `chain[i] = sha256(chain[i-1] + " " + diff_id[i])`.
pub fn chain_ids(diff_ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(diff_ids.len());
    for d in diff_ids {
        let next = match out.last() {
            None => d.clone(),
            Some(parent) => sha256_digest(format!("{parent} {d}").as_bytes()),
        };
        out.push(next);
    }
    out
}

/// The first 32 hex digits of a sha256 chain ID as `8-4-4-4-12`, lower case (the LSMT header
/// stores the same UUID upper-cased).
pub fn uuid_from_chain_id(chain_id: &str) -> Result<String, ImageError> {
    let hex = sha256_hex(chain_id)?;
    let part = |a: usize, b: usize| hex.get(a..b).unwrap_or_default();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        part(0, 8),
        part(8, 12),
        part(12, 16),
        part(16, 20),
        part(20, 32)
    ))
}

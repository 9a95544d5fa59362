//! OCI chain IDs and the LSMT UUIDs the Go convertor derives from them (§2.7).

use crate::ConvertError;
use lsmt::Uuid;
use sha2::{Digest, Sha256};

/// `chain[0] = diff_id[0]`, `chain[i] = sha256(chain[i-1] + " " + diff_id[i])`.
pub fn chain_ids<S: AsRef<str>>(diff_ids: &[S]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(diff_ids.len());
    for d in diff_ids {
        let next = match out.last() {
            None => d.as_ref().to_string(),
            Some(prev) => {
                let h = Sha256::digest(format!("{prev} {}", d.as_ref()).as_bytes());
                format!("sha256:{h:x}")
            }
        };
        out.push(next);
    }
    out
}

/// The first 32 hex digits of the chain ID as an 8-4-4-4-12 UUID.
pub fn uuid_from_chain_id(chain_id: &str) -> Result<Uuid, ConvertError> {
    let bad = || ConvertError::BadChainId(chain_id.to_string());
    let hex = chain_id.strip_prefix("sha256:").ok_or_else(bad)?;
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let s = format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    );
    Uuid::parse(&s).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_world_chain_id_gives_upstreams_uuid() {
        let u = uuid_from_chain_id(
            "sha256:01bb4fce3eb1b56b05adf99504dafd31907a5aadac736e36b27595c8b92f07f1",
        )
        .unwrap();
        assert_eq!(u.to_string(), "01BB4FCE-3EB1-B56B-05AD-F99504DAFD31");
    }

    #[test]
    fn chain_ids_follow_the_oci_rule() {
        let ids = chain_ids(&["sha256:a", "sha256:b"]);
        assert_eq!(ids[0], "sha256:a");
        let want = format!("sha256:{:x}", Sha256::digest(b"sha256:a sha256:b"));
        assert_eq!(ids[1], want);
        assert!(uuid_from_chain_id("sha256:zz").is_err());
    }
}

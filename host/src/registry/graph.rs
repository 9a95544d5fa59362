//! The content under a manifest or index, read generically (any manifest, index or artifact
//! type) so copies and pushes carry every referenced document and blob byte for byte.

use crate::gojson::Descriptor;
use crate::image::DOCKER_FOREIGN_LAYER_GZIP;
use anyhow::{Context, Result};

/// What one document references directly.
#[derive(Debug, Default)]
pub struct Children {
    /// Index entries: manifests or nested indexes.
    pub manifests: Vec<Descriptor>,
    /// A manifest's config and layers.
    pub blobs: Vec<Descriptor>,
}

/// Parses the references of a manifest or index. Foreign (non-distributable) layers are left
/// out: registries do not hold them.
pub fn children(digest: &str, bytes: &[u8]) -> Result<Children> {
    let v: serde_json::Value = serde_json::from_slice(bytes)
        .with_context(|| format!("{digest} is not a JSON manifest or index"))?;
    let list = |key: &str| -> Result<Vec<Descriptor>> {
        let Some(items) = v.get(key).and_then(|m| m.as_array()) else {
            return Ok(Vec::new());
        };
        items.iter().map(|d| descriptor(digest, d)).collect()
    };
    let mut out = Children {
        manifests: list("manifests")?,
        blobs: Vec::new(),
    };
    if let Some(config) = v.get("config") {
        out.blobs.push(descriptor(digest, config)?);
    }
    out.blobs.extend(list("layers")?.into_iter().filter(|d| {
        d.media_type != DOCKER_FOREIGN_LAYER_GZIP && !d.media_type.contains("nondistributable")
    }));
    Ok(out)
}

fn descriptor(parent: &str, v: &serde_json::Value) -> Result<Descriptor> {
    let digest = v
        .get("digest")
        .and_then(|d| d.as_str())
        .with_context(|| format!("{parent}: a descriptor has no digest"))?;
    crate::image::sha256_hex(digest).with_context(|| format!("{parent}: bad descriptor"))?;
    let size = v.get("size").and_then(|s| s.as_i64()).unwrap_or(-1);
    let media_type = v
        .get("mediaType")
        .and_then(|m| m.as_str())
        .unwrap_or_default();
    Ok(Descriptor::new(media_type, digest, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_index_entries_and_manifest_blobs_without_foreign_layers() {
        let d = |c: char| format!("sha256:{}", c.to_string().repeat(64));
        let index = format!(
            r#"{{"manifests":[{{"mediaType":"m","digest":"{}","size":3}}]}}"#,
            d('a')
        );
        let c = children("x", index.as_bytes()).unwrap();
        assert_eq!(c.manifests.len(), 1);
        assert!(c.blobs.is_empty());
        let manifest = format!(
            r#"{{"config":{{"digest":"{}","size":1}},"layers":[{{"digest":"{}","size":2}},{{"mediaType":"{DOCKER_FOREIGN_LAYER_GZIP}","digest":"{}","size":2}}]}}"#,
            d('b'),
            d('c'),
            d('d')
        );
        let c = children("x", manifest.as_bytes()).unwrap();
        let digests: Vec<_> = c.blobs.iter().map(|b| b.digest.clone()).collect();
        assert_eq!(digests, [d('b'), d('c')]);
        assert!(children("x", br#"{"layers":[{"digest":"md5:00"}]}"#).is_err());
    }
}

//! Turning the engine's layer list into published blobs: check names, keep files, hash them.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::bindings::convertor::engine::types::PublishedLayer as WitLayer;
use crate::error::ConvertError;
use crate::resources::hasher::digest_string;
use crate::resources::sink::SinkFile;

/// What one `convert_layer` call produced, in image order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerResult {
    pub layers: Vec<PublishedLayer>,
}

/// One blob to publish; the host hashed it after the engine returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedLayer {
    /// A kept sink file in the work directory (the caller removes it), or an asset's path.
    pub blob_path: PathBuf,
    /// `sha256:<hex>` of the file.
    pub digest: String,
    pub size: u64,
    pub media_type: String,
    pub annotations: Vec<(String, String)>,
    /// The config's `rootfs.diff_ids` entry (the blob's digest when the engine gave none).
    pub diff_id: String,
}

pub(crate) fn publish(
    layers: Vec<WitLayer>,
    mut sinks: BTreeMap<String, SinkFile>,
    assets: &BTreeMap<String, PathBuf>,
) -> Result<LayerResult, ConvertError> {
    for layer in &layers {
        check(layer, &sinks, assets)?;
    }
    // Keep only published sinks; the rest are deleted when `sinks` drops.
    let mut kept: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut out = Vec::with_capacity(layers.len());
    for layer in layers {
        let path = match kept.get(&layer.blob) {
            Some(path) => path.clone(),
            None => match sinks.remove(&layer.blob) {
                Some(sink) => {
                    let (_, path) = sink
                        .file
                        .keep()
                        .map_err(|err| ConvertError::Host(err.into()))?;
                    kept.insert(layer.blob.clone(), path.clone());
                    path
                }
                None => assets.get(&layer.blob).cloned().unwrap_or_default(),
            },
        };
        let (digest, size) = hash_file(&path).map_err(ConvertError::Host)?;
        let diff_id = layer.diff_id.unwrap_or_else(|| digest.clone());
        out.push(PublishedLayer {
            blob_path: path,
            digest,
            size,
            media_type: layer.media_type,
            annotations: layer.annotations,
            diff_id,
        });
    }
    Ok(LayerResult { layers: out })
}

fn check(
    layer: &WitLayer,
    sinks: &BTreeMap<String, SinkFile>,
    assets: &BTreeMap<String, PathBuf>,
) -> Result<(), ConvertError> {
    let malformed = |msg: String| Err(ConvertError::MalformedDescriptor(msg));
    if !sinks.contains_key(&layer.blob) && !assets.contains_key(&layer.blob) {
        return malformed(format!(
            "blob {:?} names neither a sink nor an asset",
            layer.blob
        ));
    }
    if layer.media_type.is_empty() {
        return malformed(format!("blob {:?} has no media type", layer.blob));
    }
    if let Some(diff_id) = &layer.diff_id
        && !is_sha256_digest(diff_id)
    {
        return malformed(format!("diff_id {diff_id:?} is not a sha256 digest"));
    }
    Ok(())
}

fn is_sha256_digest(s: &str) -> bool {
    s.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn hash_file(path: &Path) -> anyhow::Result<(String, u64)> {
    let mut file = File::open(path)?;
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
        size += n as u64;
    }
    Ok((digest_string(hash), size))
}

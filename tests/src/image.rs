//! The layers of an image in an OCI layout, for the benchmarks and end-to-end tests.

use anyhow::{Context, Result, bail};
use std::io::Read;
use std::path::{Path, PathBuf};

pub struct LayerBlob {
    pub path: PathBuf,
    /// `sha256:` of the blob, and of its uncompressed tar (from the image config).
    pub digest: String,
    pub diff_id: String,
    pub media_type: String,
    pub gzip: bool,
    /// Length of the uncompressed tar.
    pub diff_size: u64,
}

fn read_json(path: &Path) -> Result<serde_json::Value> {
    serde_json::from_slice(
        &std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
    )
    .with_context(|| format!("parsing {}", path.display()))
}

pub fn blob_path(layout: &Path, digest: &str) -> Result<PathBuf> {
    let hex = digest
        .strip_prefix("sha256:")
        .with_context(|| format!("bad digest {digest}"))?;
    Ok(layout.join("blobs/sha256").join(hex))
}

/// Layers of the single-platform image tagged `tag` (the first manifest when the tag names an
/// index), bottom first.
pub fn image_layers(layout: &Path, tag: &str) -> Result<Vec<LayerBlob>> {
    let index = read_json(&layout.join("index.json"))?;
    let entry = index["manifests"]
        .as_array()
        .context("index.json has no manifests")?
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag)
        .with_context(|| format!("no tag {tag:?} in {}", layout.display()))?;
    let mut doc = read_json(&blob_path(layout, entry["digest"].as_str().unwrap_or(""))?)?;
    while doc["manifests"].is_array() {
        let first = doc["manifests"][0]["digest"]
            .as_str()
            .unwrap_or("")
            .to_string();
        doc = read_json(&blob_path(layout, &first)?)?;
    }
    let Some(layers) = doc["layers"].as_array() else {
        bail!("the manifest has no layers")
    };
    let config = read_json(&blob_path(
        layout,
        doc["config"]["digest"].as_str().unwrap_or(""),
    )?)?;
    let diff_ids = config["rootfs"]["diff_ids"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    layers
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let path = blob_path(layout, l["digest"].as_str().unwrap_or(""))?;
            let mut blob = LayerBlob {
                gzip: std::fs::File::open(&path)
                    .and_then(|mut f| {
                        let mut m = [0u8; 2];
                        f.read_exact(&mut m).map(|_| m == [0x1f, 0x8b])
                    })
                    .unwrap_or(false),
                media_type: l["mediaType"].as_str().unwrap_or("").to_string(),
                digest: l["digest"].as_str().unwrap_or("").to_string(),
                diff_id: diff_ids
                    .get(i)
                    .and_then(|d| d.as_str())
                    .unwrap_or("")
                    .to_string(),
                path,
                diff_size: 0,
            };
            let mut r = overlaybd::source::decompress(std::io::BufReader::new(
                std::fs::File::open(&blob.path)?,
            ))?;
            blob.diff_size = std::io::copy(&mut r, &mut std::io::sink())?;
            Ok(blob)
        })
        .collect()
}

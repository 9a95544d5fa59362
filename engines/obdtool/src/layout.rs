//! A converted image in an OCI layout, as the layer list `flatten` takes: native layers are
//! their blobs; TurboOCI meta layers point at their original blob through the
//! `turbo-oci/target-digest` annotation (legacy `fastoci` names too).

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

const TARGET_KEYS: [&str; 2] = [
    "containerd.io/snapshot/overlaybd/turbo-oci/target-digest",
    "containerd.io/snapshot/overlaybd/fastoci/target-digest",
];

/// Layer blobs bottom first, and the original blobs of the TurboOCI ones in order.
pub struct ImageLayers {
    pub layers: Vec<PathBuf>,
    pub targets: Vec<PathBuf>,
}

fn read_json(path: &Path) -> Result<serde_json::Value> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", path.display()))
}

fn blob(layout: &Path, digest: &serde_json::Value) -> Result<PathBuf> {
    let digest = digest.as_str().context("a descriptor without a digest")?;
    let hex = digest
        .strip_prefix("sha256:")
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .with_context(|| format!("unsupported digest {digest}"))?;
    Ok(layout.join("blobs/sha256").join(hex))
}

/// Resolves `tag` (an index picks the manifest for `platform`, `os/arch[/variant]`, or its only
/// or first one) to the image's layers.
pub fn image_layers(layout: &Path, tag: &str, platform: Option<&str>) -> Result<ImageLayers> {
    let index = read_json(&layout.join("index.json"))?;
    let entry = index["manifests"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag)
        .with_context(|| format!("no tag {tag:?} in {}", layout.display()))?;
    let mut doc = read_json(&blob(layout, &entry["digest"])?)?;
    for _ in 0..8 {
        let Some(children) = doc["manifests"].as_array() else {
            break;
        };
        let pick = children
            .iter()
            .find(|m| platform.is_none_or(|p| platform_of(m) == p))
            .with_context(|| format!("no manifest for platform {platform:?} under {tag:?}"))?;
        doc = read_json(&blob(layout, &pick["digest"])?)?;
    }
    let Some(descs) = doc["layers"].as_array() else {
        bail!("{tag:?} names no image manifest")
    };
    let mut out = ImageLayers {
        layers: Vec::new(),
        targets: Vec::new(),
    };
    for d in descs {
        out.layers.push(blob(layout, &d["digest"])?);
        if let Some(target) = TARGET_KEYS
            .iter()
            .map(|k| &d["annotations"][*k])
            .find(|v| v.is_string())
        {
            out.targets.push(blob(layout, target)?);
        }
    }
    Ok(out)
}

fn platform_of(m: &serde_json::Value) -> String {
    let p = &m["platform"];
    let mut s = format!(
        "{}/{}",
        p["os"].as_str().unwrap_or(""),
        p["architecture"].as_str().unwrap_or("")
    );
    if let Some(v) = p["variant"].as_str() {
        s = format!("{s}/{v}");
    }
    s
}

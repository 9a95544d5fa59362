//! OCI image layouts (`oci-layout`, `index.json`, `blobs/sha256/<hex>`): the offline
//! repository behind `-r oci:DIR`.

mod blobs;
mod tags;

pub use blobs::Verify;

use crate::gojson::{self, Descriptor, Index};
use crate::image::{BlobSource, OCI_INDEX};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const LAYOUT_FILE: &str = "oci-layout";
const LAYOUT_CONTENT: &[u8] = br#"{"imageLayoutVersion":"1.0.0"}"#;

/// An OCI image layout directory.
#[derive(Debug)]
pub struct Layout {
    root: PathBuf,
    /// Serialises read-modify-write cycles of `index.json` within this process.
    index_lock: Mutex<()>,
}

impl Layout {
    /// Opens an existing layout; `oci-layout` must be present and declare version 1.x.
    pub fn open(root: impl AsRef<Path>) -> Result<Layout> {
        let root = root.as_ref().to_path_buf();
        let marker = root.join(LAYOUT_FILE);
        let text = std::fs::read(&marker).with_context(|| {
            format!(
                "{} is not an OCI layout: cannot read {}",
                root.display(),
                marker.display()
            )
        })?;
        let v: serde_json::Value = serde_json::from_slice(&text)
            .with_context(|| format!("{} is not valid JSON", marker.display()))?;
        match v.get("imageLayoutVersion").and_then(|v| v.as_str()) {
            Some(ver) if ver.starts_with("1.") => {}
            other => bail!(
                "{}: unsupported imageLayoutVersion {other:?}",
                marker.display()
            ),
        }
        Ok(Layout {
            root,
            index_lock: Mutex::new(()),
        })
    }

    /// Opens a layout, creating the directory, `oci-layout` and an empty `index.json` when
    /// they are missing.
    pub fn open_or_create(root: impl AsRef<Path>) -> Result<Layout> {
        let root = root.as_ref();
        std::fs::create_dir_all(root.join("blobs").join("sha256"))
            .with_context(|| format!("failed to create {}", root.display()))?;
        if !root.join(LAYOUT_FILE).exists() {
            write_atomic(&root.join(LAYOUT_FILE), LAYOUT_CONTENT)?;
        }
        let layout = Layout::open(root)?;
        if !root.join("index.json").exists() {
            let empty = Index {
                schema_version: 2,
                media_type: OCI_INDEX.to_string(),
                manifests: Some(Vec::new()),
                ..Index::default()
            };
            layout.write_index(&empty)?;
        }
        Ok(layout)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Decodes `index.json`.
    pub fn index(&self) -> Result<Index> {
        let path = self.root.join("index.json");
        let bytes =
            std::fs::read(&path).with_context(|| format!("failed to read {}", path.display()))?;
        gojson::from_slice(&bytes).with_context(|| format!("failed to decode {}", path.display()))
    }

    /// Replaces `index.json` through a temporary file and a rename, so readers never see a
    /// half-written index.
    pub fn write_index(&self, index: &Index) -> Result<()> {
        write_atomic(&self.root.join("index.json"), &gojson::to_vec(index))
    }
}

/// Reads the blob a descriptor names, verifying digest and size.
impl BlobSource for Layout {
    fn fetch(&self, desc: &Descriptor) -> Result<Vec<u8>> {
        let bytes = self.read_blob(&desc.digest, Verify::Yes)?;
        if i64::try_from(bytes.len()).ok() != Some(desc.size) {
            bail!(
                "blob {} has {} bytes but its descriptor says {}",
                desc.digest,
                bytes.len(),
                desc.size
            );
        }
        Ok(bytes)
    }
}

/// Writes `data` to `path` via a temporary file in the same directory and a rename.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .with_context(|| format!("failed to create a temporary file in {}", dir.display()))?;
    tmp.write_all(data)
        .and_then(|_| tmp.as_file().sync_all())
        .with_context(|| format!("failed to write {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("failed to replace {}", path.display()))?;
    Ok(())
}

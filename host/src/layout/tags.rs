//! Tags: `index.json` entries named by the `org.opencontainers.image.ref.name` annotation.

use super::Layout;
use crate::gojson::{self, Descriptor};
use crate::image::{ANNOTATION_REF_NAME, OCI_INDEX, OCI_MANIFEST, sha256_hex};
use anyhow::{Context, Result, anyhow, bail};

impl Layout {
    /// Every tagged entry as `(tag, descriptor)`, in `index.json` order.
    pub fn tags(&self) -> Result<Vec<(String, Descriptor)>> {
        Ok(self
            .index()?
            .manifests()
            .iter()
            .filter_map(|d| {
                d.annotations
                    .get(ANNOTATION_REF_NAME)
                    .map(|t| (t.clone(), d.clone()))
            })
            .collect())
    }

    /// The descriptor tagged `tag`. The last entry wins if a tag repeats.
    pub fn resolve_tag(&self, tag: &str) -> Result<Descriptor> {
        self.tags()?
            .into_iter()
            .rev()
            .find(|(t, _)| t == tag)
            .map(|(_, d)| d)
            .ok_or_else(|| {
                anyhow!(
                    "tag {tag:?} not found in OCI layout {}",
                    self.root().display()
                )
            })
    }

    /// A descriptor for `digest`: its `index.json` entry when there is one, otherwise the blob
    /// itself, typed by its `mediaType` field (or, without one, by its shape).
    pub fn resolve_digest(&self, digest: &str) -> Result<Descriptor> {
        sha256_hex(digest)?;
        if let Some(d) = self
            .index()?
            .manifests()
            .iter()
            .find(|d| d.digest == digest)
        {
            let mut d = d.clone();
            d.annotations.remove(ANNOTATION_REF_NAME);
            return Ok(d);
        }
        if !self.has_blob(digest)? {
            bail!(
                "digest {digest} not found in OCI layout {}",
                self.root().display()
            );
        }
        let bytes = self.read_blob(digest, super::Verify::Yes)?;
        let v: serde_json::Value = serde_json::from_slice(&bytes)
            .with_context(|| format!("blob {digest} is not a JSON manifest or index"))?;
        let media_type = match v.get("mediaType").and_then(|m| m.as_str()) {
            Some(m) if !m.is_empty() => m.to_string(),
            _ if v.get("manifests").is_some() => OCI_INDEX.to_string(),
            _ if v.get("config").is_some() => OCI_MANIFEST.to_string(),
            _ => String::new(),
        };
        let size = i64::try_from(bytes.len()).context("blob too large")?;
        Ok(Descriptor::new(&media_type, digest, size))
    }

    /// Points `tag` at `desc`: an entry already carrying the tag is replaced in place,
    /// otherwise the entry is appended. The descriptor's blob must already be stored.
    pub fn tag(&self, tag: &str, desc: &Descriptor) -> Result<()> {
        if tag.is_empty() {
            bail!("an empty tag cannot name an OCI layout entry");
        }
        if !self.has_blob(&desc.digest)? {
            bail!(
                "cannot tag {tag:?}: blob {} is not in the layout",
                desc.digest
            );
        }
        let _guard = self
            .index_lock
            .lock()
            .map_err(|_| anyhow!("index.json lock poisoned"))?;
        let mut index = self.index()?;
        let mut entry = desc.clone();
        entry
            .annotations
            .insert(ANNOTATION_REF_NAME.to_string(), tag.to_string());
        let manifests = index.manifests.get_or_insert_with(Vec::new);
        let is_tag = |d: &Descriptor| {
            d.annotations
                .get(ANNOTATION_REF_NAME)
                .is_some_and(|t| t == tag)
        };
        match manifests.iter().position(is_tag) {
            Some(pos) => {
                if let Some(slot) = manifests.get_mut(pos) {
                    *slot = entry;
                }
                // Drop any further duplicates of the tag so it resolves to one entry.
                let mut seen = 0usize;
                manifests.retain(|d| {
                    if is_tag(d) {
                        seen += 1;
                        seen == 1
                    } else {
                        true
                    }
                });
            }
            None => manifests.push(entry),
        }
        self.write_index(&index)
    }

    /// Stores a JSON document (manifest, index or config) and returns its descriptor.
    pub fn put_document(&self, media_type: &str, bytes: &[u8]) -> Result<Descriptor> {
        let (digest, size) = self.write_blob(bytes)?;
        let size = i64::try_from(size).context("document too large")?;
        Ok(Descriptor::new(media_type, &digest, size))
    }

    /// Stores a Go-serialized value, as `put_document` does for bytes.
    pub fn put_json<T: gojson::GoEncode>(&self, media_type: &str, value: &T) -> Result<Descriptor> {
        self.put_document(media_type, &gojson::to_vec(value))
    }
}

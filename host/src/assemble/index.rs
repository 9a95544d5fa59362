//! The converted index.

use super::{AssembleOptions, Document};
use crate::gojson::{self, Descriptor, Index};
use crate::image::{MediaFamily, OCI_INDEX};
use anyhow::{Result, bail};

/// The parent-index entry for a converted child: the source entry with only media type,
/// digest and size replaced, so platform, annotations and the rest survive.
pub fn child_entry(source_entry: &Descriptor, converted: &Descriptor) -> Descriptor {
    let mut e = source_entry.clone();
    e.media_type = converted.media_type.clone();
    e.digest = converted.digest.clone();
    e.size = converted.size;
    e
}

/// The source index with its children replaced in place. `converted` has one slot per source
/// entry: `Some` is the converted child's descriptor, `None` drops the entry (attestations,
/// filtered platforms).
pub fn new_index(
    source: &Index,
    source_desc: &Descriptor,
    converted: &[Option<Descriptor>],
    opts: &AssembleOptions,
) -> Result<Index> {
    let entries = source.manifests();
    if entries.len() != converted.len() {
        bail!(
            "index {} has {} entries but {} conversion results were given",
            source_desc.digest,
            entries.len(),
            converted.len()
        );
    }
    let mut index = source.clone();
    if source.manifests.is_some() {
        index.manifests = Some(
            entries
                .iter()
                .zip(converted)
                .filter_map(|(e, c)| c.as_ref().map(|c| child_entry(e, c)))
                .collect(),
        );
    }
    if let Some(at) = &opts.referrer_artifact_type {
        index.artifact_type = at.clone();
        index.subject = Some(source_desc.bare());
    }
    if opts.family == MediaFamily::Oci {
        index.media_type = OCI_INDEX.to_string();
    }
    Ok(index)
}

/// Serializes the converted index. Its descriptor takes the index's own `mediaType`, which in
/// Docker mode is the source's and may be empty (upstream pushes it that way).
pub fn assemble_index(
    source: &Index,
    source_desc: &Descriptor,
    converted: &[Option<Descriptor>],
    opts: &AssembleOptions,
) -> Result<Document> {
    let index = new_index(source, source_desc, converted, opts)?;
    Ok(Document::new(&index.media_type, gojson::to_vec(&index)))
}

//! Output documents: the converted config, manifest and index, built from the source documents
//! and the engine's layers exactly as upstream builds them (upstream-convertor.md §2.9).

mod config;
mod index;
mod manifest;

pub use config::new_config;
pub use index::{assemble_index, child_entry, new_index};
pub use manifest::{assemble_image, new_manifest};

use crate::gojson::Descriptor;
use crate::image::MediaFamily;

/// One layer of the output image: the descriptor as the engine decided it (media type,
/// annotations) with the stored blob's digest and size, and its config `diff_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputLayer {
    pub descriptor: Descriptor,
    pub diff_id: String,
}

/// How output documents are typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssembleOptions {
    /// `Oci` for `--oci` (and always in referrer mode); `Docker` writes Docker schema2 manifests
    /// and keeps each index's source media type.
    pub family: MediaFamily,
    /// Referrer mode: the `artifactType` of the output format. Every output document then
    /// carries it and a `subject` naming its source.
    pub referrer_artifact_type: Option<String>,
}

/// A serialized document and the descriptor that addresses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub bytes: Vec<u8>,
    pub descriptor: Descriptor,
}

impl Document {
    pub(crate) fn new(media_type: &str, bytes: Vec<u8>) -> Document {
        let digest = crate::image::sha256_digest(&bytes);
        // A Vec never holds more than isize::MAX bytes, so this cannot saturate.
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        Document {
            descriptor: Descriptor::new(media_type, &digest, size),
            bytes,
        }
    }
}

/// A converted image: config first (the manifest references it), then the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssembledImage {
    pub config: Document,
    pub manifest: Document,
}

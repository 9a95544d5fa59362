//! The image model the host works on: media types, digests, chain IDs, platform filters and
//! the manifest/index graph.

mod chain;
mod digest;
mod graph;
mod media;
mod platform;

pub use chain::{chain_ids, uuid_from_chain_id};
pub use digest::{Sha256Digester, sha256_digest, sha256_hex};
pub use graph::{
    BlobSource, Child, Graph, ImageNode, IndexNode, Node, SkipReason, is_attestation, load_image,
    walk,
};
pub use media::*;
pub use platform::{PlatformFilter, PlatformSpec, format_platform};

/// Image-level failures a caller may want to tell apart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("unsupported media type {0:?}")]
    UnsupportedMediaType(String),
    #[error("config of manifest {manifest} has {diff_ids} diff_ids for {layers} layers")]
    MissingDiffIds {
        manifest: String,
        layers: usize,
        diff_ids: usize,
    },
    #[error("{0:?} is not a digest of the form sha256:<64 lowercase hex digits>")]
    BadDigest(String),
    #[error("platform {0:?} is not of the form os/arch[/variant]")]
    BadPlatform(String),
    #[error("no manifest under {0} matches the requested platforms")]
    NoMatchingPlatform(String),
    #[error("indexes nested too deeply under {0}")]
    TooDeep(String),
}

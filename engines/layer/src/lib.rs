//! Opens overlaybd layer blobs as they come out of a registry and stacks them.
//!
//! A native layer is an LSMT file, usually ZFile-compressed, usually inside the
//! `overlaybd.commit` tar; the reader peels whatever is there in that order (§2.9). A TurboOCI
//! layer is a gzip'ed tar holding the fs meta (a ZFile'd warp LSMT) and the gzip index of the
//! original layer blob, whose data the warp records point into.

mod error;
mod flatten;
mod native;
mod stack;
mod turbo;

pub use error::LayerError;
pub use flatten::flatten;
pub use native::{Container, OpenedBlob, open_blob};
pub use stack::{LayerSource, open_stack};
pub use turbo::{TurboMeta, open_turbo, read_turbo_meta};

/// A shareable random-access byte source.
pub type DynRead = Box<dyn blockio::ReadAt + Send + Sync>;

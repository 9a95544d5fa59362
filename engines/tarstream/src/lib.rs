//! Streaming tar reader for OCI layers: ustar, GNU and PAX, sparse members.
//!
//! Reads what overlaybd's tar code ignores (formats.md §3.6): PAX uid/gid/mtime, PAX global
//! headers, GNU base-256 numbers and all GNU sparse encodings. [`compression`] turns a layer
//! blob into its tar stream.

pub mod compression;
mod entry;
mod error;
mod header;
mod kind;
mod number;
mod pax;
mod reader;
mod source;
mod sparse;

pub use entry::{Entry, EntryKind, Segment};
pub use error::TarError;
pub use reader::{MAX_EXTENSION_SIZE, TarReader};

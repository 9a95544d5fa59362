//! Streaming tar reader for OCI layers: ustar, GNU and PAX, sparse members.

mod entry;
pub use entry::{Entry, EntryKind, Segment};

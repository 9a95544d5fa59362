//! OCI layer apply rules over a filesystem trait.
//!
//! [`apply_layer`] reads a layer tar and applies it onto any [`Filesystem`]: names are
//! confined to the image root, parents are resolved through symlinks inside the image,
//! whiteouts and replacements follow the OCI rules, and in meta-only (TurboOCI) mode file
//! data is mapped to the tar instead of written. [`memfs::MemFs`] is the in-memory reference
//! filesystem the tests of this crate and of the ext4 engine compare against.

mod apply;
mod data;
mod error;
mod extracted;
mod fs;
pub mod memfs;
mod name;
mod remove;
mod report;
mod resolve;
mod restamp;
mod source;

pub use apply::{apply_entries, apply_layer};
pub use error::ApplyError;
pub use fs::{Attrs, FileType, Filesystem, FsError, FsResult, Ino, Timestamp};
pub use report::{ApplyOptions, ApplyReport, RemoteMapping};
pub use source::EntrySource;

//! The overlaybd.commit tar wrapper around a registry blob (spec §2.9).
//!
//! Writing: the 1536-byte PAX + ustar prefix of `overlaybd-commit -t`, the Go archive/tar
//! header of the base layer, and the zero suffix. Reading: locating the payload of a tar blob.

mod detect;
mod error;
mod fields;
mod prefix;
mod ustar;
mod writer;

pub use detect::find_payload;
pub use error::TarWrapError;
pub use prefix::{
    BLOCK, DEFAULT_GROUP, DEFAULT_MODE, DEFAULT_USER, PREFIX_LEN, prefix, suffix_len,
};
pub use ustar::plain_ustar_header;
pub use writer::TarWrapWriter;

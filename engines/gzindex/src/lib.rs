//! Gzip random-access index (overlaybd gzip.meta, spec §4.2): builder and reader.
//!
//! [`IndexBuilder`] decompresses a gzip stream through `Read` while choosing checkpoints with
//! upstream's exact rule, [`GzIndex`] encodes/decodes the gzip.meta file, and [`GzIndexReader`]
//! serves positioned reads of the uncompressed stream from the blob and its index.
//!
//! Checkpoints, windows and header values match upstream's; the encoded file is not
//! byte-identical because zlib-rs deflates the windows and table differently from C zlib
//! (both are valid level-6 zlib streams that upstream's reader accepts).

mod builder;
mod crc;
mod error;
mod header;
mod index;
mod reader;
mod select;
mod zlib;

#[doc(hidden)]
pub mod bench;

pub use builder::IndexBuilder;
pub use crc::raw_crc32c;
pub use error::{Error, Result};
pub use header::{DEFAULT_SPAN, ENTRY_SIZE, HEADER_SIZE, Header, MAGIC, MIN_SPAN, WINDOW_SIZE};
pub use index::{Checkpoint, GzIndex};
pub use reader::GzIndexReader;

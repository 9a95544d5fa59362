//! The source layer stream: compression is told by magic bytes, not by the media type (§2.6).

use crate::ConvertError;
use std::io::Read;

pub use tarstream::compression::{Compression, sniff};

/// The uncompressed tar stream of a layer blob (gzip with all members, zstd or plain).
pub fn decompress<'a, R: Read + 'a>(r: R) -> Result<Box<dyn Read + 'a>, ConvertError> {
    Ok(Box::new(tarstream::compression::decompress(r)?))
}

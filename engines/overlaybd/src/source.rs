//! The source layer stream: compression is told by magic bytes, not by the media type (§2.6).

use crate::ConvertError;
use std::io::{self, BufRead, BufReader, Read};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Gzip,
    Zstd,
    None,
}

/// Peeks at the first bytes of `r` without consuming them.
pub fn sniff<R: Read>(r: R) -> io::Result<(Compression, BufReader<R>)> {
    let mut r = BufReader::with_capacity(1 << 20, r);
    let head = r.fill_buf()?;
    let kind = if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
        || (head.len() >= 4 && head[0] & 0xf0 == 0x50 && head[1..4] == [0x2a, 0x4d, 0x18])
    {
        Compression::Zstd
    } else {
        Compression::None
    };
    Ok((kind, r))
}

/// The uncompressed tar stream of a layer blob (gzip with all members, zstd or plain).
pub fn decompress<'a, R: Read + 'a>(r: R) -> Result<Box<dyn Read + 'a>, ConvertError> {
    let (kind, r) = sniff(r)?;
    Ok(match kind {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(r)),
        Compression::Zstd => Box::new(
            ruzstd::decoding::StreamingDecoder::new(r)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?,
        ),
        Compression::None => Box::new(r),
    })
}

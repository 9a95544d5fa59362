//! Layer blobs as tar streams: what `source-layer.read-tar` serves when the caller gives no
//! stream of its own. Compression is told by magic bytes, as overlaybd's tools do.

use std::io::{self, BufRead, BufReader, Read};

/// The uncompressed content of a layer blob: all members of a gzip, a zstd stream, or the
/// bytes as they are.
pub fn decoded<'a>(r: impl Read + Send + 'a) -> io::Result<Box<dyn Read + Send + 'a>> {
    let mut r = BufReader::with_capacity(1 << 20, r);
    let head = r.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(flate2::bufread::MultiGzDecoder::new(r)))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let d = ruzstd::decoding::StreamingDecoder::new(r)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
        Ok(Box::new(d))
    } else {
        Ok(Box::new(r))
    }
}

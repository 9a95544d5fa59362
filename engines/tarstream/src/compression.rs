//! What a layer blob is compressed with, told by its magic bytes rather than its media type
//! (formats.md §2.6), and its uncompressed tar stream.

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

/// The uncompressed tar stream of a layer blob: all members of a gzip, a zstd stream, or the
/// bytes as they are. `Send` when `R` is.
pub enum Decompressed<R: Read> {
    Gzip(flate2::bufread::MultiGzDecoder<BufReader<R>>),
    Zstd(ruzstd::decoding::StreamingDecoder<BufReader<R>, ruzstd::decoding::FrameDecoder>),
    Plain(BufReader<R>),
}

impl<R: Read> Read for Decompressed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decompressed::Gzip(d) => d.read(buf),
            Decompressed::Zstd(d) => d.read(buf),
            Decompressed::Plain(d) => d.read(buf),
        }
    }
}

/// Opens the tar stream of a layer blob, its compression told by [`sniff`].
pub fn decompress<R: Read>(r: R) -> io::Result<Decompressed<R>> {
    let (kind, r) = sniff(r)?;
    Ok(match kind {
        Compression::Gzip => Decompressed::Gzip(flate2::bufread::MultiGzDecoder::new(r)),
        Compression::Zstd => Decompressed::Zstd(
            ruzstd::decoding::StreamingDecoder::new(r)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?,
        ),
        Compression::None => Decompressed::Plain(r),
    })
}

//! `source-layer.read-tar` as a `Read`: the layer's tar, decoded by the host on its own thread.

use std::io::{self, Read};

use crate::{CHUNK, SourceLayer};

/// Reads the uncompressed tar front to back in `CHUNK` host calls. The host reports progress
/// itself (it knows how much of the blob it decoded); a failure is the source's: corrupt data.
pub struct TarStream<'a> {
    source: &'a SourceLayer,
    buf: Vec<u8>,
    pos: usize,
    ended: bool,
}

impl<'a> TarStream<'a> {
    pub fn new(source: &'a SourceLayer) -> Self {
        Self {
            source,
            buf: Vec::new(),
            pos: 0,
            ended: false,
        }
    }

    fn refill(&mut self) -> io::Result<()> {
        let chunk = self.source.read_tar(CHUNK as u32).map_err(|msg| {
            // A corrupt source is the source's fault, not a host failure.
            io::Error::new(io::ErrorKind::InvalidData, msg)
        })?;
        self.ended = chunk.is_empty();
        self.buf = chunk;
        self.pos = 0;
        Ok(())
    }
}

impl Read for TarStream<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.buf.len() && !self.ended && !out.is_empty() {
            self.refill()?;
        }
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        let n = out.len().min(rest.len());
        out[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}

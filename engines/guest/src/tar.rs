//! `source-layer.read-tar` as a `Read`: the layer's tar, decoded by the host on its own thread.

use std::io::{self, Read};

use crate::chunks::Chunks;
use crate::{CHUNK, SourceLayer};

/// Reads the uncompressed tar front to back in `CHUNK` host calls. The host reports progress
/// itself (it knows how much of the blob it decoded); a failure is the source's: corrupt data.
pub struct TarStream<'a> {
    source: &'a SourceLayer,
    chunks: Chunks,
}

impl<'a> TarStream<'a> {
    pub fn new(source: &'a SourceLayer) -> Self {
        Self {
            source,
            chunks: Chunks::default(),
        }
    }
}

impl Read for TarStream<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let source = self.source;
        self.chunks.read(out, || {
            source
                .read_tar(CHUNK as u32)
                .map_err(|msg| io::Error::new(io::ErrorKind::InvalidData, msg))
        })
    }
}

//! `source-layer` as a `Read`.

use std::io::{self, Read};

use crate::chunks::Chunks;
use crate::{CHUNK, HostFaults, SourceLayer, host};

/// Reads the source layer front to back in `CHUNK` host calls and reports progress after
/// each.
pub struct SourceReader<'a> {
    source: &'a SourceLayer,
    faults: HostFaults,
    chunks: Chunks,
    done: u64,
}

impl<'a> SourceReader<'a> {
    pub fn new(source: &'a SourceLayer, faults: &HostFaults) -> Self {
        Self {
            source,
            faults: faults.clone(),
            chunks: Chunks::default(),
            done: 0,
        }
    }
}

impl Read for SourceReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let (source, faults, done) = (self.source, &self.faults, &mut self.done);
        self.chunks.read(out, || {
            let chunk = source
                .read(CHUNK as u32)
                .map_err(|msg| faults.record("reading the source layer", msg))?;
            *done = done.saturating_add(chunk.len() as u64);
            host::progress(*done);
            Ok(chunk)
        })
    }
}

//! `source-layer` as a `Read`.

use std::io::{self, Read};

use crate::{CHUNK, HostFaults, SourceLayer, host};

/// Reads the source layer front to back in `CHUNK` host calls and reports progress after
/// each.
pub struct SourceReader<'a> {
    source: &'a SourceLayer,
    faults: HostFaults,
    buf: Vec<u8>,
    pos: usize,
    done: u64,
    ended: bool,
}

impl<'a> SourceReader<'a> {
    pub fn new(source: &'a SourceLayer, faults: &HostFaults) -> Self {
        Self {
            source,
            faults: faults.clone(),
            buf: Vec::new(),
            pos: 0,
            done: 0,
            ended: false,
        }
    }

    /// Bytes of the source consumed so far.
    pub fn done(&self) -> u64 {
        self.done
    }

    fn refill(&mut self) -> io::Result<()> {
        let chunk = self
            .source
            .read(CHUNK as u32)
            .map_err(|msg| self.faults.record("reading the source layer", msg))?;
        self.ended = chunk.is_empty();
        self.done = self.done.saturating_add(chunk.len() as u64);
        self.buf = chunk;
        self.pos = 0;
        host::progress(self.done);
        Ok(())
    }
}

impl Read for SourceReader<'_> {
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

//! std::io adapters over the host resources.
//!
//! The zstd encoder panics on I/O errors, so these adapters never hand it one: they remember the
//! first error, report end-of-data (or swallow writes), and the engine checks afterwards.

use std::io::{self, Read, Write};

use crate::bindings::EngineError;
use crate::bindings::convertor::engine::host::{self, Hasher, Sink, SourceLayer};

/// Crossing into the host costs about a microsecond; 1 MiB chunks keep that negligible.
const CHUNK: usize = 1 << 20;

/// Reads the source layer front to back and reports progress.
pub struct SourceReader<'a> {
    source: &'a SourceLayer,
    buf: Vec<u8>,
    pos: usize,
    done: u64,
    error: Option<EngineError>,
}

impl<'a> SourceReader<'a> {
    pub fn new(source: &'a SourceLayer) -> Self {
        Self {
            source,
            buf: Vec::new(),
            pos: 0,
            done: 0,
            error: None,
        }
    }

    pub fn take_error(&mut self) -> Option<EngineError> {
        self.error.take()
    }
}

impl Read for SourceReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.buf.len() {
            if self.error.is_some() {
                return Ok(0);
            }
            match self.source.read(CHUNK as u32) {
                Ok(chunk) => self.buf = chunk,
                Err(msg) => {
                    self.error = Some(EngineError::Io(format!("reading the source: {msg}")));
                    return Ok(0);
                }
            }
            self.pos = 0;
            self.done += self.buf.len() as u64;
            host::progress(self.done);
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Feeds everything read through it to a host hasher; turns read errors (corrupt gzip) into an
/// end of stream plus a remembered `invalid-input`.
pub struct HashingReader<'a, R> {
    inner: R,
    hasher: &'a Hasher,
    error: Option<EngineError>,
}

impl<'a, R: Read> HashingReader<'a, R> {
    pub fn new(inner: R, hasher: &'a Hasher) -> Self {
        Self {
            inner,
            hasher,
            error: None,
        }
    }

    pub fn take_error(&mut self) -> Option<EngineError> {
        self.error.take()
    }
}

impl<R: Read> Read for HashingReader<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.error.is_some() {
            return Ok(0);
        }
        match self.inner.read(out) {
            Ok(n) => {
                self.hasher.update(&out[..n]);
                Ok(n)
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => Err(err),
            Err(err) => {
                self.error = Some(EngineError::InvalidInput(format!(
                    "decompressing the layer: {err}"
                )));
                Ok(0)
            }
        }
    }
}

/// Buffers output and appends it to a sink in large chunks.
pub struct SinkWriter<'a> {
    sink: &'a Sink,
    buf: Vec<u8>,
    error: Option<String>,
}

impl<'a> SinkWriter<'a> {
    pub fn new(sink: &'a Sink) -> Self {
        Self {
            sink,
            buf: Vec::with_capacity(CHUNK),
            error: None,
        }
    }

    /// Writes what is buffered and reports the first error seen.
    pub fn finish(mut self) -> Result<(), EngineError> {
        self.flush_buf();
        match self.error {
            Some(msg) => Err(EngineError::Io(format!("writing the output: {msg}"))),
            None => Ok(()),
        }
    }

    fn flush_buf(&mut self) {
        if self.error.is_none()
            && !self.buf.is_empty()
            && let Err(msg) = self.sink.append(&self.buf)
        {
            self.error = Some(msg);
        }
        self.buf.clear();
    }
}

impl Write for SinkWriter<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush_buf();
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

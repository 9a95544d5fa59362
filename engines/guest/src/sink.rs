//! `sink` as `Write + Seek`.

use std::io::{self, Seek, SeekFrom, Write};

use crate::host::{self, Sink};
use crate::{CHUNK, EngineError, HostFaults, MAX_CALL};

/// An output blob. Writes at the end are buffered and appended in large host calls; writes
/// before the end (headers finished last: ZFile, tar wrappers) become `patch` calls. Seeking
/// past the end and writing there fills the gap with zeros.
///
/// Call [`finish`](Self::finish) to write out the buffer; dropping the writer loses it.
pub struct SinkWriter {
    sink: Sink,
    name: String,
    faults: HostFaults,
    /// Bytes the host holds.
    flushed: u64,
    /// Bytes after `flushed` not yet appended.
    buf: Vec<u8>,
    pos: u64,
}

impl SinkWriter {
    /// Creates the sink `name`; `published-layer.blob` refers to it by that name.
    pub fn create(name: &str, faults: &HostFaults) -> Result<Self, EngineError> {
        let sink = host::create_sink(name)
            .map_err(|msg| EngineError::Io(format!("creating sink {name:?}: {msg}")))?;
        Ok(Self {
            sink,
            name: name.to_string(),
            faults: faults.clone(),
            flushed: 0,
            buf: Vec::with_capacity(CHUNK),
            pos: 0,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Length of the blob written so far.
    pub fn len(&self) -> u64 {
        self.flushed + self.buf.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends what is buffered; returns the sink's name and final size.
    pub fn finish(mut self) -> io::Result<(String, u64)> {
        self.flush_buf()?;
        Ok((self.name, self.flushed))
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        for piece in self.buf.chunks(MAX_CALL) {
            self.sink.append(piece).map_err(|msg| {
                self.faults
                    .record(&format!("writing sink {:?}", self.name), msg)
            })?;
            self.flushed += piece.len() as u64;
        }
        self.buf.clear();
        Ok(())
    }

    fn patch(&mut self, data: &[u8]) -> io::Result<usize> {
        let before_end = usize::try_from(self.flushed - self.pos).unwrap_or(usize::MAX);
        let n = data.len().min(before_end).min(MAX_CALL);
        self.sink.patch(self.pos, &data[..n]).map_err(|msg| {
            self.faults
                .record(&format!("patching sink {:?}", self.name), msg)
        })?;
        Ok(n)
    }
}

impl Write for SinkWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let end = self.len();
        let n = if self.pos < self.flushed {
            self.patch(data)?
        } else if self.pos < end {
            // Inside the buffer: overwrite in place.
            let at = (self.pos - self.flushed) as usize;
            let n = data.len().min(self.buf.len() - at);
            self.buf[at..at + n].copy_from_slice(&data[..n]);
            n
        } else {
            let gap = usize::try_from(self.pos - end).map_err(|_| {
                io::Error::new(io::ErrorKind::InvalidInput, "sink position is out of range")
            })?;
            self.buf.resize(self.buf.len() + gap, 0);
            self.buf.extend_from_slice(data);
            if self.buf.len() >= CHUNK {
                self.flush_buf()?;
            }
            data.len()
        };
        self.pos += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_buf()
    }
}

impl Seek for SinkWriter {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(at) => Some(at),
            SeekFrom::End(delta) => self.len().checked_add_signed(delta),
            SeekFrom::Current(delta) => self.pos.checked_add_signed(delta),
        };
        self.pos = target.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the sink",
            )
        })?;
        Ok(self.pos)
    }
}

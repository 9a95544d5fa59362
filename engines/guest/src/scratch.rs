//! `scratch` as `ReadAt + WriteAt`.

use std::io;

use blockio::{ReadAt, WriteAt};

use crate::host::{self, Scratch};
use crate::{EngineError, HostFaults, MAX_CALL};

/// A sparse scratch file private to this conversion; unwritten ranges read as zeros.
///
/// The size is tracked here (the furthest byte written, or the last `set_len`), so reads
/// never cost an extra host call and never ask for bytes past the end, which the host refuses.
pub struct ScratchFile {
    scratch: Scratch,
    size: u64,
    faults: HostFaults,
}

impl ScratchFile {
    pub fn create(faults: &HostFaults) -> Result<Self, EngineError> {
        let scratch = host::create_scratch()
            .map_err(|msg| EngineError::Io(format!("creating a scratch file: {msg}")))?;
        Ok(Self {
            scratch,
            size: 0,
            faults: faults.clone(),
        })
    }

    /// Zeroes `len` bytes at `offset`, giving the space back to the host.
    pub fn punch(&mut self, offset: u64, len: u64) -> io::Result<()> {
        self.scratch
            .punch(offset, len)
            .map_err(|msg| self.faults.record("punching the scratch file", msg))
    }

    pub fn set_len(&mut self, size: u64) -> io::Result<()> {
        self.scratch
            .set_size(size)
            .map_err(|msg| self.faults.record("resizing the scratch file", msg))?;
        self.size = size;
        Ok(())
    }
}

impl ReadAt for ScratchFile {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.size.saturating_sub(offset);
        let len = buf
            .len()
            .min(MAX_CALL)
            .min(usize::try_from(left).unwrap_or(MAX_CALL));
        if len == 0 {
            return Ok(0);
        }
        let got = self
            .scratch
            .read(offset, len as u32)
            .map_err(|msg| self.faults.record("reading the scratch file", msg))?;
        let n = got.len().min(len);
        buf[..n].copy_from_slice(&got[..n]);
        Ok(n)
    }
}

impl WriteAt for ScratchFile {
    fn write_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()> {
        let mut at = offset;
        for piece in buf.chunks(MAX_CALL) {
            self.scratch
                .write(at, piece)
                .map_err(|msg| self.faults.record("writing the scratch file", msg))?;
            at = at.checked_add(piece.len() as u64).ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "scratch offset overflows")
            })?;
            self.size = self.size.max(at);
        }
        Ok(())
    }
}

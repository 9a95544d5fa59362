//! The underlying stream with a running byte count.

use crate::error::TarError;
use crate::header::BLOCK;
use std::io::{ErrorKind, Read};

pub(crate) struct Source<R> {
    inner: R,
    pos: u64,
}

impl<R: Read> Source<R> {
    pub fn new(inner: R) -> Self {
        Source { inner, pos: 0 }
    }

    pub fn position(&self) -> u64 {
        self.pos
    }

    pub fn into_inner(self) -> R {
        self.inner
    }

    /// One `read` call, retried on `Interrupted`; 0 means end of stream.
    pub fn read_some(&mut self, buf: &mut [u8]) -> Result<usize, TarError> {
        loop {
            match self.inner.read(buf) {
                Ok(n) => {
                    let n = n.min(buf.len());
                    self.pos = self.pos.saturating_add(n as u64);
                    return Ok(n);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Fills `buf` or fails with `Truncated`; returns false only when the stream ends before
    /// the first byte, which callers may accept as a clean end.
    pub fn fill(&mut self, buf: &mut [u8]) -> Result<bool, TarError> {
        let mut done = 0;
        while let Some(rest) = buf.get_mut(done..).filter(|r| !r.is_empty()) {
            let n = self.read_some(rest)?;
            if n == 0 {
                if done == 0 {
                    return Ok(false);
                }
                return Err(TarError::Truncated { offset: self.pos });
            }
            done += n;
        }
        Ok(true)
    }

    /// The next block, or `None` at a clean end of stream.
    pub fn block(&mut self) -> Result<Option<[u8; BLOCK]>, TarError> {
        let mut b = [0u8; BLOCK];
        Ok(self.fill(&mut b)?.then_some(b))
    }

    /// The next block; the end of stream is `Truncated` here.
    pub fn required_block(&mut self) -> Result<[u8; BLOCK], TarError> {
        self.block()?
            .ok_or(TarError::Truncated { offset: self.pos })
    }

    /// Reads exactly `len` bytes into a vector grown as data arrives, so a bogus length
    /// cannot allocate more than the stream holds.
    pub fn read_vec(&mut self, len: u64) -> Result<Vec<u8>, TarError> {
        let mut out = Vec::new();
        let mut buf = [0u8; 8192];
        let mut left = len;
        while left > 0 {
            let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
            let chunk = buf.get_mut(..want).unwrap_or_default();
            let n = self.read_some(chunk)?;
            if n == 0 {
                return Err(TarError::Truncated { offset: self.pos });
            }
            out.extend_from_slice(chunk.get(..n).unwrap_or_default());
            left -= n as u64;
        }
        Ok(out)
    }

    /// Discards `len` bytes.
    pub fn skip(&mut self, len: u64) -> Result<(), TarError> {
        let mut buf = [0u8; 16384];
        let mut left = len;
        while left > 0 {
            let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
            let n = self.read_some(buf.get_mut(..want).unwrap_or_default())?;
            if n == 0 {
                return Err(TarError::Truncated { offset: self.pos });
            }
            left -= n as u64;
        }
        Ok(())
    }
}

//! Streams a payload behind a reserved prefix and completes the wrapper on finish.

use std::io::{Seek, SeekFrom, Write};

use crate::error::TarWrapError;
use crate::prefix::{DEFAULT_GROUP, DEFAULT_MODE, DEFAULT_USER, PREFIX_LEN, prefix, suffix_len};

/// Wraps whatever is written through [`inner_mut`](Self::inner_mut) as the payload of an
/// `overlaybd.commit` tar; the length is only known at the end, so the prefix is written last.
pub struct TarWrapWriter<W: Write + Seek> {
    inner: W,
    /// Where the prefix starts (0 for a fresh output).
    base: u64,
    mode: u32,
    uname: String,
    gname: String,
}

impl<W: Write + Seek> TarWrapWriter<W> {
    /// Reserves the prefix at the current position; mode 0o100644, owner root:root.
    pub fn new(inner: W) -> Result<Self, TarWrapError> {
        Self::with_owner(inner, DEFAULT_MODE, DEFAULT_USER, DEFAULT_GROUP)
    }

    pub fn with_owner(
        mut inner: W,
        mode: u32,
        uname: &str,
        gname: &str,
    ) -> Result<Self, TarWrapError> {
        let base = inner.stream_position()?;
        inner.write_all(&[0u8; PREFIX_LEN])?;
        Ok(TarWrapWriter {
            inner,
            base,
            mode,
            uname: uname.to_owned(),
            gname: gname.to_owned(),
        })
    }

    /// The output, positioned where the next payload byte goes.
    pub fn inner_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// Pads, appends the end-of-archive blocks and writes the final prefix; the payload is
    /// everything between the prefix and the current position. Returns the output, positioned
    /// at the end of the blob, and the blob length.
    pub fn finish(mut self) -> Result<(W, u64), TarWrapError> {
        let position = self.inner.stream_position()?;
        let payload_start = self.base + PREFIX_LEN as u64;
        let payload_len = position
            .checked_sub(payload_start)
            .ok_or(TarWrapError::WriterRewound { position })?;
        let suffix = suffix_len(payload_len) as usize;
        self.inner.write_all(&vec![0u8; suffix])?;
        let end = position + suffix as u64;
        self.inner.seek(SeekFrom::Start(self.base))?;
        self.inner
            .write_all(&prefix(payload_len, self.mode, &self.uname, &self.gname))?;
        self.inner.seek(SeekFrom::Start(end))?;
        self.inner.flush()?;
        Ok((self.inner, end - self.base))
    }
}

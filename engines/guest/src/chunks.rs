//! Bytes the host hands over in chunks, served to `Read` calls of any size.

use std::io;

#[derive(Default)]
pub(crate) struct Chunks {
    buf: Vec<u8>,
    pos: usize,
    ended: bool,
}

impl Chunks {
    /// Copies buffered bytes into `out`, first fetching the next chunk when none are left (an
    /// empty chunk is the end).
    pub(crate) fn read(
        &mut self,
        out: &mut [u8],
        fetch: impl FnOnce() -> io::Result<Vec<u8>>,
    ) -> io::Result<usize> {
        if self.pos >= self.buf.len() && !self.ended && !out.is_empty() {
            self.buf = fetch()?;
            self.ended = self.buf.is_empty();
            self.pos = 0;
        }
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        let n = out.len().min(rest.len());
        out[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}

//! Sequential reads over a `ReadAt` (unpacking a lower's meta tar.gz, copying an asset).

use std::io::{self, Read};

use blockio::ReadAt;

/// Reads `inner` from offset 0 to its end.
pub struct ReadAtStream<R> {
    inner: R,
    pos: u64,
}

impl<R: ReadAt> ReadAtStream<R> {
    pub fn new(inner: R) -> Self {
        Self { inner, pos: 0 }
    }
}

impl<R: ReadAt> Read for ReadAtStream<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read_at(self.pos, out)?;
        self.pos = self.pos.saturating_add(n as u64);
        Ok(n)
    }
}

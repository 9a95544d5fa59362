use blockio::ReadAt;
use std::io;

/// An all-zero device of a given size: what a fresh layer stack looks like before mkfs.
#[derive(Debug, Clone, Copy)]
pub struct Zeros(pub u64);

impl ReadAt for Zeros {
    fn size(&self) -> u64 {
        self.0
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.0.saturating_sub(offset) as usize);
        buf[..n].fill(0);
        Ok(n)
    }
}

//! A writable layer over a lower read-only device: what the filesystem writers write through.

use crate::error::Result;
use crate::upper::{UpperLayer, read_merged};
use blockio::{ReadAt, WriteAt};
use std::io;

/// Reads see the upper layer's mapped sectors, else the lower device; writes go to the upper.
pub struct LayeredDevice<L, U> {
    lower: L,
    upper: U,
}

impl<L: ReadAt, U: UpperLayer> LayeredDevice<L, U> {
    /// Stacks `upper` on `lower`; an upper with virtual size 0 takes the lower's (§1.4).
    pub fn new(lower: L, mut upper: U) -> Result<Self> {
        if upper.virtual_size() == 0 {
            upper.set_virtual_size(lower.size())?;
        }
        Ok(LayeredDevice { lower, upper })
    }

    pub fn lower(&self) -> &L {
        &self.lower
    }

    pub fn upper(&self) -> &U {
        &self.upper
    }

    pub fn upper_mut(&mut self) -> &mut U {
        &mut self.upper
    }

    pub fn into_parts(self) -> (L, U) {
        (self.lower, self.upper)
    }
}

impl<L: ReadAt, U: UpperLayer> ReadAt for LayeredDevice<L, U> {
    fn size(&self) -> u64 {
        self.upper.virtual_size()
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let size = self.size();
        if offset >= size {
            return Ok(0);
        }
        let n = buf.len().min((size - offset) as usize);
        let lower = |pos: u64, b: &mut [u8]| self.lower.read_zero_fill(pos, b);
        read_merged(&self.upper, lower, offset, &mut buf[..n])?;
        Ok(n)
    }
}

impl<L: ReadAt, U: UpperLayer> WriteAt for LayeredDevice<L, U> {
    fn write_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()> {
        self.upper.write(offset, buf).map_err(Into::into)
    }
}

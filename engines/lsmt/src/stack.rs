//! A merged, read-only stack of committed layers (§1.8, §1.9).

use crate::error::{Error, Result};
use crate::rangemap::{Advance, RangeMap};
use crate::record::{Record, SECTOR};
use crate::ro::LsmtFile;
use crate::upper::clip;
use crate::warp::WarpFile;
use blockio::ReadAt;
use std::io;

/// Upstream stacks at most this many layers.
pub const MAX_LAYERS: usize = 255;

/// One read-only layer of a stack.
pub trait Layer {
    /// Valid records in offset order.
    fn records(&self) -> &[Record];
    /// Reads the source bytes at `pos` behind records of `rec`'s kind; past-the-end is zeros.
    fn read_record_data(&self, rec: &Record, pos: u64, buf: &mut [u8]) -> io::Result<()>;
    fn virtual_size(&self) -> u64;
}

impl<R: ReadAt> Layer for LsmtFile<R> {
    fn records(&self) -> &[Record] {
        LsmtFile::records(self)
    }
    fn read_record_data(&self, _rec: &Record, pos: u64, buf: &mut [u8]) -> io::Result<()> {
        self.read_data(pos, buf)
    }
    fn virtual_size(&self) -> u64 {
        LsmtFile::virtual_size(self)
    }
}

impl<M: ReadAt, T: ReadAt> Layer for WarpFile<M, T> {
    fn records(&self) -> &[Record] {
        WarpFile::records(self)
    }
    fn read_record_data(&self, rec: &Record, pos: u64, buf: &mut [u8]) -> io::Result<()> {
        self.read_tagged(rec.tag, pos, buf)
    }
    fn virtual_size(&self) -> u64 {
        WarpFile::virtual_size(self)
    }
}

/// A range of the merged device and the layer record piece that provides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergedExtent {
    /// Index into the stack, 0 = bottom.
    pub layer: usize,
    /// The record trimmed to this range (moffset advanced for data records).
    pub record: Record,
}

#[derive(Debug, Clone, Copy)]
struct Owner {
    layer: usize,
    moffset: u64,
    zeroed: bool,
    tag: u8,
}

impl Advance for Owner {
    fn advance(&mut self, by: u64) {
        if !self.zeroed {
            self.moffset += by;
        }
    }
}

/// Layers bottom first; the merged view is also a [`ReadAt`] device.
pub struct Stack<'a> {
    layers: Vec<Box<dyn Layer + 'a>>,
    merged: RangeMap<Owner>,
    virtual_size: u64,
}

impl<'a> Stack<'a> {
    pub fn new(layers: Vec<Box<dyn Layer + 'a>>) -> Result<Self> {
        if layers.len() > MAX_LAYERS {
            return Err(Error::TooManyLayers {
                count: layers.len(),
            });
        }
        // Applying layers bottom-up with override gives the top-down gap filling of §1.9.
        let mut merged = RangeMap::new();
        for (layer, l) in layers.iter().enumerate() {
            for r in l.records() {
                let owner = Owner {
                    layer,
                    moffset: r.moffset,
                    zeroed: r.zeroed,
                    tag: r.tag,
                };
                merged.insert(r.offset, r.end(), owner);
            }
        }
        let virtual_size = layers
            .iter()
            .rev()
            .map(|l| l.virtual_size())
            .find(|&v| v != 0)
            .unwrap_or(0);
        Ok(Stack {
            layers,
            merged,
            virtual_size,
        })
    }

    pub fn layers(&self) -> &[Box<dyn Layer + 'a>] {
        &self.layers
    }

    /// The virtual size of the highest layer declaring a non-zero one.
    pub fn virtual_size(&self) -> u64 {
        self.virtual_size
    }

    /// Every mapped range of the merged device in order (zeroed ones included).
    pub fn mapped_extents(&self) -> Vec<MergedExtent> {
        self.merged
            .iter()
            .map(|(s, e, o)| MergedExtent {
                layer: o.layer,
                record: Record {
                    offset: s,
                    length: (e - s) as u32,
                    moffset: o.moffset,
                    zeroed: o.zeroed,
                    tag: o.tag,
                },
            })
            .collect()
    }
}

impl ReadAt for Stack<'_> {
    fn size(&self) -> u64 {
        self.virtual_size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        if offset >= self.virtual_size {
            return Ok(0);
        }
        let n = buf.len().min((self.virtual_size - offset) as usize);
        let (buf, end) = (&mut buf[..n], offset + n as u64);
        let mut pos = offset;
        for (s, e, o) in self
            .merged
            .overlapping(offset / SECTOR, end.div_ceil(SECTOR))
        {
            let (bs, be, skip) = clip(s, e, offset, end);
            buf[(pos - offset) as usize..(bs - offset) as usize].fill(0);
            let dst = &mut buf[(bs - offset) as usize..(be - offset) as usize];
            match self.layers.get(o.layer) {
                Some(l) if !o.zeroed => {
                    let rec = Record {
                        offset: s,
                        length: (e - s) as u32,
                        moffset: o.moffset,
                        zeroed: false,
                        tag: o.tag,
                    };
                    // Warp moffsets are unchecked; an absurd one reads as past-the-end zeros.
                    let pos = o.moffset.saturating_mul(SECTOR).saturating_add(skip);
                    l.read_record_data(&rec, pos, dst)?;
                }
                _ => dst.fill(0),
            }
            pos = be;
        }
        buf[(pos - offset) as usize..].fill(0);
        Ok(n)
    }
}

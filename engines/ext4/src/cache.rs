//! Metadata block cache: every metadata block read or changed stays here until `flush`, which
//! writes the dirty ones in ascending order, coalescing neighbours into one device write.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use blockio::{ReadAt, WriteAt};

use crate::error::Result;

struct Cached {
    data: Box<[u8]>,
    dirty: bool,
    /// Created in memory for a block nobody wrote before; skipped at flush while all zero.
    fresh: bool,
}

pub struct BlockCache {
    block_size: usize,
    map: BTreeMap<u64, Cached>,
}

/// Largest single device write at flush.
const MAX_RUN: usize = 256;

impl BlockCache {
    pub fn new(block_size: usize) -> Self {
        BlockCache {
            block_size,
            map: BTreeMap::new(),
        }
    }

    fn load<D: ReadAt>(&mut self, dev: &D, blk: u64) -> Result<&mut Cached> {
        match self.map.entry(blk) {
            Entry::Occupied(o) => Ok(o.into_mut()),
            Entry::Vacant(v) => {
                let mut data = vec![0u8; self.block_size].into_boxed_slice();
                dev.read_zero_fill(blk * self.block_size as u64, &mut data)?;
                Ok(v.insert(Cached {
                    data,
                    dirty: false,
                    fresh: false,
                }))
            }
        }
    }

    pub fn get<D: ReadAt>(&mut self, dev: &D, blk: u64) -> Result<&[u8]> {
        Ok(&self.load(dev, blk)?.data)
    }

    pub fn peek(&self, blk: u64) -> Option<&[u8]> {
        self.map.get(&blk).map(|c| &*c.data)
    }

    pub fn contains(&self, blk: u64) -> bool {
        self.map.contains_key(&blk)
    }

    /// Caches computed contents without marking them for writing.
    pub fn insert_clean(&mut self, blk: u64, data: Vec<u8>) {
        self.map.insert(
            blk,
            Cached {
                data: data.into_boxed_slice(),
                dirty: false,
                fresh: false,
            },
        );
    }

    /// The block for modification; it is written at the next flush.
    pub fn get_mut<D: ReadAt>(&mut self, dev: &D, blk: u64) -> Result<&mut [u8]> {
        let c = self.load(dev, blk)?;
        c.dirty = true;
        Ok(&mut c.data)
    }

    /// A newly allocated block whose old contents do not matter: zeroed without a read.
    pub fn create(&mut self, blk: u64, fresh: bool) -> &mut [u8] {
        let c = self.map.entry(blk).or_insert_with(|| Cached {
            data: Box::default(),
            dirty: true,
            fresh,
        });
        c.data = vec![0u8; self.block_size].into_boxed_slice();
        c.dirty = true;
        c.fresh = fresh;
        &mut c.data
    }

    pub fn forget_range(&mut self, start: u64, count: u64) {
        if count == 0 {
            return;
        }
        let keys: Vec<u64> = self
            .map
            .range(start..start + count)
            .map(|(k, _)| *k)
            .collect();
        for k in keys {
            self.map.remove(&k);
        }
    }

    /// Writes every dirty block in ascending order; returns the number of blocks written.
    pub fn write_dirty<D: WriteAt>(&mut self, dev: &mut D) -> Result<u64> {
        let bs = self.block_size as u64;
        let mut written = 0u64;
        let mut run: Vec<u8> = Vec::new();
        let mut run_start = 0u64;
        let mut run_len = 0u64;
        for (&blk, c) in self.map.iter_mut() {
            if !c.dirty {
                continue;
            }
            c.dirty = false;
            if c.fresh && c.data.iter().all(|&b| b == 0) {
                continue;
            }
            c.fresh = false;
            if run_len > 0 && (blk != run_start + run_len || run_len as usize >= MAX_RUN) {
                dev.write_at(run_start * bs, &run)?;
                written += run_len;
                run.clear();
                run_len = 0;
            }
            if run_len == 0 {
                run_start = blk;
            }
            run.extend_from_slice(&c.data);
            run_len += 1;
        }
        if run_len > 0 {
            dev.write_at(run_start * bs, &run)?;
            written += run_len;
        }
        Ok(written)
    }
}

//! Block and inode allocation: deterministic first-fit from cursors, bitmaps kept in the block
//! cache, uninitialised groups initialised on first allocation, free counts kept exact.

use blockio::{ReadAt, WriteAt};

use crate::error::{Ext4Error, Result, corrupt};
use crate::groups::{BG_BLOCK_UNINIT, BG_INODE_UNINIT, initial_block_bitmap, set_padding};
use crate::volume::Ext4;

fn bit(bm: &[u8], i: usize) -> bool {
    bm[i / 8] & (1 << (i % 8)) != 0
}

/// First clear bit in `[from, to)`.
fn find_zero(bm: &[u8], from: usize, to: usize) -> Option<usize> {
    let mut i = from;
    while i < to {
        if i.is_multiple_of(64) && i + 64 <= to {
            let w = u64::from_le_bytes(bm[i / 8..i / 8 + 8].try_into().ok()?);
            if w == u64::MAX {
                i += 64;
                continue;
            }
            return Some(i + (!w).trailing_zeros() as usize);
        }
        if !bit(bm, i) {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Length of the clear run starting at `from`, at most `max`, not past `to`.
fn zero_run(bm: &[u8], from: usize, to: usize, max: usize) -> usize {
    let end = to.min(from.saturating_add(max));
    let mut i = from;
    while i < end {
        if i.is_multiple_of(64) && i + 64 <= end {
            let w = u64::from_le_bytes(bm[i / 8..i / 8 + 8].try_into().unwrap_or([0xFF; 8]));
            if w == 0 {
                i += 64;
                continue;
            }
            return i + w.trailing_zeros() as usize - from;
        }
        if bit(bm, i) {
            break;
        }
        i += 1;
    }
    i - from
}

fn set_bits(bm: &mut [u8], from: usize, n: usize) {
    for i in from..from + n {
        bm[i / 8] |= 1 << (i % 8);
    }
}

impl<D: ReadAt + WriteAt> Ext4<D> {
    /// The group's block bitmap for modification; uninitialised groups get their computed one.
    fn block_bitmap(&mut self, g: u32) -> Result<&mut [u8]> {
        let d = &self.descs[g as usize];
        let blk = d.block_bitmap;
        if d.flags & BG_BLOCK_UNINIT != 0 && !self.cache.contains(blk) {
            let bm = initial_block_bitmap(&self.geo, &self.descs, g);
            self.cache.insert_clean(blk, bm);
        }
        self.cache.get_mut(&self.dev, blk)
    }

    fn read_block_bitmap(&mut self, g: u32) -> Result<Vec<u8>> {
        let d = &self.descs[g as usize];
        let blk = d.block_bitmap;
        if d.flags & BG_BLOCK_UNINIT != 0 && !self.cache.contains(blk) {
            let bm = initial_block_bitmap(&self.geo, &self.descs, g);
            self.cache.insert_clean(blk, bm);
        }
        Ok(self.cache.get(&self.dev, blk)?.to_vec())
    }

    fn mark_blocks_used(&mut self, start: u64, n: u64) -> Result<()> {
        let g = self.geo.group_of_block(start);
        let first = self.geo.group_first_block(g);
        let bm = self.block_bitmap(g)?;
        set_bits(bm, (start - first) as usize, n as usize);
        let d = &mut self.descs[g as usize];
        d.free_blocks = d.free_blocks.saturating_sub(n as u32);
        d.flags &= !BG_BLOCK_UNINIT;
        self.dirty_groups.insert(g);
        let free = self.sb.free_blocks().saturating_sub(n);
        self.sb.set_free_blocks(free);
        self.sb_dirty = true;
        Ok(())
    }

    /// Allocates up to `want` contiguous blocks (at least one): at `goal` when it is free,
    /// else at the first free block from the cursor. Returns (start, count).
    pub(crate) fn alloc_blocks(&mut self, goal: Option<u64>, want: u64) -> Result<(u64, u64)> {
        let want = want.max(1);
        if let Some(goal) = goal.filter(|&b| b < self.geo.blocks_count) {
            let g = self.geo.group_of_block(goal);
            if self.descs[g as usize].free_blocks > 0 {
                let first = self.geo.group_first_block(g);
                let len = self.geo.group_len(g) as usize;
                let bm = self.read_block_bitmap(g)?;
                let n = zero_run(&bm, (goal - first) as usize, len, want as usize) as u64;
                if n > 0 {
                    self.mark_blocks_used(goal, n)?;
                    return Ok((goal, n));
                }
            }
        }
        let groups = self.geo.groups;
        let start_g = self
            .geo
            .group_of_block(self.block_cursor.min(self.geo.blocks_count - 1));
        for step in 0..=groups {
            let g = (start_g + step) % groups;
            if self.descs[g as usize].free_blocks == 0 {
                continue;
            }
            let first = self.geo.group_first_block(g);
            let len = self.geo.group_len(g) as usize;
            let from = if step == 0 {
                (self.block_cursor.max(first) - first) as usize
            } else {
                0
            };
            let bm = self.read_block_bitmap(g)?;
            if let Some(i) = find_zero(&bm, from, len) {
                let n = zero_run(&bm, i, len, want as usize) as u64;
                let start = first + i as u64;
                self.mark_blocks_used(start, n)?;
                if step == 0 || start >= self.block_cursor {
                    self.block_cursor = start + n;
                }
                return Ok((start, n));
            }
        }
        Err(Ext4Error::NoSpace("blocks"))
    }

    /// Allocates exactly `count` blocks, possibly in several runs.
    pub(crate) fn alloc_exact(&mut self, goal: Option<u64>, count: u64) -> Result<Vec<(u64, u64)>> {
        let mut runs: Vec<(u64, u64)> = Vec::new();
        let mut left = count;
        let mut goal = goal;
        while left > 0 {
            let (s, n) = match self.alloc_blocks(goal, left) {
                Ok(r) => r,
                Err(e) => {
                    for (s, n) in runs {
                        self.free_blocks(s, n)?;
                    }
                    return Err(e);
                }
            };
            goal = Some(s + n);
            match runs.last_mut() {
                Some(last) if last.0 + last.1 == s => last.1 += n,
                _ => runs.push((s, n)),
            }
            left -= n;
        }
        Ok(runs)
    }

    /// Releases blocks (any span, crossing groups); releasing a free block is corruption.
    pub(crate) fn free_blocks(&mut self, start: u64, count: u64) -> Result<()> {
        let end = start
            .checked_add(count)
            .filter(|&e| e <= self.geo.blocks_count)
            .ok_or_else(|| corrupt("freeing blocks outside the filesystem"))?;
        self.cache.forget_range(start, count);
        if self.defer_frees {
            self.deferred_frees.push((start, count));
            return Ok(());
        }
        let mut b = start;
        while b < end {
            let g = self.geo.group_of_block(b);
            let first = self.geo.group_first_block(g);
            let stop = end.min(first + self.geo.group_len(g));
            let bm = self.block_bitmap(g)?;
            for x in b..stop {
                let i = (x - first) as usize;
                if !bit(bm, i) {
                    return Err(corrupt(format!("block {x} freed twice")));
                }
                bm[i / 8] &= !(1 << (i % 8));
            }
            let n = stop - b;
            let d = &mut self.descs[g as usize];
            d.free_blocks += n as u32;
            d.flags &= !BG_BLOCK_UNINIT;
            self.dirty_groups.insert(g);
            let free = self.sb.free_blocks() + n;
            self.sb.set_free_blocks(free);
            b = stop;
        }
        self.sb_dirty = true;
        self.block_cursor = self.block_cursor.min(start);
        Ok(())
    }

    /// Returns the blocks held back by `set_defer_frees` to the free pool.
    pub(crate) fn release_deferred_frees(&mut self) -> Result<()> {
        let defer = std::mem::replace(&mut self.defer_frees, false);
        let result = std::mem::take(&mut self.deferred_frees)
            .into_iter()
            .try_for_each(|(start, count)| self.free_blocks(start, count));
        self.defer_frees = defer;
        result
    }

    fn inode_bitmap(&mut self, g: u32) -> Result<&mut [u8]> {
        let d = &self.descs[g as usize];
        let blk = d.inode_bitmap;
        if d.flags & BG_INODE_UNINIT != 0 && !self.cache.contains(blk) {
            let mut bm = vec![0u8; self.geo.block_size as usize];
            set_padding(&mut bm, self.geo.inodes_per_group as usize);
            self.cache.insert_clean(blk, bm);
        }
        self.cache.get_mut(&self.dev, blk)
    }

    /// Allocates the first free inode from the cursor.
    pub(crate) fn alloc_inode(&mut self, dir: bool) -> Result<u32> {
        let ipg = self.geo.inodes_per_group;
        let groups = self.geo.groups;
        let first_ino = self.sb.first_ino();
        let cursor = self.inode_cursor.max(first_ino);
        let start_g = ((cursor - 1) / ipg).min(groups - 1);
        for step in 0..=groups {
            let g = (start_g + step) % groups;
            if self.descs[g as usize].free_inodes == 0 {
                continue;
            }
            let group_first_ino = g * ipg + 1;
            let mut from = if step == 0 {
                cursor.saturating_sub(group_first_ino)
            } else {
                0
            };
            // Reserved inodes are never handed out, even after a wrap.
            from = from.max(first_ino.saturating_sub(group_first_ino));
            if from >= ipg {
                continue;
            }
            let flags = self.descs[g as usize].flags;
            let bm = self.inode_bitmap(g)?;
            let Some(i) = find_zero(bm, from as usize, ipg as usize) else {
                continue;
            };
            set_bits(bm, i, 1);
            let d = &mut self.descs[g as usize];
            d.free_inodes -= 1;
            if dir {
                d.used_dirs += 1;
            }
            if flags & BG_INODE_UNINIT != 0 {
                d.flags &= !BG_INODE_UNINIT;
            }
            if self.geo.gdt_csum {
                let used_upto = i as u32 + 1;
                if ipg.saturating_sub(d.itable_unused) < used_upto {
                    d.itable_unused = ipg - used_upto;
                }
            }
            self.dirty_groups.insert(g);
            let free = self.sb.free_inodes_count().saturating_sub(1);
            self.sb.set_free_inodes_count(free);
            self.sb_dirty = true;
            let ino = group_first_ino + i as u32;
            self.inode_cursor = ino + 1;
            return Ok(ino);
        }
        Err(Ext4Error::NoSpace("inodes"))
    }

    pub(crate) fn free_inode(&mut self, ino: u32, dir: bool) -> Result<()> {
        self.check_ino(ino)?;
        let ipg = self.geo.inodes_per_group;
        let g = (ino - 1) / ipg;
        let i = ((ino - 1) % ipg) as usize;
        let bm = self.inode_bitmap(g)?;
        if !bit(bm, i) {
            return Err(corrupt(format!("inode {ino} freed twice")));
        }
        bm[i / 8] &= !(1 << (i % 8));
        let d = &mut self.descs[g as usize];
        d.free_inodes += 1;
        if dir {
            d.used_dirs = d.used_dirs.saturating_sub(1);
        }
        self.dirty_groups.insert(g);
        let free = self.sb.free_inodes_count() + 1;
        self.sb.set_free_inodes_count(free);
        self.sb_dirty = true;
        self.inode_cursor = self.inode_cursor.min(ino);
        Ok(())
    }
}

//! File contents: writes go straight to the device (whole runs at once, partial blocks
//! read-modify-written), meta-only allocation, reads, truncation and releasing an inode's blocks.

use blockio::{ReadAt, WriteAt};

use crate::error::{Ext4Error, Result};
use crate::extent::Extent;
use crate::inode::{FL_EXTENTS, S_IFLNK, S_IFMT};
use crate::volume::Ext4;

/// One mapped piece of a write: logical block, physical block, length, and whether the old
/// contents must not be read (new or uninitialised blocks).
struct Piece {
    lblk: u32,
    pblk: u64,
    len: u32,
    zero: bool,
}

/// Largest logical block number + 1 of an extent-mapped file.
const MAX_BLOCKS: u64 = 1 << 32;

impl<D: ReadAt + WriteAt> Ext4<D> {
    /// Maps `[lblk, lblk + count)`, allocating holes (contiguous with the data before them
    /// when possible) and initialising uninitialised extents.
    fn map_for_write(&mut self, ino: u32, lblk: u32, count: u32) -> Result<Vec<Piece>> {
        let map = self.extent_map(ino)?;
        let runs = map.runs(lblk, count);
        let i = map.exts.partition_point(|e| e.lblk < lblk);
        let mut goal = i
            .checked_sub(1)
            .and_then(|j| map.exts.get(j))
            .map(|e| e.pblk + u64::from(e.len));
        let mut out = Vec::new();
        for r in runs {
            match r.pblk {
                Some(p) => {
                    if r.uninit {
                        self.extent_map(ino)?.mark_init(r.lblk, r.len);
                    }
                    out.push(Piece {
                        lblk: r.lblk,
                        pblk: p,
                        len: r.len,
                        zero: r.uninit,
                    });
                    goal = Some(p + u64::from(r.len));
                }
                None => {
                    let mut at = r.lblk;
                    let mut left = u64::from(r.len);
                    while left > 0 {
                        let (s, n) = self.alloc_blocks(goal, left)?;
                        self.extent_map(ino)?.insert(Extent {
                            lblk: at,
                            pblk: s,
                            len: n as u32,
                            uninit: false,
                        });
                        out.push(Piece {
                            lblk: at,
                            pblk: s,
                            len: n as u32,
                            zero: true,
                        });
                        at += n as u32;
                        left -= n;
                        goal = Some(s + n);
                    }
                }
            }
        }
        Ok(out)
    }

    fn block_range(&self, off: u64, len: u64) -> Result<(u32, u32)> {
        let bs = self.geo.block_size;
        let end = off.checked_add(len).ok_or(Ext4Error::FileTooLarge)?;
        let b1 = end.div_ceil(bs);
        if b1 > MAX_BLOCKS {
            return Err(Ext4Error::FileTooLarge);
        }
        let b0 = off / bs;
        Ok((b0 as u32, (b1 - b0) as u32))
    }

    /// Writes `data` at byte `off` of an extent-mapped inode and grows i_size to cover it.
    pub(crate) fn write_data(&mut self, ino: u32, off: u64, data: &[u8]) -> Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        let bs = self.geo.block_size;
        let (b0, count) = self.block_range(off, data.len() as u64)?;
        let end = off + data.len() as u64;
        let pieces = self.map_for_write(ino, b0, count)?;
        for p in pieces {
            let run_start = u64::from(p.lblk) * bs;
            let run_end = run_start + u64::from(p.len) * bs;
            let lo = off.max(run_start);
            let hi = end.min(run_end);
            let src = &data[(lo - off) as usize..(hi - off) as usize];
            let dev_at = p.pblk * bs + (lo - run_start);
            let head_pad = (lo - run_start) % bs;
            let tail_pad = (bs - hi % bs) % bs;
            if head_pad == 0 && tail_pad == 0 {
                self.dev.write_at(dev_at, src)?;
            } else {
                // Whole blocks around the partial ends: old contents, or zeros for new blocks.
                let blk_lo = dev_at - head_pad;
                let total = (head_pad + src.len() as u64 + tail_pad) as usize;
                let mut buf = vec![0u8; total];
                if !p.zero {
                    let b = bs as usize;
                    self.dev.read_zero_fill(blk_lo, &mut buf[..b])?;
                    if total > b {
                        self.dev
                            .read_zero_fill(blk_lo + (total - b) as u64, &mut buf[total - b..])?;
                    }
                }
                buf[head_pad as usize..head_pad as usize + src.len()].copy_from_slice(src);
                self.dev.write_at(blk_lo, &buf)?;
            }
            self.stats.data_bytes_written += src.len() as u64;
        }
        let st = self.inode(ino)?;
        if st.inode.size() < end {
            st.inode.set_size(end);
        }
        st.dirty = true;
        Ok(())
    }

    /// Backs `[off, off + len)` with initialised blocks without writing them; returns the
    /// device byte ranges in file order.
    pub(crate) fn allocate_range(
        &mut self,
        ino: u32,
        off: u64,
        len: u64,
    ) -> Result<Vec<(u64, u64)>> {
        let bs = self.geo.block_size;
        if !off.is_multiple_of(bs) {
            return Err(Ext4Error::InvalidArgument(
                "allocate offset is not block aligned",
            ));
        }
        if len == 0 {
            return Ok(Vec::new());
        }
        let (b0, count) = self.block_range(off, len)?;
        let end = off + len;
        let pieces = self.map_for_write(ino, b0, count)?;
        let mut out: Vec<(u64, u64)> = Vec::new();
        for p in pieces {
            let start = u64::from(p.lblk) * bs;
            let n = (u64::from(p.len) * bs).min(end - start);
            let at = p.pblk * bs;
            match out.last_mut() {
                Some(last) if last.0 + last.1 == at => last.1 += n,
                _ => out.push((at, n)),
            }
        }
        let st = self.inode(ino)?;
        if st.inode.size() < end {
            st.inode.set_size(end);
        }
        st.dirty = true;
        Ok(out)
    }

    /// Reads file contents (holes and uninitialised extents read as zeros), up to i_size.
    pub fn read(&mut self, ino: u32, off: u64, len: usize) -> Result<Vec<u8>> {
        let size = self.inode(ino)?.inode.size();
        let end = size.min(off.saturating_add(len as u64));
        if end <= off {
            return Ok(Vec::new());
        }
        let bs = self.geo.block_size;
        let mut out = vec![0u8; (end - off) as usize];
        let (b0, count) = self.block_range(off, end - off)?;
        let runs = self.extent_map(ino)?.runs(b0, count);
        for r in runs {
            let Some(p) = r.pblk.filter(|_| !r.uninit) else {
                continue;
            };
            let run_start = u64::from(r.lblk) * bs;
            let lo = off.max(run_start);
            let hi = end.min(run_start + u64::from(r.len) * bs);
            let dst = &mut out[(lo - off) as usize..(hi - off) as usize];
            self.dev.read_zero_fill(p * bs + (lo - run_start), dst)?;
        }
        Ok(out)
    }

    /// Sets i_size; shrinking releases the blocks past the end and zeroes the tail block.
    pub(crate) fn truncate(&mut self, ino: u32, size: u64) -> Result<()> {
        let bs = self.geo.block_size;
        let keep = size.div_ceil(bs);
        if keep > MAX_BLOCKS {
            return Err(Ext4Error::FileTooLarge);
        }
        let old = self.inode(ino)?.inode.size();
        if size < old {
            let freed = self.extent_map(ino)?.truncate(keep as u32);
            for (s, n) in freed {
                self.free_blocks(s, n)?;
            }
            if !size.is_multiple_of(bs) {
                let last = (size / bs) as u32;
                let runs = self.extent_map(ino)?.runs(last, 1);
                if let Some(p) = runs.first().and_then(|r| r.pblk.filter(|_| !r.uninit)) {
                    let cut = (size % bs) as usize;
                    let mut blk = vec![0u8; bs as usize];
                    self.dev.read_zero_fill(p * bs, &mut blk)?;
                    blk[cut..].fill(0);
                    self.dev.write_at(p * bs, &blk)?;
                }
            }
        }
        let st = self.inode(ino)?;
        st.inode.set_size(size);
        st.dirty = true;
        Ok(())
    }

    /// Whether the inode's i_block holds a block map (not device numbers or a fast symlink).
    pub(crate) fn has_block_map(&mut self, ino: u32) -> Result<bool> {
        let inode = &self.inode(ino)?.inode;
        let fmt = inode.mode() & S_IFMT;
        Ok(match inode.file_type() {
            Some(ociapply::FileType::Regular | ociapply::FileType::Directory) => true,
            _ if fmt == S_IFLNK => !inode.is_fast_symlink() || inode.flags() & FL_EXTENTS != 0,
            _ => false,
        })
    }

    /// Frees every data and tree block of the inode.
    pub(crate) fn release_blocks(&mut self, ino: u32) -> Result<()> {
        if !self.has_block_map(ino)? {
            return Ok(());
        }
        let map = self.extent_map(ino)?;
        let exts = std::mem::take(&mut map.exts);
        let tree = std::mem::take(&mut map.tree_blocks);
        map.dirty = false;
        for e in exts {
            self.free_blocks(e.pblk, u64::from(e.len))?;
        }
        for b in tree {
            self.free_blocks(b, 1)?;
        }
        Ok(())
    }
}

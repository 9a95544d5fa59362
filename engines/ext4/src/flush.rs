//! Flush: rebuild changed directories and extent trees, store inodes, descriptors and the
//! superblock into the block cache, then write every dirty block in ascending order.

use blockio::{ReadAt, WriteAt};

use crate::error::{Result, corrupt};
use crate::inode::{FL_EXTENTS, I_BLOCK_LEN};
use crate::superblock::SUPERBLOCK_OFFSET;
use crate::volume::{Ext4, FlushStats};

impl<D: ReadAt + WriteAt> Ext4<D> {
    /// Writes every pending change, in ascending block order; returns the metadata blocks
    /// this flush wrote and the data bytes written since the previous flush.
    pub fn flush(&mut self) -> Result<FlushStats> {
        self.stage()?;
        let blocks = self.cache.write_dirty(&mut self.dev)?;
        self.stats.metadata_blocks_written += blocks;
        let data = self.stats.data_bytes_written - self.data_at_last_flush;
        self.data_at_last_flush = self.stats.data_bytes_written;
        Ok(FlushStats {
            metadata_blocks_written: blocks,
            data_bytes_written: data,
        })
    }

    /// Moves every in-memory change into the block cache.
    pub(crate) fn stage(&mut self) -> Result<()> {
        // Metadata rebuilt here may reuse held-back blocks: it is written after anything else
        // the layer holds, so it wins. Blocks it frees itself go straight back to the pool.
        self.release_deferred_frees()?;
        let defer = std::mem::replace(&mut self.defer_frees, false);
        let staged = self.stage_changes();
        self.defer_frees = defer;
        staged
    }

    fn stage_changes(&mut self) -> Result<()> {
        self.rebuild_dirs()?;
        self.rebuild_extent_trees()?;
        self.store_inodes()?;
        self.store_descriptors()?;
        self.store_superblock()
    }

    fn rebuild_extent_trees(&mut self) -> Result<()> {
        let mut todo: Vec<u32> = self
            .inodes
            .iter()
            .filter(|(_, s)| s.map.as_ref().is_some_and(|m| m.dirty))
            .map(|(&i, _)| i)
            .collect();
        todo.sort_unstable();
        let bs = self.geo.block_size as usize;
        for ino in todo {
            let map = self.extent_map(ino)?;
            let need = map.blocks_needed(bs);
            let have = map.tree_blocks.len();
            let goal = map.exts.first().map(|e| e.pblk);
            if need < have {
                let extra: Vec<u64> = map.tree_blocks.drain(need..).collect();
                for b in extra {
                    self.free_blocks(b, 1)?;
                }
            } else if need > have {
                let runs = self.alloc_exact(goal, (need - have) as u64)?;
                let map = self.extent_map(ino)?;
                for (s, n) in runs {
                    map.tree_blocks.extend(s..s + n);
                }
            }
            let map = self.extent_map(ino)?;
            map.dirty = false;
            let mut root = [0u8; I_BLOCK_LEN];
            let images = map.build(&mut root, &map.tree_blocks, bs);
            let tree = map.tree_blocks.len() as u64;
            let data = map.data_blocks();
            for (blk, img) in images {
                self.cache.create(blk, false).copy_from_slice(&img);
            }
            let st = self.inode(ino)?;
            st.inode.i_block_mut().copy_from_slice(&root);
            st.inode.set_flags(st.inode.flags() | FL_EXTENTS);
            let ea = u64::from(st.inode.file_acl() != 0);
            st.inode.set_fs_blocks(data + tree + ea);
            st.dirty = true;
        }
        Ok(())
    }

    fn store_inodes(&mut self) -> Result<()> {
        let mut todo: Vec<u32> = self
            .inodes
            .iter()
            .filter(|(_, s)| s.dirty)
            .map(|(&i, _)| i)
            .collect();
        todo.sort_unstable();
        let isz = self.geo.inode_size;
        for ino in todo {
            let (blk, off) = self.inode_loc(ino)?;
            let Some(st) = self.inodes.get_mut(&ino) else {
                continue;
            };
            st.dirty = false;
            let raw = st.inode.raw.clone();
            let block = self.cache.get_mut(&self.dev, blk)?;
            block
                .get_mut(off..off + isz)
                .ok_or_else(|| corrupt("inode outside its table block"))?
                .copy_from_slice(&raw);
        }
        Ok(())
    }

    fn store_descriptors(&mut self) -> Result<()> {
        let per_block = self.geo.descs_per_block();
        let ds = self.geo.desc_size;
        let uuid = self.geo.uuid;
        let csum = self.geo.gdt_csum.then_some(&uuid);
        let groups: Vec<u32> = std::mem::take(&mut self.dirty_groups).into_iter().collect();
        for g in groups {
            let blk = 1 + u64::from(g) / per_block;
            let off = (u64::from(g) % per_block) as usize * ds;
            let bytes = self.descs[g as usize].encode(g, csum).to_vec();
            self.cache.get_mut(&self.dev, blk)?[off..off + ds].copy_from_slice(&bytes);
        }
        Ok(())
    }

    fn store_superblock(&mut self) -> Result<()> {
        if !self.sb_dirty {
            return Ok(());
        }
        self.sb_dirty = false;
        let raw = self.sb.raw;
        let off = SUPERBLOCK_OFFSET as usize;
        self.cache.get_mut(&self.dev, 0)?[off..off + raw.len()].copy_from_slice(&raw);
        Ok(())
    }
}

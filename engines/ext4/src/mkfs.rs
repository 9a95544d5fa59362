//! mkfs with the parameters of overlaybd's userspace mkfs (spec §3.4), writing only the blocks
//! a fresh filesystem needs: the device is assumed to read unwritten space as zeros.

use blockio::{ReadAt, WriteAt};

use crate::error::{Ext4Error, Result};
use crate::extent::Extent;
use crate::groups::{Geometry, GroupDesc, set_padding};
use crate::inode::{FL_EXTENTS, Inode, LOST_FOUND_INO, RESIZE_INO, ROOT_INO, S_IFDIR, S_IFREG};
use crate::superblock::*;
use crate::volume::Ext4;

/// What to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MkfsOptions {
    /// Device size in bytes (rounded down to whole 4 KiB blocks).
    pub size: u64,
}

const BLOCK_SIZE: u64 = 4096;
const BLOCKS_PER_GROUP: u64 = 32768;
const INODE_SIZE: u64 = 256;
const BYTES_PER_INODE: u64 = 16384;
const LOST_FOUND_BLOCKS: u64 = 4;
/// Addresses per indirect block (4 KiB / 4).
const APB: u64 = BLOCK_SIZE / 4;

/// Reserved GDT blocks so the filesystem could grow 1024-fold (or to 2^32 blocks).
fn reserved_gdt_blocks(blocks: u64, desc_blocks: u64, descs_per_block: u64) -> u64 {
    let max_blocks = if blocks < 0xFFFF_FFFF / 1024 {
        blocks * 1024
    } else {
        0xFFFF_FFFF
    };
    let rsv_groups = max_blocks.div_ceil(BLOCKS_PER_GROUP);
    let rsv = rsv_groups
        .div_ceil(descs_per_block)
        .saturating_sub(desc_blocks);
    rsv.min(APB)
}

fn put_dirent(
    block: &mut [u8],
    off: usize,
    ino: u32,
    rec_len: usize,
    ftype: u8,
    name: &[u8],
) -> usize {
    block[off..off + 4].copy_from_slice(&ino.to_le_bytes());
    block[off + 4..off + 6].copy_from_slice(&(rec_len as u16).to_le_bytes());
    block[off + 6] = name.len() as u8;
    block[off + 7] = ftype;
    block[off + 8..off + 8 + name.len()].copy_from_slice(name);
    off + rec_len
}

/// Superblock for `blocks` blocks, or None when the last group is too small to keep.
fn make_superblock(blocks: u64) -> Result<Superblock> {
    let groups = blocks.div_ceil(BLOCKS_PER_GROUP);
    let descs_per_block = BLOCK_SIZE / 64;
    let desc_blocks = groups.div_ceil(descs_per_block);
    let resize = blocks <= 0xFFFF_FFFF;
    let rsv = if resize {
        reserved_gdt_blocks(blocks, desc_blocks, descs_per_block)
    } else {
        0
    };
    let inodes_wanted = (blocks * BLOCK_SIZE / BYTES_PER_INODE).max(16);
    let per_block = BLOCK_SIZE / INODE_SIZE;
    let ipg = inodes_wanted.div_ceil(groups).div_ceil(per_block) * per_block;
    let ipg = ipg.min(BLOCK_SIZE * 8);
    let inodes = ipg * groups;
    if inodes > u64::from(u32::MAX) {
        return Err(Ext4Error::BadDeviceSize(blocks * BLOCK_SIZE));
    }
    let mut sb = Superblock::zeroed();
    sb.set_inodes_count(inodes as u32);
    sb.set_blocks_count(blocks);
    sb.set_r_blocks_count(blocks * 5 / 100);
    sb.set_first_data_block(0);
    sb.set_log_block_size(2);
    sb.set_log_cluster_size(2);
    sb.set_blocks_per_group(BLOCKS_PER_GROUP as u32);
    sb.set_clusters_per_group(BLOCKS_PER_GROUP as u32);
    sb.set_inodes_per_group(ipg as u32);
    sb.set_max_mnt_count(0xFFFF);
    sb.set_magic(MAGIC);
    sb.set_state(1);
    sb.set_errors(1);
    sb.set_rev_level(1);
    sb.set_first_ino(11);
    sb.set_inode_size(INODE_SIZE as u16);
    let mut compat = COMPAT_EXT_ATTR | COMPAT_DIR_INDEX | COMPAT_SPARSE_SUPER2;
    if resize {
        compat |= COMPAT_RESIZE_INODE;
    }
    sb.set_feature_compat(compat);
    sb.set_feature_incompat(
        INCOMPAT_FILETYPE | INCOMPAT_EXTENTS | INCOMPAT_64BIT | INCOMPAT_FLEX_BG,
    );
    sb.set_feature_ro_compat(
        RO_COMPAT_SPARSE_SUPER
            | RO_COMPAT_LARGE_FILE
            | RO_COMPAT_HUGE_FILE
            | RO_COMPAT_DIR_NLINK
            | RO_COMPAT_EXTRA_ISIZE,
    );
    sb.set_reserved_gdt_blocks(rsv as u16);
    sb.set_u8(0xFC, 1); // half_md4
    sb.set_desc_size(64);
    sb.set_min_extra_isize(32);
    sb.set_want_extra_isize(32);
    sb.set_flags(FLAG_SIGNED_HASH);
    sb.raw[0x178] = 1; // lifetime kbytes written
    // sparse_super2 backups: group 1 and the last group, as libext2fs normalises them.
    let last = groups as u32 - 1;
    let mut bgs = [1u32.min(last), last];
    if bgs[1] == bgs[0] {
        bgs[1] = 0;
    }
    if bgs[0] > bgs[1] {
        bgs.swap(0, 1);
    }
    sb.set_backup_bg0(bgs[0]);
    sb.set_backup_bg1(bgs[1]);
    Ok(sb)
}

impl<D: ReadAt + WriteAt> Ext4<D> {
    /// Makes a new filesystem on a zero-reading device of at least `opts.size` bytes.
    pub fn mkfs(dev: D, opts: &MkfsOptions) -> Result<Self> {
        let mut blocks = opts.size / BLOCK_SIZE;
        if !(4096..=(1 << 40)).contains(&blocks) {
            return Err(Ext4Error::BadDeviceSize(opts.size));
        }
        // A last group too small for its own metadata plus some data is dropped, as mke2fs does.
        let geo = loop {
            let sb = make_superblock(blocks)?;
            let geo = Geometry::from_superblock(&sb)?;
            let last = geo.groups - 1;
            let need = geo.super_overhead(last) + 2 + geo.itable_blocks + 50;
            if geo.group_len(last) >= need {
                break geo;
            }
            if last == 0 {
                return Err(Ext4Error::BadDeviceSize(opts.size));
            }
            blocks = u64::from(last) * BLOCKS_PER_GROUP;
        };
        let mut sb = make_superblock(blocks)?;
        let ipg = geo.inodes_per_group;

        let mut descs = Vec::with_capacity(geo.groups as usize);
        for g in 0..geo.groups {
            let first = geo.group_first_block(g);
            let start = first + geo.super_overhead(g);
            let mut d = GroupDesc::new(geo.desc_size);
            d.block_bitmap = start;
            d.inode_bitmap = start + 1;
            d.inode_table = start + 2;
            let used = geo.super_overhead(g) + 2 + geo.itable_blocks;
            d.free_blocks = (geo.group_len(g) - used) as u32;
            d.free_inodes = ipg;
            descs.push(d);
        }

        // Group 0 also holds the resize inode's block, the root and lost+found blocks.
        let mut next = descs[0].inode_table + geo.itable_blocks;
        let mut take = |n: u64| {
            let b = next;
            next += n;
            b
        };
        let resize = geo.reserved_gdt > 0;
        let dind = if resize { take(1) } else { 0 };
        let root_blk = take(1);
        let lf_blk = take(LOST_FOUND_BLOCKS);
        let group0_extra = next - (descs[0].inode_table + geo.itable_blocks);
        descs[0].free_blocks -= group0_extra as u32;
        descs[0].free_inodes = ipg - 11;
        descs[0].used_dirs = 2;

        let free_blocks: u64 = descs.iter().map(|d| u64::from(d.free_blocks)).sum();
        let free_inodes: u64 = descs.iter().map(|d| u64::from(d.free_inodes)).sum();
        sb.set_free_blocks(free_blocks);
        sb.set_free_inodes_count(free_inodes as u32);

        let mut fs = Ext4::assemble(dev, sb, geo.clone(), descs);
        fs.sb_dirty = true;
        fs.dirty_groups = (0..geo.groups).collect();

        // Bitmaps: used metadata bits, and padding past the group end / inodes per group.
        let bs = geo.block_size as usize;
        for g in 0..geo.groups {
            let first = geo.group_first_block(g);
            let d = &fs.descs[g as usize];
            let used_end =
                d.inode_table + geo.itable_blocks + if g == 0 { group0_extra } else { 0 };
            let (bb, ib) = (d.block_bitmap, d.inode_bitmap);
            let bm = fs.cache.create(bb, true);
            let used = (used_end - first) as usize;
            bm[..used / 8].fill(0xFF);
            for i in (used / 8) * 8..used {
                bm[i / 8] |= 1 << (i % 8);
            }
            set_padding(bm, geo.group_len(g) as usize);
            let im = fs.cache.create(ib, true);
            set_padding(im, ipg as usize);
            if g == 0 {
                im[0] = 0xFF;
                im[1] |= 0x07; // inodes 1..=11
            }
        }

        // Root and lost+found.
        let root = fs.cache.create(root_blk, true);
        let off = put_dirent(root, 0, ROOT_INO, 12, 2, b".");
        let off = put_dirent(root, off, ROOT_INO, 12, 2, b"..");
        put_dirent(root, off, LOST_FOUND_INO, bs - off, 2, b"lost+found");
        for k in 0..LOST_FOUND_BLOCKS {
            let blk = fs.cache.create(lf_blk + k, true);
            if k == 0 {
                let off = put_dirent(blk, 0, LOST_FOUND_INO, 12, 2, b".");
                put_dirent(blk, off, ROOT_INO, bs - 12, 2, b"..");
            } else {
                blk[4..6].copy_from_slice(&(bs as u16).to_le_bytes());
            }
        }
        for (ino, mode, links, blk, n) in [
            (ROOT_INO, S_IFDIR | 0o755, 3, root_blk, 1),
            (
                LOST_FOUND_INO,
                S_IFDIR | 0o700,
                2,
                lf_blk,
                LOST_FOUND_BLOCKS,
            ),
        ] {
            let mut inode = Inode::new(geo.inode_size);
            inode.set_mode(mode);
            inode.set_links(links);
            inode.set_size(n * geo.block_size);
            inode.set_flags(FL_EXTENTS);
            fs.put_new_inode(ino, inode);
            fs.extent_map(ino)?.insert(Extent {
                lblk: 0,
                pblk: blk,
                len: n as u32,
                uninit: false,
            });
        }

        if resize {
            fs.make_resize_inode(dind)?;
        }

        fs.stage()?;
        fs.copy_backups()?;
        let written = fs.cache.write_dirty(&mut fs.dev)?;
        fs.stats.metadata_blocks_written += written;
        Ok(fs)
    }

    /// Inode 7: a double-indirect block listing the primary reserved GDT blocks, each of
    /// which lists its copies in the backup groups.
    fn make_resize_inode(&mut self, dind: u64) -> Result<()> {
        let geo = self.geo.clone();
        let backups: Vec<u32> = geo
            .backup_bgs
            .iter()
            .copied()
            .filter(|&g| g != 0 && g < geo.groups)
            .collect();
        let mut count = 1u64;
        let mut dind_entries = Vec::new();
        for i in 0..geo.reserved_gdt {
            let gdt_blk = 1 + geo.desc_blocks + i;
            dind_entries.push((((geo.desc_blocks + i) % APB) as usize, gdt_blk as u32));
            let blk = self.cache.create(gdt_blk, true);
            for (k, &g) in backups.iter().enumerate() {
                let expect = gdt_blk + geo.group_first_block(g);
                blk[k * 4..k * 4 + 4].copy_from_slice(&(expect as u32).to_le_bytes());
            }
            count += 1 + backups.len() as u64;
        }
        let blk = self.cache.create(dind, true);
        for (slot, v) in dind_entries {
            blk[slot * 4..slot * 4 + 4].copy_from_slice(&v.to_le_bytes());
        }
        let mut inode = Inode::new(geo.inode_size);
        inode.set_mode(S_IFREG | 0o600);
        inode.set_links(1);
        inode.set_size((APB * APB + APB + 12) * geo.block_size);
        inode.i_block_mut()[13 * 4..14 * 4].copy_from_slice(&(dind as u32).to_le_bytes());
        inode.set_fs_blocks(count);
        self.put_new_inode(RESIZE_INO, inode);
        Ok(())
    }

    /// Copies the superblock and descriptor table into the backup groups.
    fn copy_backups(&mut self) -> Result<()> {
        let geo = self.geo.clone();
        let mut table = Vec::new();
        for b in 0..geo.desc_blocks {
            table.extend_from_slice(self.cache.get(&self.dev, 1 + b)?);
        }
        for g in 1..geo.groups {
            if !geo.group_has_super(g) {
                continue;
            }
            let first = geo.group_first_block(g);
            let mut sb = self.sb.clone();
            sb.set_block_group_nr(g as u16);
            self.cache.create(first, true)[..SUPERBLOCK_SIZE].copy_from_slice(&sb.raw);
            for b in 0..geo.desc_blocks {
                let bs = geo.block_size as usize;
                let src = &table[b as usize * bs..(b as usize + 1) * bs];
                self.cache.create(first + 1 + b, true).copy_from_slice(src);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_gdt_matches_libext2fs() {
        // 1 GiB: 8 groups, 1 descriptor block; 64 GiB: capped at 1024.
        assert_eq!(reserved_gdt_blocks(262_144, 1, 64), 127);
        assert_eq!(reserved_gdt_blocks(16_777_216, 8, 64), 1024);
    }
}

//! Block-group geometry, group descriptors (with the uninit_bg crc16 checksum) and the bitmap
//! contents of groups whose bitmaps were never initialised on disk.

use crate::error::{Result, corrupt};
use crate::superblock::{
    COMPAT_SPARSE_SUPER2, RO_COMPAT_GDT_CSUM, RO_COMPAT_SPARSE_SUPER, Superblock,
};

pub const BG_INODE_UNINIT: u16 = 0x1;
pub const BG_BLOCK_UNINIT: u16 = 0x2;

/// The fixed layout facts derived from the superblock.
#[derive(Debug, Clone)]
pub struct Geometry {
    pub block_size: u64,
    pub blocks_count: u64,
    pub blocks_per_group: u64,
    pub inodes_per_group: u32,
    pub inode_size: usize,
    pub groups: u32,
    pub desc_size: usize,
    pub desc_blocks: u64,
    pub reserved_gdt: u64,
    pub itable_blocks: u64,
    pub sparse_super: bool,
    pub sparse_super2: bool,
    pub backup_bgs: [u32; 2],
    pub gdt_csum: bool,
    pub uuid: [u8; 16],
}

impl Geometry {
    pub fn from_superblock(sb: &Superblock) -> Result<Self> {
        let block_size = sb.block_size();
        let blocks_count = sb.blocks_count();
        let bpg = u64::from(sb.blocks_per_group());
        if blocks_count == 0 || bpg == 0 {
            return Err(corrupt("zero blocks or blocks per group"));
        }
        let groups64 = blocks_count.div_ceil(bpg);
        let groups = u32::try_from(groups64).map_err(|_| corrupt("too many groups"))?;
        let ipg = sb.inodes_per_group();
        if u64::from(ipg) * u64::from(groups) != u64::from(sb.inodes_count()) {
            return Err(corrupt("inode count does not match the groups"));
        }
        let desc_size = sb.desc_size();
        let per_block = block_size / desc_size as u64;
        let inode_size = usize::from(sb.inode_size());
        let geo = Geometry {
            block_size,
            blocks_count,
            blocks_per_group: bpg,
            inodes_per_group: ipg,
            inode_size,
            groups,
            desc_size,
            desc_blocks: u64::from(groups).div_ceil(per_block),
            reserved_gdt: u64::from(sb.reserved_gdt_blocks()),
            itable_blocks: (u64::from(ipg) * inode_size as u64).div_ceil(block_size),
            sparse_super: sb.has_ro_compat(RO_COMPAT_SPARSE_SUPER),
            sparse_super2: sb.has_compat(COMPAT_SPARSE_SUPER2),
            backup_bgs: [sb.backup_bg0(), sb.backup_bg1()],
            gdt_csum: sb.has_ro_compat(RO_COMPAT_GDT_CSUM),
            uuid: sb.uuid(),
        };
        if geo.super_overhead(0) >= geo.group_len(0) {
            return Err(corrupt(
                "group 0 cannot hold the superblock and descriptors",
            ));
        }
        Ok(geo)
    }

    pub fn group_first_block(&self, g: u32) -> u64 {
        u64::from(g) * self.blocks_per_group
    }

    pub fn group_len(&self, g: u32) -> u64 {
        let first = self.group_first_block(g);
        self.blocks_per_group
            .min(self.blocks_count.saturating_sub(first))
    }

    pub fn group_of_block(&self, b: u64) -> u32 {
        (b / self.blocks_per_group) as u32
    }

    pub fn group_has_super(&self, g: u32) -> bool {
        if g == 0 {
            return true;
        }
        if self.sparse_super2 {
            return g == self.backup_bgs[0] || g == self.backup_bgs[1];
        }
        if !self.sparse_super || g == 1 {
            return true;
        }
        [3u32, 5, 7].iter().any(|&base| is_power_of(g, base))
    }

    /// Blocks at the start of a group taken by a superblock copy and the descriptor tables.
    pub fn super_overhead(&self, g: u32) -> u64 {
        if self.group_has_super(g) {
            1 + self.desc_blocks + self.reserved_gdt
        } else {
            0
        }
    }

    pub fn descs_per_block(&self) -> u64 {
        self.block_size / self.desc_size as u64
    }
}

fn is_power_of(mut n: u32, base: u32) -> bool {
    while n > 1 && n.is_multiple_of(base) {
        n /= base;
    }
    n == 1
}

/// One decoded group descriptor; `raw` keeps the bytes this writer does not interpret.
#[derive(Debug, Clone)]
pub struct GroupDesc {
    pub block_bitmap: u64,
    pub inode_bitmap: u64,
    pub inode_table: u64,
    pub free_blocks: u32,
    pub free_inodes: u32,
    pub used_dirs: u32,
    pub flags: u16,
    pub itable_unused: u32,
    pub raw: Vec<u8>,
}

fn rd16(b: &[u8], o: usize) -> u32 {
    u32::from(u16::from_le_bytes([b[o], b[o + 1]]))
}
fn rd32(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}
fn wr16(b: &mut [u8], o: usize, v: u32) {
    b[o..o + 2].copy_from_slice(&(v as u16).to_le_bytes());
}
fn wr32(b: &mut [u8], o: usize, v: u32) {
    b[o..o + 4].copy_from_slice(&v.to_le_bytes());
}

impl GroupDesc {
    pub fn new(desc_size: usize) -> Self {
        GroupDesc {
            block_bitmap: 0,
            inode_bitmap: 0,
            inode_table: 0,
            free_blocks: 0,
            free_inodes: 0,
            used_dirs: 0,
            flags: 0,
            itable_unused: 0,
            raw: vec![0; desc_size],
        }
    }

    /// Decodes `raw` (exactly one descriptor, 32 or >= 64 bytes).
    pub fn parse(raw: &[u8]) -> Self {
        let wide = raw.len() >= 64;
        let hi = |o: usize| if wide { rd32(raw, o) } else { 0 };
        let hi16 = |o: usize| if wide { rd16(raw, o) } else { 0 };
        GroupDesc {
            block_bitmap: u64::from(rd32(raw, 0)) | (u64::from(hi(0x20)) << 32),
            inode_bitmap: u64::from(rd32(raw, 4)) | (u64::from(hi(0x24)) << 32),
            inode_table: u64::from(rd32(raw, 8)) | (u64::from(hi(0x28)) << 32),
            free_blocks: rd16(raw, 0xC) | (hi16(0x2C) << 16),
            free_inodes: rd16(raw, 0xE) | (hi16(0x2E) << 16),
            used_dirs: rd16(raw, 0x10) | (hi16(0x30) << 16),
            flags: rd16(raw, 0x12) as u16,
            itable_unused: rd16(raw, 0x1C) | (hi16(0x32) << 16),
            raw: raw.to_vec(),
        }
    }

    /// Encodes the fields into `raw`, with the crc16 checksum when `csum` is given (uuid).
    pub fn encode(&mut self, group: u32, csum: Option<&[u8; 16]>) -> &[u8] {
        let wide = self.raw.len() >= 64;
        let r = &mut self.raw;
        wr32(r, 0, self.block_bitmap as u32);
        wr32(r, 4, self.inode_bitmap as u32);
        wr32(r, 8, self.inode_table as u32);
        wr16(r, 0xC, self.free_blocks);
        wr16(r, 0xE, self.free_inodes);
        wr16(r, 0x10, self.used_dirs);
        wr16(r, 0x12, u32::from(self.flags));
        wr16(r, 0x1C, self.itable_unused);
        if wide {
            wr32(r, 0x20, (self.block_bitmap >> 32) as u32);
            wr32(r, 0x24, (self.inode_bitmap >> 32) as u32);
            wr32(r, 0x28, (self.inode_table >> 32) as u32);
            wr16(r, 0x2C, self.free_blocks >> 16);
            wr16(r, 0x2E, self.free_inodes >> 16);
            wr16(r, 0x30, self.used_dirs >> 16);
            wr16(r, 0x32, self.itable_unused >> 16);
        }
        let sum = match csum {
            Some(uuid) => desc_checksum(uuid, group, r),
            None => 0,
        };
        wr16(r, 0x1E, u32::from(sum));
        &self.raw
    }
}

const CRC16_TABLE: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u16;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xA001
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

pub fn crc16(mut crc: u16, data: &[u8]) -> u16 {
    for &b in data {
        crc = (crc >> 8) ^ CRC16_TABLE[usize::from((crc ^ u16::from(b)) as u8)];
    }
    crc
}

/// The uninit_bg descriptor checksum: crc16 over uuid, group number and the descriptor
/// without its checksum field.
pub fn desc_checksum(uuid: &[u8; 16], group: u32, desc: &[u8]) -> u16 {
    let mut crc = crc16(0xFFFF, uuid);
    crc = crc16(crc, &group.to_le_bytes());
    crc = crc16(crc, &desc[..0x1E]);
    if desc.len() > 0x20 {
        crc = crc16(crc, &desc[0x20..]);
    }
    crc
}

/// Reads every descriptor from the primary table and checks that its locations are plausible.
pub fn parse_table(geo: &Geometry, table: &[u8]) -> Result<Vec<GroupDesc>> {
    let mut out = Vec::with_capacity(geo.groups as usize);
    for g in 0..geo.groups {
        let off = g as usize * geo.desc_size;
        let raw = table
            .get(off..off + geo.desc_size)
            .ok_or_else(|| corrupt("descriptor table is short"))?;
        let d = GroupDesc::parse(raw);
        let end = geo.blocks_count;
        if d.block_bitmap >= end
            || d.inode_bitmap >= end
            || d.inode_table
                .checked_add(geo.itable_blocks)
                .is_none_or(|e| e > end)
            || d.block_bitmap == 0
            || d.inode_bitmap == 0
            || d.inode_table == 0
        {
            return Err(corrupt(format!(
                "group {g} descriptor points outside the filesystem"
            )));
        }
        if u64::from(d.free_blocks) > geo.group_len(g) || d.free_inodes > geo.inodes_per_group {
            return Err(corrupt(format!("group {g} free counts are impossible")));
        }
        out.push(d);
    }
    Ok(out)
}

/// The block bitmap of a group as it must be once initialised: every block holding any group's
/// metadata inside this group set, plus the padding past the group's end.
pub fn initial_block_bitmap(geo: &Geometry, descs: &[GroupDesc], g: u32) -> Vec<u8> {
    let mut bm = vec![0u8; geo.block_size as usize];
    let first = geo.group_first_block(g);
    let len = geo.group_len(g);
    let mut mark = |start: u64, count: u64| {
        let lo = start.max(first);
        let hi = (start + count).min(first + len);
        for b in lo..hi {
            let bit = (b - first) as usize;
            bm[bit / 8] |= 1 << (bit % 8);
        }
    };
    mark(first, geo.super_overhead(g));
    for d in descs {
        mark(d.block_bitmap, 1);
        mark(d.inode_bitmap, 1);
        mark(d.inode_table, geo.itable_blocks);
    }
    set_padding(&mut bm, len as usize);
    bm
}

/// Sets every bit from `from` to the end of the bitmap block, as e2fsck expects.
pub fn set_padding(bm: &mut [u8], from: usize) {
    let total = bm.len() * 8;
    let mut bit = from;
    while bit < total && !bit.is_multiple_of(8) {
        bm[bit / 8] |= 1 << (bit % 8);
        bit += 1;
    }
    if bit < total {
        bm[bit / 8..].fill(0xFF);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_matches_the_arc_check_value() {
        // CRC-16/ARC of "123456789" with init 0 is 0xBB3D.
        assert_eq!(crc16(0, b"123456789"), 0xBB3D);
    }

    #[test]
    fn sparse_groups() {
        let mut sb = Superblock::zeroed();
        sb.set_magic(0xEF53);
        sb.set_log_block_size(2);
        sb.set_blocks_per_group(32768);
        sb.set_blocks_count(32768 * 100);
        sb.set_inodes_per_group(8192);
        sb.set_inodes_count(8192 * 100);
        sb.set_inode_size(256);
        sb.set_feature_ro_compat(RO_COMPAT_SPARSE_SUPER);
        let geo = Geometry::from_superblock(&sb).unwrap();
        let with: Vec<u32> = (0..100).filter(|&g| geo.group_has_super(g)).collect();
        assert_eq!(with, vec![0, 1, 3, 5, 7, 9, 25, 27, 49, 81]);
    }
}

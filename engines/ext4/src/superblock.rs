//! The superblock: kept as its raw 1024 bytes so fields this writer does not model survive a
//! rewrite, with typed accessors for the ones it does.

use crate::error::{Ext4Error, Result};

pub const SUPERBLOCK_OFFSET: u64 = 1024;
pub const SUPERBLOCK_SIZE: usize = 1024;
pub const MAGIC: u16 = 0xEF53;

pub const COMPAT_EXT_ATTR: u32 = 0x8;
pub const COMPAT_RESIZE_INODE: u32 = 0x10;
pub const COMPAT_DIR_INDEX: u32 = 0x20;
pub const COMPAT_SPARSE_SUPER2: u32 = 0x200;

pub const INCOMPAT_FILETYPE: u32 = 0x2;
pub const INCOMPAT_EXTENTS: u32 = 0x40;
pub const INCOMPAT_64BIT: u32 = 0x80;
pub const INCOMPAT_FLEX_BG: u32 = 0x200;

pub const RO_COMPAT_SPARSE_SUPER: u32 = 0x1;
pub const RO_COMPAT_LARGE_FILE: u32 = 0x2;
pub const RO_COMPAT_HUGE_FILE: u32 = 0x8;
pub const RO_COMPAT_GDT_CSUM: u32 = 0x10;
pub const RO_COMPAT_DIR_NLINK: u32 = 0x20;
pub const RO_COMPAT_EXTRA_ISIZE: u32 = 0x40;

const INCOMPAT_SUPPORTED: u32 =
    INCOMPAT_FILETYPE | INCOMPAT_EXTENTS | INCOMPAT_64BIT | INCOMPAT_FLEX_BG;
const RO_COMPAT_SUPPORTED: u32 = RO_COMPAT_SPARSE_SUPER
    | RO_COMPAT_LARGE_FILE
    | 0x4 // btree_dir: never set by anyone, harmless
    | RO_COMPAT_HUGE_FILE
    | RO_COMPAT_GDT_CSUM
    | RO_COMPAT_DIR_NLINK
    | RO_COMPAT_EXTRA_ISIZE;

const INCOMPAT_NAMES: &[(u32, &str)] = &[
    (0x1, "compression"),
    (0x4, "needs_recovery"),
    (0x8, "journal_dev"),
    (0x10, "meta_bg"),
    (0x100, "mmp"),
    (0x400, "ea_inode"),
    (0x1000, "dirdata"),
    (0x2000, "metadata_csum_seed"),
    (0x4000, "large_dir"),
    (0x8000, "inline_data"),
    (0x10000, "encrypt"),
    (0x20000, "casefold"),
];
const RO_COMPAT_NAMES: &[(u32, &str)] = &[
    (0x80, "snapshot"),
    (0x100, "quota"),
    (0x200, "bigalloc"),
    (0x400, "metadata_csum"),
    (0x800, "replica"),
    (0x1000, "read-only"),
    (0x2000, "project"),
    (0x4000, "shared_blocks"),
    (0x8000, "verity"),
    (0x10000, "orphan_present"),
];

/// Superblock `s_flags` bits for the directory hash signedness.
pub const FLAG_SIGNED_HASH: u32 = 0x1;
pub const FLAG_UNSIGNED_HASH: u32 = 0x2;

macro_rules! field {
    ($get:ident, $set:ident, u16, $off:expr) => {
        pub fn $get(&self) -> u16 {
            u16::from_le_bytes([self.raw[$off], self.raw[$off + 1]])
        }
        pub fn $set(&mut self, v: u16) {
            self.raw[$off..$off + 2].copy_from_slice(&v.to_le_bytes());
        }
    };
    ($get:ident, $set:ident, u32, $off:expr) => {
        pub fn $get(&self) -> u32 {
            u32::from_le_bytes([
                self.raw[$off],
                self.raw[$off + 1],
                self.raw[$off + 2],
                self.raw[$off + 3],
            ])
        }
        pub fn $set(&mut self, v: u32) {
            self.raw[$off..$off + 4].copy_from_slice(&v.to_le_bytes());
        }
    };
}

#[derive(Clone)]
pub struct Superblock {
    pub raw: [u8; SUPERBLOCK_SIZE],
}

// The accessor macro defines getter/setter pairs; not every half is needed.
#[allow(dead_code)]
impl Superblock {
    pub fn zeroed() -> Self {
        Self {
            raw: [0; SUPERBLOCK_SIZE],
        }
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut raw = [0u8; SUPERBLOCK_SIZE];
        let src = bytes.get(..SUPERBLOCK_SIZE).ok_or(Ext4Error::BadMagic)?;
        raw.copy_from_slice(src);
        let sb = Self { raw };
        if sb.magic() != MAGIC {
            return Err(Ext4Error::BadMagic);
        }
        Ok(sb)
    }

    field!(inodes_count, set_inodes_count, u32, 0x0);
    field!(blocks_count_lo, set_blocks_count_lo, u32, 0x4);
    field!(r_blocks_count_lo, set_r_blocks_count_lo, u32, 0x8);
    field!(free_blocks_lo, set_free_blocks_lo, u32, 0xC);
    field!(free_inodes_count, set_free_inodes_count, u32, 0x10);
    field!(first_data_block, set_first_data_block, u32, 0x14);
    field!(log_block_size, set_log_block_size, u32, 0x18);
    field!(log_cluster_size, set_log_cluster_size, u32, 0x1C);
    field!(blocks_per_group, set_blocks_per_group, u32, 0x20);
    field!(clusters_per_group, set_clusters_per_group, u32, 0x24);
    field!(inodes_per_group, set_inodes_per_group, u32, 0x28);
    field!(max_mnt_count, set_max_mnt_count, u16, 0x36);
    field!(magic, set_magic, u16, 0x38);
    field!(state, set_state, u16, 0x3A);
    field!(errors, set_errors, u16, 0x3C);
    field!(rev_level, set_rev_level, u32, 0x4C);
    field!(first_ino, set_first_ino, u32, 0x54);
    field!(inode_size, set_inode_size, u16, 0x58);
    field!(block_group_nr, set_block_group_nr, u16, 0x5A);
    field!(feature_compat, set_feature_compat, u32, 0x5C);
    field!(feature_incompat, set_feature_incompat, u32, 0x60);
    field!(feature_ro_compat, set_feature_ro_compat, u32, 0x64);
    field!(reserved_gdt_blocks, set_reserved_gdt_blocks, u16, 0xCE);
    field!(desc_size_raw, set_desc_size, u16, 0xFE);
    field!(blocks_count_hi, set_blocks_count_hi, u32, 0x150);
    field!(r_blocks_count_hi, set_r_blocks_count_hi, u32, 0x154);
    field!(free_blocks_hi, set_free_blocks_hi, u32, 0x158);
    field!(min_extra_isize, set_min_extra_isize, u16, 0x15C);
    field!(want_extra_isize, set_want_extra_isize, u16, 0x15E);
    field!(flags, set_flags, u32, 0x160);
    field!(backup_bg0, set_backup_bg0, u32, 0x24C);
    field!(backup_bg1, set_backup_bg1, u32, 0x250);

    pub fn set_u8(&mut self, off: usize, v: u8) {
        self.raw[off] = v;
    }

    pub fn has_incompat(&self, f: u32) -> bool {
        self.feature_incompat() & f != 0
    }
    pub fn has_ro_compat(&self, f: u32) -> bool {
        self.feature_ro_compat() & f != 0
    }
    pub fn has_compat(&self, f: u32) -> bool {
        self.feature_compat() & f != 0
    }

    pub fn is_64bit(&self) -> bool {
        self.has_incompat(INCOMPAT_64BIT)
    }

    pub fn blocks_count(&self) -> u64 {
        let hi = if self.is_64bit() {
            self.blocks_count_hi()
        } else {
            0
        };
        (u64::from(hi) << 32) | u64::from(self.blocks_count_lo())
    }
    pub fn set_blocks_count(&mut self, v: u64) {
        self.set_blocks_count_lo(v as u32);
        self.set_blocks_count_hi((v >> 32) as u32);
    }
    pub fn set_r_blocks_count(&mut self, v: u64) {
        self.set_r_blocks_count_lo(v as u32);
        self.set_r_blocks_count_hi((v >> 32) as u32);
    }
    pub fn free_blocks(&self) -> u64 {
        let hi = if self.is_64bit() {
            self.free_blocks_hi()
        } else {
            0
        };
        (u64::from(hi) << 32) | u64::from(self.free_blocks_lo())
    }
    pub fn set_free_blocks(&mut self, v: u64) {
        self.set_free_blocks_lo(v as u32);
        if self.is_64bit() {
            self.set_free_blocks_hi((v >> 32) as u32);
        }
    }

    pub fn block_size(&self) -> u64 {
        1024u64 << self.log_block_size().min(16)
    }

    /// Group descriptor size in bytes (32 without the 64bit feature).
    pub fn desc_size(&self) -> usize {
        if self.is_64bit() {
            usize::from(self.desc_size_raw())
        } else {
            32
        }
    }

    pub fn uuid(&self) -> [u8; 16] {
        let mut u = [0; 16];
        u.copy_from_slice(&self.raw[0x68..0x78]);
        u
    }

    pub fn hash_seed(&self) -> [u32; 4] {
        let mut s = [0u32; 4];
        for (i, v) in s.iter_mut().enumerate() {
            let o = 0xEC + 4 * i;
            *v = u32::from_le_bytes([
                self.raw[o],
                self.raw[o + 1],
                self.raw[o + 2],
                self.raw[o + 3],
            ]);
        }
        s
    }

    pub fn def_hash_version(&self) -> u8 {
        self.raw[0xFC]
    }

    pub fn log_groups_per_flex(&self) -> u8 {
        self.raw[0x174]
    }

    /// Rejects filesystems whose features this writer would damage or misread.
    pub fn check_supported(&self) -> Result<()> {
        let mut bad = Vec::new();
        let inc = self.feature_incompat();
        for &(bit, name) in INCOMPAT_NAMES {
            if inc & bit != 0 {
                bad.push(name.to_string());
            }
        }
        let unknown_inc =
            inc & !INCOMPAT_SUPPORTED & !INCOMPAT_NAMES.iter().fold(0, |a, (b, _)| a | b);
        if unknown_inc != 0 {
            bad.push(format!("incompat {unknown_inc:#x}"));
        }
        let ro = self.feature_ro_compat();
        for &(bit, name) in RO_COMPAT_NAMES {
            if ro & bit != 0 {
                bad.push(name.to_string());
            }
        }
        let unknown_ro =
            ro & !RO_COMPAT_SUPPORTED & !RO_COMPAT_NAMES.iter().fold(0, |a, (b, _)| a | b);
        if unknown_ro != 0 {
            bad.push(format!("ro_compat {unknown_ro:#x}"));
        }
        if inc & INCOMPAT_FILETYPE == 0 {
            bad.push("missing filetype".to_string());
        }
        // New and rewritten inodes are extent-mapped.
        if inc & INCOMPAT_EXTENTS == 0 {
            bad.push("missing extent".to_string());
        }
        if !bad.is_empty() {
            return Err(Ext4Error::UnsupportedFeature(bad.join(", ")));
        }
        if self.block_size() != 4096 || self.log_cluster_size() != self.log_block_size() {
            return Err(Ext4Error::UnsupportedBlockSize(self.block_size()));
        }
        let isz = self.inode_size();
        if self.rev_level() == 0 || !(128..=4096).contains(&isz) || !isz.is_power_of_two() {
            return Err(Ext4Error::Corrupt(format!("inode size {isz} is invalid")));
        }
        if self.is_64bit() && !(64..=1024).contains(&self.desc_size_raw()) {
            return Err(Ext4Error::Corrupt("descriptor size is invalid".into()));
        }
        if self.blocks_per_group() == 0
            || self.blocks_per_group() > 32768
            || self.inodes_per_group() == 0
            || self.inodes_per_group() > 32768
            || self.first_data_block() != 0
            || self.first_ino() < 11
        {
            return Err(Ext4Error::Corrupt("superblock geometry is invalid".into()));
        }
        Ok(())
    }
}

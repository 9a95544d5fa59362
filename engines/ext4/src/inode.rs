//! On-disk inodes, kept as raw bytes (so unknown fields survive) with typed accessors.

use ociapply::{FileType, Timestamp};

pub const ROOT_INO: u32 = 2;
pub const RESIZE_INO: u32 = 7;
pub const LOST_FOUND_INO: u32 = 11;

pub const S_IFMT: u16 = 0o170000;
pub const S_IFSOCK: u16 = 0o140000;
pub const S_IFLNK: u16 = 0o120000;
pub const S_IFREG: u16 = 0o100000;
pub const S_IFBLK: u16 = 0o060000;
pub const S_IFDIR: u16 = 0o040000;
pub const S_IFCHR: u16 = 0o020000;
pub const S_IFIFO: u16 = 0o010000;

pub const FL_INDEX: u32 = 0x1000;
pub const FL_HUGE_FILE: u32 = 0x40000;
pub const FL_EXTENTS: u32 = 0x80000;
pub const FL_INLINE_DATA: u32 = 0x1000_0000;

/// Largest link count before a directory with dir_nlink switches to 1.
pub const LINK_MAX: u32 = 65000;

pub const I_BLOCK: usize = 0x28;
pub const I_BLOCK_LEN: usize = 60;
pub const GOOD_OLD_INODE_SIZE: usize = 128;

#[derive(Clone, Debug)]
pub struct Inode {
    pub raw: Vec<u8>,
}

fn rd16(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn rd32(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

pub fn mode_to_type(mode: u16) -> Option<FileType> {
    Some(match mode & S_IFMT {
        S_IFREG => FileType::Regular,
        S_IFDIR => FileType::Directory,
        S_IFLNK => FileType::Symlink,
        S_IFCHR => FileType::CharDevice,
        S_IFBLK => FileType::BlockDevice,
        S_IFIFO => FileType::Fifo,
        S_IFSOCK => FileType::Socket,
        _ => return None,
    })
}

pub fn type_to_mode(t: FileType) -> u16 {
    match t {
        FileType::Regular => S_IFREG,
        FileType::Directory => S_IFDIR,
        FileType::Symlink => S_IFLNK,
        FileType::CharDevice => S_IFCHR,
        FileType::BlockDevice => S_IFBLK,
        FileType::Fifo => S_IFIFO,
        FileType::Socket => S_IFSOCK,
    }
}

/// Directory entry file_type codes.
pub fn type_to_dirent(t: FileType) -> u8 {
    match t {
        FileType::Regular => 1,
        FileType::Directory => 2,
        FileType::CharDevice => 3,
        FileType::BlockDevice => 4,
        FileType::Fifo => 5,
        FileType::Socket => 6,
        FileType::Symlink => 7,
    }
}

pub fn dirent_to_type(code: u8) -> Option<FileType> {
    Some(match code {
        1 => FileType::Regular,
        2 => FileType::Directory,
        3 => FileType::CharDevice,
        4 => FileType::BlockDevice,
        5 => FileType::Fifo,
        6 => FileType::Socket,
        7 => FileType::Symlink,
        _ => return None,
    })
}

/// Splits seconds into the 32-bit field and the `*_extra` word (epoch bits + nanoseconds).
pub fn encode_time(ts: Timestamp) -> (u32, u32) {
    let lo = ts.sec as i32;
    let epoch = ((ts.sec - i64::from(lo)) >> 32) & 3;
    (lo as u32, (ts.nsec.min(999_999_999) << 2) | epoch as u32)
}

pub fn decode_time(lo: u32, extra: u32) -> Timestamp {
    let sec = i64::from(lo as i32) + (i64::from(extra & 3) << 32);
    Timestamp {
        sec,
        nsec: extra >> 2,
    }
}

impl Inode {
    pub fn new(size: usize) -> Self {
        let mut raw = vec![0u8; size];
        if size > GOOD_OLD_INODE_SIZE {
            // extra_isize 32 covers the *_extra times, crtime, version_hi and projid.
            let extra = 32usize.min(size - GOOD_OLD_INODE_SIZE) as u16;
            raw[0x80..0x82].copy_from_slice(&extra.to_le_bytes());
        }
        Inode { raw }
    }

    fn set16(&mut self, o: usize, v: u16) {
        self.raw[o..o + 2].copy_from_slice(&v.to_le_bytes());
    }
    fn set32(&mut self, o: usize, v: u32) {
        self.raw[o..o + 4].copy_from_slice(&v.to_le_bytes());
    }

    pub fn mode(&self) -> u16 {
        rd16(&self.raw, 0)
    }
    pub fn set_mode(&mut self, m: u16) {
        self.set16(0, m);
    }
    pub fn file_type(&self) -> Option<FileType> {
        mode_to_type(self.mode())
    }
    pub fn is_dir(&self) -> bool {
        self.mode() & S_IFMT == S_IFDIR
    }

    pub fn uid(&self) -> u32 {
        u32::from(rd16(&self.raw, 2)) | (u32::from(rd16(&self.raw, 0x78)) << 16)
    }
    pub fn gid(&self) -> u32 {
        u32::from(rd16(&self.raw, 0x18)) | (u32::from(rd16(&self.raw, 0x7A)) << 16)
    }
    pub fn set_owner(&mut self, uid: u32, gid: u32) {
        self.set16(2, uid as u16);
        self.set16(0x78, (uid >> 16) as u16);
        self.set16(0x18, gid as u16);
        self.set16(0x7A, (gid >> 16) as u16);
    }

    pub fn size(&self) -> u64 {
        u64::from(rd32(&self.raw, 4)) | (u64::from(rd32(&self.raw, 0x6C)) << 32)
    }
    pub fn set_size(&mut self, s: u64) {
        self.set32(4, s as u32);
        self.set32(0x6C, (s >> 32) as u32);
    }

    pub fn links(&self) -> u16 {
        rd16(&self.raw, 0x1A)
    }
    pub fn set_links(&mut self, n: u16) {
        self.set16(0x1A, n);
    }

    pub fn flags(&self) -> u32 {
        rd32(&self.raw, 0x20)
    }
    pub fn set_flags(&mut self, f: u32) {
        self.set32(0x20, f);
    }

    pub fn set_dtime(&mut self, t: u32) {
        self.set32(0x14, t);
    }

    /// Allocated space in 512-byte sectors (huge_file: fs blocks when HUGE_FILE_FL is set).
    pub fn blocks_512(&self) -> u64 {
        let n = u64::from(rd32(&self.raw, 0x1C)) | (u64::from(rd16(&self.raw, 0x74)) << 32);
        if self.flags() & FL_HUGE_FILE != 0 {
            n.saturating_mul(8)
        } else {
            n
        }
    }
    /// Sets the allocated space from a count of 4 KiB blocks.
    pub fn set_fs_blocks(&mut self, blocks: u64) {
        let sectors = blocks.saturating_mul(8);
        if sectors >> 48 != 0 {
            self.set_flags(self.flags() | FL_HUGE_FILE);
            self.set32(0x1C, blocks as u32);
            self.set16(0x74, (blocks >> 32) as u16);
        } else {
            self.set_flags(self.flags() & !FL_HUGE_FILE);
            self.set32(0x1C, sectors as u32);
            self.set16(0x74, (sectors >> 32) as u16);
        }
    }

    pub fn file_acl(&self) -> u64 {
        u64::from(rd32(&self.raw, 0x68)) | (u64::from(rd16(&self.raw, 0x76)) << 32)
    }
    pub fn set_file_acl(&mut self, b: u64) {
        self.set32(0x68, b as u32);
        self.set16(0x76, (b >> 32) as u16);
    }

    pub fn i_block(&self) -> &[u8] {
        &self.raw[I_BLOCK..I_BLOCK + I_BLOCK_LEN]
    }
    pub fn i_block_mut(&mut self) -> &mut [u8] {
        &mut self.raw[I_BLOCK..I_BLOCK + I_BLOCK_LEN]
    }

    pub fn extra_isize(&self) -> usize {
        if self.raw.len() > GOOD_OLD_INODE_SIZE {
            usize::from(rd16(&self.raw, 0x80))
        } else {
            0
        }
    }

    /// Byte range of the in-inode xattr area (after i_extra_isize), if any.
    pub fn ibody_range(&self) -> Option<std::ops::Range<usize>> {
        let start = GOOD_OLD_INODE_SIZE.checked_add(self.extra_isize())?;
        // The area needs room for the magic and at least one entry header.
        if start % 4 != 0 || start + 4 + 16 + 4 > self.raw.len() {
            return None;
        }
        Some(start..self.raw.len())
    }

    /// Sets atime, mtime and ctime (with nanoseconds and epoch bits when the inode has room).
    pub fn set_times(&mut self, ts: Timestamp) {
        let (lo, extra) = encode_time(ts);
        for off in [0x8, 0xC, 0x10] {
            self.set32(off, lo);
        }
        let ex = self.extra_isize();
        for (off, need) in [(0x84, 8), (0x88, 12), (0x8C, 16)] {
            if ex >= need {
                self.set32(off, extra);
            }
        }
    }

    pub fn mtime(&self) -> Timestamp {
        let extra = if self.extra_isize() >= 12 {
            rd32(&self.raw, 0x88)
        } else {
            0
        };
        decode_time(rd32(&self.raw, 0x10), extra)
    }

    /// Whether i_block holds an inline symlink target rather than a block map.
    pub fn is_fast_symlink(&self) -> bool {
        self.mode() & S_IFMT == S_IFLNK
            && self.flags() & (FL_EXTENTS | FL_INLINE_DATA) == 0
            && self.size() < I_BLOCK_LEN as u64
            && (self.file_acl() == 0 && self.blocks_512() == 0
                || self.file_acl() != 0 && self.blocks_512() == 8)
    }

    /// Device number as (major, minor) from the old or new encoding.
    pub fn device(&self) -> (u32, u32) {
        let old = rd32(&self.raw, I_BLOCK);
        if old != 0 {
            return ((old >> 8) & 0xFF, old & 0xFF);
        }
        let new = rd32(&self.raw, I_BLOCK + 4);
        ((new & 0xFFF00) >> 8, (new & 0xFF) | ((new >> 12) & 0xFFF00))
    }

    pub fn set_device(&mut self, major: u32, minor: u32) {
        self.i_block_mut().fill(0);
        if major < 256 && minor < 256 {
            self.set32(I_BLOCK, major * 256 + minor);
        } else {
            let v = (minor & 0xFF) | ((major & 0xFFF) << 8) | ((minor & !0xFF) << 12);
            self.set32(I_BLOCK + 4, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_beyond_2038_and_before_1970() {
        for sec in [0i64, -1, -(1 << 31), 1 << 31, (1 << 33) + 5, 1_700_000_000] {
            let ts = Timestamp {
                sec,
                nsec: 123_456_789,
            };
            let (lo, ex) = encode_time(ts);
            assert_eq!(decode_time(lo, ex), ts, "sec {sec}");
        }
    }

    #[test]
    fn device_encodings() {
        let mut i = Inode::new(256);
        i.set_device(1, 3);
        assert_eq!(rd32(&i.raw, I_BLOCK), 259);
        assert_eq!(i.device(), (1, 3));
        i.set_device(259, 300);
        assert_eq!(rd32(&i.raw, I_BLOCK), 0);
        assert_eq!(i.device(), (259, 300));
    }
}

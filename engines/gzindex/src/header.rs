//! The 333-byte gzip.meta header and the 29-byte entry record (spec §4.2), without validation.

use crate::crc::raw_crc32c;

pub const MAGIC: [u8; 8] = *b"ddgzidx\0";
pub const HEADER_SIZE: usize = 333;
pub const ENTRY_SIZE: usize = 29;
/// Offset of the CRC field; the CRC covers every byte before it.
pub const CRC_OFFSET: usize = 329;
/// Bytes of uncompressed history stored per checkpoint.
pub const WINDOW_SIZE: usize = 32768;
/// Upstream's default checkpoint spacing.
pub const DEFAULT_SPAN: u32 = 1 << 20;
/// Upstream rejects spans below this (DEFLATE_BLOCK_UNCOMPRESS_MAX_SIZE).
pub const MIN_SPAN: u32 = 65536;
/// zlib level used for windows and the entry table.
pub const DICT_LEVEL: i8 = 6;

/// Every header field as stored (signed where upstream's struct is signed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub magic: [u8; 8],
    pub major_version: u8,
    pub minor_version: u8,
    pub dict_compress_algo: u8,
    pub dict_compress_level: i8,
    pub flag: u8,
    pub span: i32,
    pub window: i32,
    pub index_size: i32,
    pub index_num: i64,
    pub gzip_file_size: i64,
    pub index_file_size: i64,
    pub uncompress_file_size: i64,
    pub reserve: [u8; 256],
    pub index_start: i64,
    pub index_area_len: i64,
    pub crc: u32,
}

struct Cursor<'a> {
    buf: &'a [u8; HEADER_SIZE],
    pos: usize,
}

impl Cursor<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        out.copy_from_slice(&self.buf[self.pos..self.pos + N]);
        self.pos += N;
        out
    }
}

impl Header {
    /// Splits the fixed-size header into fields; values are not checked here.
    pub fn decode(buf: &[u8; HEADER_SIZE]) -> Self {
        let mut c = Cursor { buf, pos: 0 };
        Header {
            magic: c.take(),
            major_version: u8::from_le_bytes(c.take()),
            minor_version: u8::from_le_bytes(c.take()),
            dict_compress_algo: u8::from_le_bytes(c.take()),
            dict_compress_level: i8::from_le_bytes(c.take()),
            flag: u8::from_le_bytes(c.take()),
            span: i32::from_le_bytes(c.take()),
            window: i32::from_le_bytes(c.take()),
            index_size: i32::from_le_bytes(c.take()),
            index_num: i64::from_le_bytes(c.take()),
            gzip_file_size: i64::from_le_bytes(c.take()),
            index_file_size: i64::from_le_bytes(c.take()),
            uncompress_file_size: i64::from_le_bytes(c.take()),
            reserve: c.take(),
            index_start: i64::from_le_bytes(c.take()),
            index_area_len: i64::from_le_bytes(c.take()),
            crc: u32::from_le_bytes(c.take()),
        }
    }

    /// Serialises the fields as they are (the stored `crc` included).
    pub fn encode(&self) -> [u8; HEADER_SIZE] {
        let mut out = Vec::with_capacity(HEADER_SIZE);
        out.extend_from_slice(&self.magic);
        out.push(self.major_version);
        out.push(self.minor_version);
        out.push(self.dict_compress_algo);
        out.extend_from_slice(&self.dict_compress_level.to_le_bytes());
        out.push(self.flag);
        out.extend_from_slice(&self.span.to_le_bytes());
        out.extend_from_slice(&self.window.to_le_bytes());
        out.extend_from_slice(&self.index_size.to_le_bytes());
        out.extend_from_slice(&self.index_num.to_le_bytes());
        out.extend_from_slice(&self.gzip_file_size.to_le_bytes());
        out.extend_from_slice(&self.index_file_size.to_le_bytes());
        out.extend_from_slice(&self.uncompress_file_size.to_le_bytes());
        out.extend_from_slice(&self.reserve);
        out.extend_from_slice(&self.index_start.to_le_bytes());
        out.extend_from_slice(&self.index_area_len.to_le_bytes());
        out.extend_from_slice(&self.crc.to_le_bytes());
        let mut buf = [0u8; HEADER_SIZE];
        buf.copy_from_slice(&out);
        buf
    }

    /// The CRC these fields should carry: raw CRC32C (seed 0) over bytes 0..329.
    pub fn computed_crc(&self) -> u32 {
        raw_crc32c(0, &self.encode()[..CRC_OFFSET])
    }
}

/// One stored entry of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawEntry {
    pub de_pos: i64,
    pub en_pos: i64,
    pub win_pos: i64,
    pub bits: u8,
    pub win_len: u32,
}

impl RawEntry {
    pub fn decode(b: &[u8; ENTRY_SIZE]) -> Self {
        let i64_at = |o: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[o..o + 8]);
            i64::from_le_bytes(a)
        };
        RawEntry {
            de_pos: i64_at(0),
            en_pos: i64_at(8),
            win_pos: i64_at(16),
            bits: b[24],
            win_len: u32::from_le_bytes([b[25], b[26], b[27], b[28]]),
        }
    }

    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.de_pos.to_le_bytes());
        out.extend_from_slice(&self.en_pos.to_le_bytes());
        out.extend_from_slice(&self.win_pos.to_le_bytes());
        out.push(self.bits);
        out.extend_from_slice(&self.win_len.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_field_offsets() {
        let h = Header {
            magic: MAGIC,
            major_version: 1,
            minor_version: 0,
            dict_compress_algo: 1,
            dict_compress_level: 6,
            flag: 0,
            span: 0x0102_0304,
            window: 32768,
            index_size: 29,
            index_num: 7,
            gzip_file_size: 8,
            index_file_size: 9,
            uncompress_file_size: 10,
            reserve: [0; 256],
            index_start: 11,
            index_area_len: 12,
            crc: 0xAABB_CCDD,
        };
        let b = h.encode();
        assert_eq!(&b[0..8], b"ddgzidx\0");
        assert_eq!(b[10], 1);
        assert_eq!(&b[13..17], &[4, 3, 2, 1]);
        assert_eq!(b[25], 7);
        assert_eq!(b[49], 10);
        assert_eq!(b[313], 11);
        assert_eq!(b[321], 12);
        assert_eq!(&b[329..], &[0xDD, 0xCC, 0xBB, 0xAA]);
        assert_eq!(Header::decode(&b), h);
    }

    #[test]
    fn entry_round_trip() {
        let e = RawEntry {
            de_pos: 1,
            en_pos: 2,
            win_pos: 3,
            bits: 5,
            win_len: 0x0A0B_0C0D,
        };
        let mut v = Vec::new();
        e.encode_into(&mut v);
        assert_eq!(v.len(), ENTRY_SIZE);
        assert_eq!(v[24], 5);
        let arr: [u8; ENTRY_SIZE] = v.try_into().unwrap();
        assert_eq!(RawEntry::decode(&arr), e);
    }
}

//! The 512-byte header/trailer block of spec §2.2.

use crate::crc::crc32c_raw;
use crate::error::ZFileError;

pub const HEADER_SIZE: usize = 512;
/// Length of the structure at the start of the block; the rest is zero.
pub const STRUCT_SIZE: u32 = 96;
pub const MAGIC0: [u8; 8] = *b"ZFile\x00\x01\x00";
pub const MAGIC1: [u8; 16] = *b"tuji.yyf@Alibaba";

pub const FLAG_HEADER: u32 = 0x01;
pub const FLAG_DATA: u32 = 0x02;
pub const FLAG_SEALED: u32 = 0x04;
/// The header's index fields are valid ("header overwrite").
pub const FLAG_INFO_VALID: u32 = 0x08;
pub const FLAG_DIGEST: u32 = 0x10;

pub const MAX_INDEX_SIZE: u64 = 1_000_000_000;
/// Seed of the per-block CRC that follows each compressed block when verify = 1.
pub const BLOCK_CRC_SEED: u32 = 100_007;

const DIGEST_AT: usize = 28;

/// Every field of a header or trailer block, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HeaderBlock {
    pub size: u32,
    pub digest: u32,
    pub flags: u64,
    pub index_offset: u64,
    pub index_size: u64,
    pub original_file_size: u64,
    pub index_crc: u32,
    pub block_size: u32,
    pub algo: u8,
    pub level: u8,
    pub use_dict: u8,
    pub dict_size: u32,
    pub verify: u8,
}

fn u32_at(b: &[u8; HEADER_SIZE], at: usize) -> u32 {
    let mut v = [0u8; 4];
    v.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(v)
}

fn u64_at(b: &[u8; HEADER_SIZE], at: usize) -> u64 {
    let mut v = [0u8; 8];
    v.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(v)
}

impl HeaderBlock {
    /// Decodes a block whose magic matches; `offset` only labels the error.
    pub fn parse(block: &[u8; HEADER_SIZE], offset: u64) -> Result<Self, ZFileError> {
        if block[..8] != MAGIC0 || block[8..24] != MAGIC1 {
            return Err(ZFileError::BadMagic { offset });
        }
        Ok(HeaderBlock {
            size: u32_at(block, 24),
            digest: u32_at(block, DIGEST_AT),
            flags: u64_at(block, 32),
            index_offset: u64_at(block, 40),
            index_size: u64_at(block, 48),
            original_file_size: u64_at(block, 56),
            index_crc: u32_at(block, 64),
            block_size: u32_at(block, 72),
            algo: block[76],
            level: block[77],
            use_dict: block[78],
            dict_size: u32_at(block, 84),
            verify: block[88],
        })
    }

    /// Readers only look at the low 32 bits of the flags.
    pub fn flags32(&self) -> u32 {
        self.flags as u32
    }

    pub fn has(&self, flag: u32) -> bool {
        self.flags32() & flag == flag
    }

    /// Serialises the block; the digest field is computed when the digest flag is set.
    pub fn encode(&self) -> [u8; HEADER_SIZE] {
        let mut b = [0u8; HEADER_SIZE];
        b[..8].copy_from_slice(&MAGIC0);
        b[8..24].copy_from_slice(&MAGIC1);
        b[24..28].copy_from_slice(&self.size.to_le_bytes());
        b[32..40].copy_from_slice(&self.flags.to_le_bytes());
        b[40..48].copy_from_slice(&self.index_offset.to_le_bytes());
        b[48..56].copy_from_slice(&self.index_size.to_le_bytes());
        b[56..64].copy_from_slice(&self.original_file_size.to_le_bytes());
        b[64..68].copy_from_slice(&self.index_crc.to_le_bytes());
        b[72..76].copy_from_slice(&self.block_size.to_le_bytes());
        b[76] = self.algo;
        b[77] = self.level;
        b[78] = self.use_dict;
        b[84..88].copy_from_slice(&self.dict_size.to_le_bytes());
        b[88] = self.verify;
        let digest = if self.has(FLAG_DIGEST) {
            computed_digest(&b)
        } else {
            self.digest
        };
        b[DIGEST_AT..DIGEST_AT + 4].copy_from_slice(&digest.to_le_bytes());
        b
    }
}

/// Raw CRC32C (seed 0) of the block with its digest field taken as zero.
pub fn computed_digest(block: &[u8; HEADER_SIZE]) -> u32 {
    let mut copy = *block;
    copy[DIGEST_AT..DIGEST_AT + 4].fill(0);
    crc32c_raw(0, &copy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_parse_round_trip_and_digest() {
        let h = HeaderBlock {
            size: STRUCT_SIZE,
            flags: u64::from(FLAG_HEADER | FLAG_DATA | FLAG_DIGEST),
            index_offset: 1234,
            index_size: 5,
            original_file_size: 20000,
            index_crc: 77,
            block_size: 4096,
            algo: 1,
            verify: 1,
            ..HeaderBlock::default()
        };
        let b = h.encode();
        let back = HeaderBlock::parse(&b, 0).unwrap();
        assert_eq!(back.digest, computed_digest(&b));
        assert_eq!(HeaderBlock { digest: 0, ..back }, h);
        assert!(b[96..].iter().all(|&x| x == 0));
    }

    #[test]
    fn wrong_magic_is_rejected() {
        let mut b = HeaderBlock::default().encode();
        b[3] ^= 1;
        assert!(matches!(
            HeaderBlock::parse(&b, 9),
            Err(ZFileError::BadMagic { offset: 9 })
        ));
    }
}

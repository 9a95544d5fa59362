//! The 4096-byte header / trailer block.

use crate::error::{Error, Result};
use crate::uuid::{UUID_STRING_LEN, Uuid};

/// Size of a header or trailer block.
pub const BLOCK_SIZE: usize = 4096;
/// Size of the packed struct at the start of the block.
pub const STRUCT_SIZE: u32 = 390;
/// Longest commit message the header holds.
pub const MAX_USER_TAG: usize = 256;

pub const MAGIC0: [u8; 8] = *b"LSMT\0\x01\x02\0";
pub const MAGIC1: [u8; 16] = [
    0x65, 0x7E, 0x63, 0xD2, 0x94, 0x44, 0x08, 0x4C, 0xA2, 0xD2, 0xC8, 0xEC, 0x4F, 0xCF, 0xAE, 0x8A,
];

pub const FLAG_HEADER: u32 = 0x01;
pub const FLAG_DATA: u32 = 0x02;
pub const FLAG_SEALED: u32 = 0x04;
pub const FLAG_GC_LAYER: u32 = 0x08;
pub const FLAG_SPARSE_RW: u32 = 0x10;
pub const FLAG_INFO_VALID: u32 = 0x20;

const UUID_AT: usize = 56;
const PARENT_AT: usize = UUID_AT + UUID_STRING_LEN;
const VERSION_AT: usize = 132;
const TAG_AT: usize = 134;

/// The decoded fields of a header or trailer block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub flags: u32,
    pub index_offset: u64,
    pub index_size: u64,
    pub virtual_size: u64,
    pub uuid: Uuid,
    pub parent_uuid: Uuid,
    pub version: u8,
    pub sub_version: u8,
    user_tag: Vec<u8>,
}

impl Header {
    /// A block with the given flags, version 1.1, null UUIDs and no tag.
    pub fn new(flags: u32, virtual_size: u64) -> Self {
        Header {
            flags,
            index_offset: 0,
            index_size: 0,
            virtual_size,
            uuid: Uuid::NULL,
            parent_uuid: Uuid::NULL,
            version: 1,
            sub_version: 1,
            user_tag: Vec::new(),
        }
    }

    pub fn user_tag(&self) -> &[u8] {
        &self.user_tag
    }

    /// Sets the commit message; more than 256 bytes is an error as upstream's commit fails.
    pub fn set_user_tag(&mut self, tag: &[u8]) -> Result<()> {
        if tag.len() > MAX_USER_TAG {
            return Err(Error::UserTagTooLong { len: tag.len() });
        }
        self.user_tag = tag.to_vec();
        Ok(())
    }

    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    pub fn is_header(&self) -> bool {
        self.has(FLAG_HEADER)
    }

    pub fn is_data(&self) -> bool {
        self.has(FLAG_DATA)
    }

    pub fn is_sealed(&self) -> bool {
        self.has(FLAG_SEALED)
    }

    pub fn is_sparse_rw(&self) -> bool {
        self.has(FLAG_SPARSE_RW)
    }

    pub fn encode(&self) -> [u8; BLOCK_SIZE] {
        let mut b = [0u8; BLOCK_SIZE];
        b[..8].copy_from_slice(&MAGIC0);
        b[8..24].copy_from_slice(&MAGIC1);
        b[24..28].copy_from_slice(&STRUCT_SIZE.to_le_bytes());
        b[28..32].copy_from_slice(&self.flags.to_le_bytes());
        b[32..40].copy_from_slice(&self.index_offset.to_le_bytes());
        b[40..48].copy_from_slice(&self.index_size.to_le_bytes());
        b[48..56].copy_from_slice(&self.virtual_size.to_le_bytes());
        b[UUID_AT..PARENT_AT].copy_from_slice(&self.uuid.to_header_bytes());
        b[PARENT_AT..PARENT_AT + UUID_STRING_LEN]
            .copy_from_slice(&self.parent_uuid.to_header_bytes());
        b[VERSION_AT] = self.version;
        b[VERSION_AT + 1] = self.sub_version;
        // set_user_tag bounds the tag, so it always fits its field.
        let n = self.user_tag.len().min(MAX_USER_TAG);
        b[TAG_AT..TAG_AT + n].copy_from_slice(&self.user_tag[..n]);
        b
    }

    /// Decodes a block; `at` is its file offset, for error messages. Only the magic is checked.
    pub fn decode(b: &[u8], at: u64) -> Result<Self> {
        if b.len() < BLOCK_SIZE {
            return Err(Error::TooShort {
                size: b.len() as u64,
                what: "header block",
            });
        }
        if b[..8] != MAGIC0 || b[8..24] != MAGIC1 {
            return Err(Error::BadMagic { at });
        }
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let u64_at = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[i..i + 8]);
            u64::from_le_bytes(w)
        };
        let tag = &b[TAG_AT..TAG_AT + MAX_USER_TAG];
        let tag_len = tag.iter().position(|&c| c == 0).unwrap_or(MAX_USER_TAG);
        Ok(Header {
            flags: u32_at(28),
            index_offset: u64_at(32),
            index_size: u64_at(40),
            virtual_size: u64_at(48),
            uuid: Uuid::from_header_bytes(&b[UUID_AT..PARENT_AT]),
            parent_uuid: Uuid::from_header_bytes(&b[PARENT_AT..PARENT_AT + UUID_STRING_LEN]),
            version: b[VERSION_AT],
            sub_version: b[VERSION_AT + 1],
            user_tag: tag[..tag_len].to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Appendix B: committed header with uuid/parent/tag and 1 GiB virtual size.
    pub(crate) const APPENDIX_B_HEADER: &str = "\
        4c534d5400010200657e63d29444084c\
        a2d2c8ec4fcfae8a8601000007000000\
        00000000000000000000000000000000\
        00000040000000004445414442454546\
        2d303030312d303030322d303030332d\
        30303030303030304142434400434146\
        45424142452d313131312d323232322d\
        333333332d3434343435353535363636\
        36000000010168656c6c6f2d74616700";

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn appendix_b_header_bytes() {
        let mut h = Header::new(0x07, 1 << 30);
        h.uuid = Uuid::parse("deadbeef-0001-0002-0003-00000000abcd").unwrap();
        h.parent_uuid = Uuid::parse("cafebabe-1111-2222-3333-444455556666").unwrap();
        h.set_user_tag(b"hello-tag").unwrap();
        let b = h.encode();
        let want = unhex(APPENDIX_B_HEADER);
        assert_eq!(want.len(), 144);
        assert_eq!(&b[..144], &want[..]);
        assert!(b[144..].iter().all(|&c| c == 0));
        assert_eq!(Header::decode(&b, 0).unwrap(), h);
    }

    #[test]
    fn user_tag_limits() {
        let mut h = Header::new(0x07, 0);
        assert!(matches!(
            h.set_user_tag(&[b'a'; 257]),
            Err(Error::UserTagTooLong { len: 257 })
        ));
        h.set_user_tag(&[b'a'; 256]).unwrap();
        let b = h.encode();
        assert_eq!(b[TAG_AT + 255], b'a');
        assert_eq!(b[TAG_AT + 256], 0);
        assert_eq!(Header::decode(&b, 0).unwrap().user_tag().len(), 256);
    }

    #[test]
    fn bad_magic_is_typed() {
        let mut b = Header::new(1, 0).encode();
        b[3] = b'X';
        assert!(matches!(
            Header::decode(&b, 0),
            Err(Error::BadMagic { at: 0 })
        ));
        assert!(matches!(
            Header::decode(&b[..100], 0),
            Err(Error::TooShort { .. })
        ));
    }
}

//! One 512-byte header block: field access and checksum.

use crate::error::TarError;
use crate::number::{NumError, parse_field};
use std::ops::Range;

pub(crate) const BLOCK: usize = 512;
pub(crate) const BLOCK_U64: u64 = BLOCK as u64;

const NAME: Range<usize> = 0..100;
const MODE: Range<usize> = 100..108;
const UID: Range<usize> = 108..116;
const GID: Range<usize> = 116..124;
const SIZE: Range<usize> = 124..136;
const MTIME: Range<usize> = 136..148;
const CHKSUM: Range<usize> = 148..156;
const TYPEFLAG: usize = 156;
const LINKNAME: Range<usize> = 157..257;
const MAGIC: Range<usize> = 257..263;
const DEVMAJOR: Range<usize> = 329..337;
const DEVMINOR: Range<usize> = 337..345;
const PREFIX: Range<usize> = 345..500;
/// Old GNU sparse header: four (offset, numbytes) pairs, a continuation flag, the real size.
const GNU_SPARSE: Range<usize> = 386..482;
const GNU_IS_EXTENDED: usize = 482;
const GNU_REALSIZE: Range<usize> = 483..495;

/// The bytes of a field up to its first NUL.
pub(crate) fn cstr(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    field.split_at(end).0
}

/// Number of padding bytes after `len` bytes of data.
pub(crate) fn padding(len: u64) -> u64 {
    (BLOCK_U64 - len % BLOCK_U64) % BLOCK_U64
}

pub(crate) struct Header {
    pub block: [u8; BLOCK],
    /// Where this block starts in the stream.
    pub offset: u64,
}

impl Header {
    pub fn is_zero(block: &[u8; BLOCK]) -> bool {
        block.iter().all(|&b| b == 0)
    }

    /// The stored checksum must equal the byte sum with the checksum field read as spaces,
    /// summed either as unsigned or (as some old writers did) as signed bytes.
    pub fn checksum_ok(&self) -> bool {
        let Ok(stored) = parse_field(&self.block[CHKSUM]) else {
            return false;
        };
        let mut unsigned: i64 = 0;
        let mut signed: i64 = 0;
        for (i, &b) in self.block.iter().enumerate() {
            let b = if CHKSUM.contains(&i) { b' ' } else { b };
            unsigned += i64::from(b);
            signed += i64::from(b as i8);
        }
        stored == unsigned || stored == signed
    }

    pub fn typeflag(&self) -> u8 {
        self.block[TYPEFLAG]
    }

    pub fn name(&self) -> &[u8] {
        cstr(&self.block[NAME])
    }

    pub fn linkname(&self) -> &[u8] {
        cstr(&self.block[LINKNAME])
    }

    /// POSIX ustar (not the old GNU layout, whose prefix area holds other fields).
    pub fn is_ustar(&self) -> bool {
        &self.block[MAGIC] == b"ustar\0"
    }

    pub fn prefix(&self) -> &[u8] {
        cstr(&self.block[PREFIX])
    }

    pub fn mode(&self) -> Result<u32, TarError> {
        self.unsigned("mode", MODE)
    }

    pub fn uid(&self) -> Result<u32, TarError> {
        self.unsigned("uid", UID)
    }

    pub fn gid(&self) -> Result<u32, TarError> {
        self.unsigned("gid", GID)
    }

    pub fn size(&self) -> Result<u64, TarError> {
        self.unsigned("size", SIZE)
    }

    pub fn mtime(&self) -> Result<i64, TarError> {
        self.number("mtime", MTIME)
    }

    pub fn devmajor(&self) -> Result<u32, TarError> {
        self.unsigned("devmajor", DEVMAJOR)
    }

    pub fn devminor(&self) -> Result<u32, TarError> {
        self.unsigned("devminor", DEVMINOR)
    }

    pub fn gnu_realsize(&self) -> Result<u64, TarError> {
        self.unsigned("realsize", GNU_REALSIZE)
    }

    pub fn gnu_sparse_area(&self) -> &[u8] {
        &self.block[GNU_SPARSE]
    }

    pub fn gnu_is_extended(&self) -> bool {
        self.block[GNU_IS_EXTENDED] != 0
    }

    fn number(&self, field: &'static str, range: Range<usize>) -> Result<i64, TarError> {
        let offset = self.offset;
        parse_field(&self.block[range]).map_err(|e| match e {
            NumError::Invalid => TarError::BadNumber { field, offset },
            NumError::Overflow => TarError::NumberOverflow { field, offset },
        })
    }

    fn unsigned<T: TryFrom<i64>>(
        &self,
        field: &'static str,
        range: Range<usize>,
    ) -> Result<T, TarError> {
        let v = self.number(field, range)?;
        T::try_from(v).map_err(|_| TarError::NumberOverflow {
            field,
            offset: self.offset,
        })
    }
}

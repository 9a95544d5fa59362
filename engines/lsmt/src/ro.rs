//! Read-only access to committed and sealed LSMT files.

use crate::commit::CommitSource;
use crate::error::{Error, Result};
use crate::header::{BLOCK_SIZE, Header};
use crate::record::{self, RECORD_SIZE, Record, SECTOR};
use crate::rw::read_block;
use blockio::ReadAt;
use std::io;

/// Upper bound on the trailer's index_size (MAX_LSMT_RO_INDEX_SIZE), padding included.
pub const MAX_RO_INDEX_RECORDS: u64 = 1_000_000;

/// How strictly records are checked and what happens to their tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Tags reset to 0; data must lie between the header and the index.
    Normal,
    /// TurboOCI warp file: tags normalised to start at 0; moffsets unchecked.
    Warp,
}

/// A committed or sealed layer with its validated index.
#[derive(Debug)]
pub struct LsmtFile<R> {
    src: R,
    header: Header,
    trailer: Header,
    records: Vec<Record>,
}

impl<R: ReadAt> LsmtFile<R> {
    /// Parses and validates a committed or sealed layer; invalid (padding) records are dropped.
    pub fn open(src: R) -> Result<Self> {
        Self::load(src, Kind::Normal)
    }

    pub(crate) fn load(src: R, kind: Kind) -> Result<Self> {
        let header = read_block(&src, "header")?;
        if !header.is_header() {
            return Err(Error::BadFlags {
                at: 0,
                flags: header.flags,
                expected: "header block",
            });
        }
        let size = src.size();
        let min = 2 * BLOCK_SIZE as u64;
        if size < min {
            return Err(Error::TooShort {
                size,
                what: "header and trailer",
            });
        }
        let trailer_offset = size - BLOCK_SIZE as u64;
        let mut block = vec![0u8; BLOCK_SIZE];
        src.read_exact_at(trailer_offset, &mut block)?;
        let trailer = Header::decode(&block, trailer_offset)?;
        if trailer.is_header() || !trailer.is_data() || !trailer.is_sealed() {
            return Err(Error::BadFlags {
                at: trailer_offset,
                flags: trailer.flags,
                expected: "sealed data trailer",
            });
        }
        if trailer.index_size > MAX_RO_INDEX_RECORDS {
            return Err(Error::IndexTooLarge {
                count: trailer.index_size,
                max: MAX_RO_INDEX_RECORDS,
            });
        }
        let index_bytes = trailer.index_size * RECORD_SIZE as u64;
        let fits = trailer_offset
            .checked_sub(trailer.index_offset)
            .is_some_and(|room| index_bytes <= room);
        if !fits {
            return Err(Error::IndexOutOfRange {
                offset: trailer.index_offset,
                count: trailer.index_size,
                limit: trailer_offset,
            });
        }
        let mut raw = vec![0u8; index_bytes as usize];
        src.read_exact_at(trailer.index_offset, &mut raw)?;
        let mut records = record::decode_all(&raw);
        match kind {
            Kind::Normal => records.iter_mut().for_each(|r| r.tag = 0),
            Kind::Warp => {
                let min_tag = records.iter().map(|r| r.tag).min().unwrap_or(0);
                records.iter_mut().for_each(|r| r.tag -= min_tag);
            }
        }
        record::check_sorted(&records)?;
        if kind == Kind::Normal {
            let (begin, end) = (BLOCK_SIZE as u64 / SECTOR, trailer.index_offset / SECTOR);
            for (index, r) in records.iter().enumerate() {
                if !r.within(begin, end) {
                    return Err(Error::MoffsetOutOfRange {
                        index,
                        moffset: r.moffset,
                        mend: r.mend(),
                        begin,
                        end,
                    });
                }
            }
        }
        Ok(LsmtFile {
            src,
            header,
            trailer,
            records,
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn trailer(&self) -> &Header {
        &self.trailer
    }

    /// Valid records in offset order.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The device size this layer declares (the trailer's, as upstream's reader takes it).
    pub fn virtual_size(&self) -> u64 {
        self.trailer.virtual_size
    }

    pub fn source(&self) -> &R {
        &self.src
    }

    pub fn into_inner(self) -> R {
        self.src
    }

    /// Reads file bytes at `pos`; anything past the end of the file reads as zeros.
    pub fn read_data(&self, pos: u64, buf: &mut [u8]) -> io::Result<()> {
        self.src.read_zero_fill(pos, buf)
    }
}

/// Committing a sealed file (`--commit_sealed`) compacts it like a RW layer.
impl<R: ReadAt> CommitSource for LsmtFile<R> {
    fn source_header(&self) -> &Header {
        &self.header
    }

    fn commit_records(&self) -> Vec<Record> {
        self.records.clone()
    }

    fn read_source(&self, _tag: u8, pos: u64, buf: &mut [u8]) -> io::Result<()> {
        self.src.read_exact_at(pos, buf)
    }
}

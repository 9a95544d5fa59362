//! The crate's error type.

use std::io;

/// Everything that can go wrong while writing, committing or reading LSMT layers.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An underlying read or write failed.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    /// Device I/O must be sector aligned.
    #[error("offset {offset} or length {len} is not a multiple of 512 bytes")]
    Misaligned { offset: u64, len: u64 },
    /// The range cannot be represented in a 50-bit sector offset.
    #[error("range of {len} bytes at {offset} lies beyond the addressable device")]
    OutOfRange { offset: u64, len: u64 },
    /// The block does not carry the LSMT magic.
    #[error("block at byte {at} does not carry the LSMT magic")]
    BadMagic { at: u64 },
    /// The header or trailer flags do not describe the expected kind of block.
    #[error("block at byte {at} has flags {flags:#x}, which is not a {expected}")]
    BadFlags {
        at: u64,
        flags: u32,
        expected: &'static str,
    },
    /// The file is too short to hold the blocks the format requires.
    #[error("file of {size} bytes is too short for an LSMT {what}")]
    TooShort { size: u64, what: &'static str },
    /// The index lies outside the region between the header and the trailer.
    #[error("index of {count} records at byte {offset} does not fit before byte {limit}")]
    IndexOutOfRange { offset: u64, count: u64, limit: u64 },
    /// The index has more records than upstream accepts.
    #[error("index holds {count} records, more than the limit of {max}")]
    IndexTooLarge { count: u64, max: u64 },
    /// Records must be sorted by offset and must not overlap.
    #[error("record {index} overlaps or precedes the record before it")]
    UnsortedRecords { index: usize },
    /// A record points outside the data area of its file.
    #[error("record {index} maps sectors {moffset}..{mend} outside the data area {begin}..{end}")]
    MoffsetOutOfRange {
        index: usize,
        moffset: u64,
        mend: u64,
        begin: u64,
        end: u64,
    },
    /// The commit message is longer than the header field.
    #[error("user tag of {len} bytes exceeds the 256-byte header field")]
    UserTagTooLong { len: usize },
    /// A UUID string is not 36 hex digits with dashes at 8, 13, 18 and 23.
    #[error("invalid UUID string {0:?}")]
    InvalidUuid(String),
    /// A record field exceeds its bit width.
    #[error("record field {field} value {value} exceeds its bit width")]
    RecordField { field: &'static str, value: u64 },
    /// More layers than upstream can stack.
    #[error("{count} layers exceed the maximum of 255")]
    TooManyLayers { count: usize },
    /// An append-mode data file must end on a sector boundary.
    #[error("data file size {size} is not a multiple of 512 bytes")]
    UnalignedDataFile { size: u64 },
    /// The RW data file is not of the kind the caller asked to open.
    #[error("RW data file is in {found} mode, expected {expected} mode")]
    WrongMode {
        found: &'static str,
        expected: &'static str,
    },
}

impl From<Error> for io::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Io(e) => e,
            Error::Misaligned { .. } | Error::OutOfRange { .. } => {
                io::Error::new(io::ErrorKind::InvalidInput, e)
            }
            other => io::Error::new(io::ErrorKind::InvalidData, other),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

//! The crate's error type.

use std::io;

/// Everything that can go wrong while building, encoding, decoding or reading a gzip index.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("I/O on the underlying source failed: {0}")]
    Io(#[from] io::Error),
    #[error("the gzip stream ends before the end of its first member")]
    Truncated,
    #[error("the gzip header is invalid: {0}")]
    BadHeader(String),
    #[error("the deflate data is corrupt near compressed offset {offset}: {msg}")]
    Corrupt { offset: u64, msg: String },
    #[error("the gzip trailer does not match the data: {0}")]
    BadTrailer(String),
    #[error("zlib could not allocate memory")]
    OutOfMemory,
    #[error("zlib rejected a call with code {0}")]
    Zlib(i32),
    #[error("a previous operation on this builder failed, so it cannot continue")]
    Poisoned,
    #[error("the span {0} is outside the supported range 65536..=2147483647")]
    BadSpan(u64),
    #[error("the index file is {0} bytes, shorter than its 333-byte header")]
    IndexTooShort(usize),
    #[error("the index file does not start with the ddgzidx magic")]
    BadMagic,
    #[error("the index header CRC is {stored:#010x} but the header hashes to {computed:#010x}")]
    HeaderCrc { stored: u32, computed: u32 },
    #[error("index major version {0} is not supported (only 1 is)")]
    UnsupportedVersion(u8),
    #[error("index dict_compress_algo {0} is unknown (only 0 and 1 are)")]
    UnknownAlgo(u8),
    #[error("index header field {field} has the invalid value {value}")]
    BadField { field: &'static str, value: i64 },
    #[error("the index file is {actual} bytes but its header implies {expected}")]
    IndexSizeMismatch { expected: u64, actual: u64 },
    #[error("the entry table does not decode to {0} entries")]
    BadTable(u64),
    #[error("index entry {entry} is invalid: {reason}")]
    BadEntry { entry: usize, reason: &'static str },
    #[error("the window of checkpoint {entry} is not 32768 bytes once decoded")]
    BadWindow { entry: usize },
    #[error("the gzip blob is {actual} bytes but the index was built for {expected}")]
    GzipSizeMismatch { expected: u64, actual: u64 },
    #[error("the index has no checkpoints, so no offset can be located")]
    NoCheckpoint,
    #[error("the index has no checkpoint at or before uncompressed offset {0}")]
    NoCheckpointBefore(u64),
}

pub type Result<T> = std::result::Result<T, Error>;

impl From<Error> for io::Error {
    fn from(e: Error) -> Self {
        let kind = match &e {
            Error::Io(inner) => inner.kind(),
            Error::Truncated => io::ErrorKind::UnexpectedEof,
            Error::OutOfMemory => io::ErrorKind::OutOfMemory,
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, e)
    }
}

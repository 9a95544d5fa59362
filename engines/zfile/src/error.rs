//! Everything that can go wrong writing or reading a ZFile.

use crate::options::Algorithm;

#[derive(Debug, thiserror::Error)]
pub enum ZFileError {
    #[error("I/O error on the ZFile: {0}")]
    Io(#[from] std::io::Error),
    #[error("the block codec failed: {0}")]
    Codec(String),
    #[error("block size {block_size} is not one of 4096, 8192, 16384, 32768, 65536")]
    InvalidBlockSizeOption { block_size: u32 },
    #[error("the source of {size} bytes is too small to hold a ZFile header and trailer")]
    TooSmall { size: u64 },
    #[error("no ZFile magic at offset {offset}")]
    BadMagic { offset: u64 },
    #[error("the block at offset 0 is not flagged as a ZFile header (flags {flags:#x})")]
    NotAHeader { flags: u32 },
    #[error("the {which} digest {stored:#010x} does not match the computed {computed:#010x}")]
    BadDigest {
        which: &'static str,
        stored: u32,
        computed: u32,
    },
    #[error("the trailer flags {flags:#x} lack the data/sealed bits or carry the header bit")]
    BadTrailerFlags { flags: u32 },
    #[error("index size {index_size} exceeds the maximum of 1,000,000,000 blocks")]
    IndexTooLarge { index_size: u64 },
    #[error(
        "jump table of {index_size} entries at {index_offset} does not fit before the trailer at {trailer_offset}"
    )]
    IndexOutOfRange {
        index_offset: u64,
        index_size: u64,
        trailer_offset: u64,
    },
    #[error("jump table CRC {stored:#010x} does not match the computed {computed:#010x}")]
    BadIndexCrc { stored: u32, computed: u32 },
    #[error("jump table entry {block} has the impossible stored length {length}")]
    BadJumpEntry { block: u64, length: u32 },
    #[error("blocks end at {end}, past the jump table at {index_offset}")]
    BlocksOverrunIndex { end: u64, index_offset: u64 },
    #[error("stored block size {block_size} is not within 1..=65536")]
    BadBlockSize { block_size: u32 },
    #[error("algorithm code {algo} is not supported (1 = LZ4, 2 = zstd)")]
    UnsupportedAlgorithm { algo: u8 },
    #[error(
        "{index_size} blocks of {block_size} bytes do not describe an original size of {original_size}"
    )]
    IndexSizeMismatch {
        index_size: u64,
        block_size: u32,
        original_size: u64,
    },
    #[error("block {block} has CRC {stored:#010x} but its bytes give {computed:#010x}")]
    BlockCrc {
        block: u64,
        stored: u32,
        computed: u32,
    },
    #[error("block {block} is not valid {algorithm:?} data: {detail}")]
    Decompress {
        block: u64,
        algorithm: Algorithm,
        detail: String,
    },
    #[error("block {block} decompresses to more than the block size of {block_size} bytes")]
    BlockTooLarge { block: u64, block_size: u32 },
    #[error("block {block} decompresses to {actual} bytes instead of {expected}")]
    ShortBlock {
        block: u64,
        expected: usize,
        actual: usize,
    },
    #[error("the zstd encoder produced a frame header this writer cannot rewrite")]
    ZstdFrameHeader,
}

impl From<ZFileError> for std::io::Error {
    fn from(e: ZFileError) -> Self {
        match e {
            ZFileError::Io(io) => io,
            other => std::io::Error::new(std::io::ErrorKind::InvalidData, other),
        }
    }
}

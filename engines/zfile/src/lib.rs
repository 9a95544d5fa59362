//! ZFile: overlaybd's seekable block-compressed container (writer and verifying reader).
//!
//! Layout (spec §2.1): a 512-byte header, the compressed blocks each followed by a CRC, a jump
//! table of stored block lengths and a 512-byte trailer. The writer streams through
//! `std::io::Write`; the reader serves the original bytes through `blockio::ReadAt`.

mod batch;
mod codec;
mod crc;
mod error;
mod header;
mod options;
mod reader;
mod writer;

pub use batch::{BlockCodec, CompressedBatch, InlineCodec};
pub use crc::crc32c_raw;
pub use error::ZFileError;
pub use header::{
    BLOCK_CRC_SEED, FLAG_DATA, FLAG_DIGEST, FLAG_HEADER, FLAG_INFO_VALID, FLAG_SEALED, HEADER_SIZE,
    HeaderBlock, MAGIC0, MAGIC1, MAX_INDEX_SIZE,
};
pub use options::{Algorithm, BLOCK_SIZES, Options};
pub use reader::ZFileReader;
pub use writer::{Summary, ZFileWriter};

//! Writer options: codec, block size, per-block CRC and the final header rewrite.

use crate::error::ZFileError;

/// Block sizes the upstream tools accept (`--bs 4|8|16|32|64`).
pub const BLOCK_SIZES: [u32; 5] = [4096, 8192, 16384, 32768, 65536];

/// Per-block codec; the value is the header's `algo` byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    Lz4,
    Zstd,
}

impl Algorithm {
    pub fn code(self) -> u8 {
        match self {
            Algorithm::Lz4 => 1,
            Algorithm::Zstd => 2,
        }
    }

    /// Maps the header's `algo` byte; 0 (MINI_LZO) and anything else are unsupported.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Algorithm::Lz4),
            2 => Some(Algorithm::Zstd),
            _ => None,
        }
    }
}

/// How a ZFile is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    pub algorithm: Algorithm,
    /// Uncompressed bytes per block: one of [`BLOCK_SIZES`].
    pub block_size: u32,
    /// Append a raw CRC32C (seed 100007) after every compressed block.
    pub verify: bool,
    /// Rewrite the header as 0x1B with the index fields on finish (overlaybd-commit -z);
    /// false leaves the 0x13 header of standalone overlaybd-zfile.
    pub rewrite_header: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            algorithm: Algorithm::Lz4,
            block_size: 4096,
            verify: true,
            rewrite_header: true,
        }
    }
}

impl Options {
    pub(crate) fn validate(&self) -> Result<(), ZFileError> {
        if BLOCK_SIZES.contains(&self.block_size) {
            Ok(())
        } else {
            Err(ZFileError::InvalidBlockSizeOption {
                block_size: self.block_size,
            })
        }
    }
}

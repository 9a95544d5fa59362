//! ZFile blocks compressed on host threads (`block-compressor`): the engine keeps committing
//! while they compress, and native code does the work.

use zfile::{Algorithm, BLOCK_CRC_SEED, BlockCodec, CompressedBatch, Options, ZFileError};

use crate::host::{BlockCompressor, Codec};

/// Batches queued before the oldest is collected: enough to keep the host's threads busy while
/// the engine reads and writes, far below the 8 the host allows.
const DEPTH: usize = 4;

pub struct HostCodec(BlockCompressor);

impl HostCodec {
    /// A host codec for a ZFile written with `options`: LZ4 blocks are stored as the host
    /// returns them, so with per-block CRCs the host computes those too (natively, where
    /// CRC32C has an instruction).
    pub fn new(options: Options) -> Self {
        let (codec, seed) = match options.algorithm {
            Algorithm::Lz4 => (Codec::Lz4Block, options.verify.then_some(BLOCK_CRC_SEED)),
            Algorithm::Zstd => (Codec::ZstdFrame, None),
        };
        HostCodec(BlockCompressor::new(codec, seed))
    }
}

impl BlockCodec for HostCodec {
    fn submit(&mut self, data: &[u8], block_size: usize) -> Result<(), ZFileError> {
        let block_size = u32::try_from(block_size)
            .map_err(|_| ZFileError::Codec(format!("block size {block_size} is too large")))?;
        self.0.submit(data, block_size).map_err(ZFileError::Codec)
    }

    fn collect(&mut self) -> Result<CompressedBatch, ZFileError> {
        match self.0.collect().map_err(ZFileError::Codec)? {
            Some(b) => Ok(CompressedBatch {
                data: b.data,
                sizes: b.sizes,
                checksums: b.checksums,
            }),
            None => Err(ZFileError::Codec("the host holds no batch".into())),
        }
    }

    fn depth(&self) -> usize {
        DEPTH
    }
}

//! Block compression in batches, possibly elsewhere: engines hand batches to host threads and
//! keep applying while they compress.

use std::collections::VecDeque;

use crate::codec::compress_raw;
use crate::error::ZFileError;
use crate::options::Algorithm;

/// One batch back from a codec: the compressed blocks one after the other, and their lengths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompressedBatch {
    pub data: Vec<u8>,
    pub sizes: Vec<u32>,
    /// Optionally, each block's raw CRC32C from [`BLOCK_CRC_SEED`](crate::BLOCK_CRC_SEED) (what
    /// the writer stores after an LZ4 block); empty when the codec does not compute them.
    pub checksums: Vec<u32>,
}

/// Compresses batches of blocks with the writer's algorithm: raw LZ4 blocks, or zstd frames
/// without the content size (the writer adds it). Batches come back in submission order.
pub trait BlockCodec {
    /// Queues `data` cut into blocks of `block_size` bytes (the last may be shorter).
    fn submit(&mut self, data: &[u8], block_size: usize) -> Result<(), ZFileError>;
    /// The oldest batch not yet collected.
    fn collect(&mut self) -> Result<CompressedBatch, ZFileError>;
    /// Batches the writer keeps queued before it collects one: 0 collects each at once.
    fn depth(&self) -> usize {
        0
    }
}

/// Compresses on the calling thread, at submission.
pub struct InlineCodec {
    algorithm: Algorithm,
    done: VecDeque<CompressedBatch>,
}

impl InlineCodec {
    pub fn new(algorithm: Algorithm) -> Self {
        InlineCodec {
            algorithm,
            done: VecDeque::new(),
        }
    }
}

impl BlockCodec for InlineCodec {
    fn submit(&mut self, data: &[u8], block_size: usize) -> Result<(), ZFileError> {
        let mut batch = CompressedBatch::default();
        for block in data.chunks(block_size.max(1)) {
            let raw = compress_raw(self.algorithm, block);
            batch.sizes.push(
                u32::try_from(raw.len())
                    .map_err(|_| ZFileError::Codec("block too large".into()))?,
            );
            batch.data.extend_from_slice(&raw);
        }
        self.done.push_back(batch);
        Ok(())
    }

    fn collect(&mut self) -> Result<CompressedBatch, ZFileError> {
        self.done
            .pop_front()
            .ok_or_else(|| ZFileError::Codec("no batch was submitted".into()))
    }
}

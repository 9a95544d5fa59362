//! Block codecs other than the inline one (engines compress on host threads): the writer's
//! bytes do not depend on where or when blocks are compressed.

use std::collections::VecDeque;
use std::io::{Cursor, Write};

use zfile::{
    Algorithm, BLOCK_CRC_SEED, BlockCodec, CompressedBatch, InlineCodec, Options, ZFileError,
    ZFileWriter, crc32c_raw,
};

/// Compresses only when a batch is collected, with batches held `depth` deep, and can
/// checksum the blocks the way the host does.
struct Deferred {
    inner: InlineCodec,
    queued: VecDeque<(Vec<u8>, usize)>,
    depth: usize,
    checksums: bool,
}

impl BlockCodec for Deferred {
    fn submit(&mut self, data: &[u8], block_size: usize) -> Result<(), ZFileError> {
        self.queued.push_back((data.to_vec(), block_size));
        Ok(())
    }

    fn collect(&mut self) -> Result<CompressedBatch, ZFileError> {
        let (data, block_size) = self.queued.pop_front().expect("a queued batch");
        self.inner.submit(&data, block_size)?;
        let mut batch = self.inner.collect()?;
        if self.checksums {
            let mut at = 0;
            for &size in &batch.sizes {
                let block = &batch.data[at..at + size as usize];
                batch.checksums.push(crc32c_raw(BLOCK_CRC_SEED, block));
                at += size as usize;
            }
        }
        Ok(batch)
    }

    fn depth(&self) -> usize {
        self.depth
    }
}

/// Returns one block too few.
struct Short(InlineCodec);

impl BlockCodec for Short {
    fn submit(&mut self, data: &[u8], block_size: usize) -> Result<(), ZFileError> {
        self.0.submit(data, block_size)
    }

    fn collect(&mut self) -> Result<CompressedBatch, ZFileError> {
        let mut b = self.0.collect()?;
        let last = b.sizes.pop().unwrap_or(0);
        b.data.truncate(b.data.len() - last as usize);
        Ok(b)
    }
}

fn data(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| ((i / 7) % 251) as u8 ^ (i % 3) as u8)
        .collect()
}

fn write(
    codec: Box<dyn BlockCodec>,
    options: Options,
    input: &[u8],
) -> Result<Vec<u8>, ZFileError> {
    let mut z = ZFileWriter::with_codec(Cursor::new(Vec::new()), options, codec)?;
    // Odd write sizes cross block and batch boundaries.
    for piece in input.chunks(10_007) {
        z.write_all(piece)?;
    }
    Ok(z.finish()?.0.into_inner())
}

#[test]
fn deferred_batches_give_the_same_bytes_as_inline() {
    let input = data((5 << 20) + 12_345);
    for algorithm in [Algorithm::Lz4, Algorithm::Zstd] {
        for block_size in [4096, 65536] {
            let options = Options {
                algorithm,
                block_size,
                ..Options::default()
            };
            let inline = write(Box::new(InlineCodec::new(algorithm)), options, &input).unwrap();
            for (depth, checksums) in [(1, false), (3, true), (8, false), (8, true)] {
                let deferred = Deferred {
                    inner: InlineCodec::new(algorithm),
                    queued: VecDeque::new(),
                    depth,
                    checksums,
                };
                let out = write(Box::new(deferred), options, &input).unwrap();
                assert!(
                    out == inline,
                    "{algorithm:?} {block_size} depth {depth} checksums {checksums}"
                );
            }
        }
    }
}

#[test]
fn a_codec_losing_blocks_is_a_typed_error() {
    let err = write(
        Box::new(Short(InlineCodec::new(Algorithm::Lz4))),
        Options::default(),
        &data(3 << 20),
    )
    .unwrap_err();
    // Raised inside `write`, the codec error arrives wrapped in the I/O error `Write` allows.
    let text = format!("{err:?}");
    assert!(
        text.contains("Codec(\"255 compressed blocks came back for 256 blocks\")"),
        "{text}"
    );
}

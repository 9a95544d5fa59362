//! Streaming ZFile builder (spec §2.6): header, blocks [+crc], jump table, trailer.

use std::collections::VecDeque;
use std::io::{self, Seek, SeekFrom, Write};

use crate::batch::{BlockCodec, InlineCodec};
use crate::codec;
use crate::crc::crc32c_raw;
use crate::error::ZFileError;
use crate::header::{
    BLOCK_CRC_SEED, FLAG_DATA, FLAG_DIGEST, FLAG_HEADER, FLAG_INFO_VALID, FLAG_SEALED, HEADER_SIZE,
    HeaderBlock, STRUCT_SIZE,
};
use crate::options::{Algorithm, Options};

/// What [`ZFileWriter::finish`] produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Length of the whole ZFile, header to trailer.
    pub compressed_len: u64,
    pub original_len: u64,
    pub blocks: u64,
}

/// Uncompressed bytes handed to the codec at once (whole blocks): large enough that a host
/// call per batch costs nothing, small enough to keep several in flight.
const BATCH_BYTES: usize = 1 << 20;

/// Compresses everything written to it into a ZFile starting at the inner writer's position.
pub struct ZFileWriter<W: Write + Seek> {
    inner: W,
    options: Options,
    codec: Box<dyn BlockCodec>,
    /// Position of the header in `inner` (1536 inside the tar wrapper).
    base: u64,
    /// Bytes of the batch being filled.
    pending: Vec<u8>,
    batch_bytes: usize,
    /// Uncompressed length of each batch the codec holds, oldest first.
    in_flight: VecDeque<usize>,
    scratch: Vec<u8>,
    entries: Vec<u32>,
    original_len: u64,
    /// Bytes written so far, relative to `base`.
    written: u64,
}

impl<W: Write + Seek> ZFileWriter<W> {
    /// Writes the provisional 0x13 header at the writer's current position; blocks are
    /// compressed on the calling thread.
    pub fn new(inner: W, options: Options) -> Result<Self, ZFileError> {
        Self::with_codec(
            inner,
            options,
            Box::new(InlineCodec::new(options.algorithm)),
        )
    }

    /// Like [`new`](Self::new), with blocks compressed by `codec` (which must use
    /// `options.algorithm`).
    pub fn with_codec(
        mut inner: W,
        options: Options,
        codec: Box<dyn BlockCodec>,
    ) -> Result<Self, ZFileError> {
        options.validate()?;
        let base = inner.stream_position()?;
        let header = block_template(&options, FLAG_HEADER | FLAG_DATA | FLAG_DIGEST);
        inner.write_all(&header.encode())?;
        let block_size = options.block_size as usize;
        let batch_bytes = BATCH_BYTES.max(block_size) / block_size * block_size;
        Ok(ZFileWriter {
            inner,
            codec,
            base,
            pending: Vec::with_capacity(batch_bytes),
            batch_bytes,
            in_flight: VecDeque::new(),
            scratch: Vec::new(),
            entries: Vec::new(),
            original_len: 0,
            written: HEADER_SIZE as u64,
            options,
        })
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Hands the pending bytes to the codec.
    fn submit_batch(&mut self) -> Result<(), ZFileError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.codec
            .submit(&self.pending, self.options.block_size as usize)?;
        let len = self.pending.len();
        self.pending.clear();
        self.submitted(len)
    }

    /// Notes a batch of `len` bytes handed to the codec, writing out batches beyond its depth.
    fn submitted(&mut self, len: usize) -> Result<(), ZFileError> {
        self.in_flight.push_back(len);
        while self.in_flight.len() > self.codec.depth() {
            self.write_oldest()?;
        }
        Ok(())
    }

    /// Collects the oldest batch and writes its blocks, each with its CRC.
    fn write_oldest(&mut self) -> Result<(), ZFileError> {
        let Some(len) = self.in_flight.pop_front() else {
            return Ok(());
        };
        let batch = self.codec.collect()?;
        let block_size = self.options.block_size as usize;
        if batch.sizes.len() != len.div_ceil(block_size) {
            return Err(ZFileError::Codec(format!(
                "{} compressed blocks came back for {} blocks",
                batch.sizes.len(),
                len.div_ceil(block_size)
            )));
        }
        let checksums = (batch.checksums.len() == batch.sizes.len()).then_some(&batch.checksums);
        let mut at = 0usize;
        for (i, &size) in batch.sizes.iter().enumerate() {
            let raw = at
                .checked_add(size as usize)
                .and_then(|end| batch.data.get(at..end))
                .ok_or_else(|| ZFileError::Codec("block sizes exceed the batch".into()))?;
            at += size as usize;
            let original = block_size.min(len - i * block_size);
            // An LZ4 block is stored as the codec made it (no copy, and its checksum carries
            // over); a zstd frame gets its content size first.
            let stored = if self.options.algorithm == Algorithm::Lz4 {
                raw
            } else {
                self.scratch.clear();
                codec::finish_block(
                    self.options.algorithm,
                    raw,
                    original as u64,
                    &mut self.scratch,
                )?;
                self.scratch.as_slice()
            };
            let mut entry = stored.len();
            self.inner.write_all(stored)?;
            if self.options.verify {
                let crc = match checksums {
                    Some(c) if self.options.algorithm == Algorithm::Lz4 => c[i],
                    _ => crc32c_raw(BLOCK_CRC_SEED, stored),
                };
                self.inner.write_all(&crc.to_le_bytes())?;
                entry += 4;
            }
            // A 64 KiB block compresses to well under 4 GiB, so the entry always fits.
            let entry = u32::try_from(entry).map_err(|_| {
                io::Error::other("compressed block does not fit a jump-table entry")
            })?;
            self.entries.push(entry);
            self.written += u64::from(entry);
            self.original_len += original as u64;
        }
        Ok(())
    }

    /// Writes the last partial block, the jump table, the trailer and (if asked) the final
    /// header, leaving the inner writer positioned after the trailer.
    pub fn finish(mut self) -> Result<(W, Summary), ZFileError> {
        self.submit_batch()?;
        while !self.in_flight.is_empty() {
            self.write_oldest()?;
        }
        let index_offset = self.written;
        let table: Vec<u8> = self.entries.iter().flat_map(|e| e.to_le_bytes()).collect();
        self.inner.write_all(&table)?;
        let index_crc = crc32c_raw(0, &table);
        let blocks = self.entries.len() as u64;
        let fill = |mut b: HeaderBlock| {
            b.index_offset = index_offset;
            b.index_size = blocks;
            b.original_file_size = self.original_len;
            b.index_crc = index_crc;
            b
        };
        let trailer = fill(block_template(
            &self.options,
            FLAG_DATA | FLAG_SEALED | FLAG_DIGEST,
        ));
        self.inner.write_all(&trailer.encode())?;
        let compressed_len = index_offset + table.len() as u64 + HEADER_SIZE as u64;
        if self.options.rewrite_header {
            let header = fill(block_template(
                &self.options,
                FLAG_HEADER | FLAG_DATA | FLAG_INFO_VALID | FLAG_DIGEST,
            ));
            self.inner.seek(SeekFrom::Start(self.base))?;
            self.inner.write_all(&header.encode())?;
            self.inner
                .seek(SeekFrom::Start(self.base + compressed_len))?;
        }
        self.inner.flush()?;
        Ok((
            self.inner,
            Summary {
                compressed_len,
                original_len: self.original_len,
                blocks,
            },
        ))
    }
}

/// A header/trailer with the option fields filled in and the index fields zero.
fn block_template(options: &Options, flags: u32) -> HeaderBlock {
    HeaderBlock {
        size: STRUCT_SIZE,
        flags: u64::from(flags),
        block_size: options.block_size,
        algo: options.algorithm.code(),
        verify: u8::from(options.verify),
        ..HeaderBlock::default()
    }
}

impl<W: Write + Seek> Write for ZFileWriter<W> {
    fn write(&mut self, mut buf: &[u8]) -> io::Result<usize> {
        let total = buf.len();
        while !buf.is_empty() {
            // Whole batches go to the codec straight from the caller's buffer.
            if self.pending.is_empty() && buf.len() >= self.batch_bytes {
                let (batch, rest) = buf.split_at(self.batch_bytes);
                self.codec.submit(batch, self.options.block_size as usize)?;
                self.submitted(batch.len())?;
                buf = rest;
                continue;
            }
            let take = (self.batch_bytes - self.pending.len()).min(buf.len());
            self.pending.extend_from_slice(&buf[..take]);
            buf = &buf[take..];
            if self.pending.len() == self.batch_bytes {
                self.submit_batch()?;
            }
        }
        Ok(total)
    }

    /// Blocks are only emitted whole, so this just flushes the inner writer.
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

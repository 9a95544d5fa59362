//! Streaming ZFile builder (spec §2.6): header, blocks [+crc], jump table, trailer.

use std::io::{self, Seek, SeekFrom, Write};

use crate::codec;
use crate::crc::crc32c_raw;
use crate::error::ZFileError;
use crate::header::{
    BLOCK_CRC_SEED, FLAG_DATA, FLAG_DIGEST, FLAG_HEADER, FLAG_INFO_VALID, FLAG_SEALED, HEADER_SIZE,
    HeaderBlock, STRUCT_SIZE,
};
use crate::options::Options;

/// What [`ZFileWriter::finish`] produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Length of the whole ZFile, header to trailer.
    pub compressed_len: u64,
    pub original_len: u64,
    pub blocks: u64,
}

/// Compresses everything written to it into a ZFile starting at the inner writer's position.
pub struct ZFileWriter<W: Write + Seek> {
    inner: W,
    options: Options,
    /// Position of the header in `inner` (1536 inside the tar wrapper).
    base: u64,
    pending: Vec<u8>,
    scratch: Vec<u8>,
    entries: Vec<u32>,
    original_len: u64,
    /// Bytes written so far, relative to `base`.
    written: u64,
}

impl<W: Write + Seek> ZFileWriter<W> {
    /// Writes the provisional 0x13 header at the writer's current position.
    pub fn new(mut inner: W, options: Options) -> Result<Self, ZFileError> {
        options.validate()?;
        let base = inner.stream_position()?;
        let header = block_template(&options, FLAG_HEADER | FLAG_DATA | FLAG_DIGEST);
        inner.write_all(&header.encode())?;
        Ok(ZFileWriter {
            inner,
            base,
            pending: Vec::with_capacity(options.block_size as usize),
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

    fn flush_block(&mut self) -> Result<(), ZFileError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.scratch.clear();
        codec::compress(self.options.algorithm, &self.pending, &mut self.scratch)?;
        if self.options.verify {
            let crc = crc32c_raw(BLOCK_CRC_SEED, &self.scratch);
            self.scratch.extend_from_slice(&crc.to_le_bytes());
        }
        // A 64 KiB block compresses to well under 4 GiB, so the entry always fits.
        let entry = u32::try_from(self.scratch.len())
            .map_err(|_| io::Error::other("compressed block does not fit a jump-table entry"))?;
        self.inner.write_all(&self.scratch)?;
        self.entries.push(entry);
        self.written += u64::from(entry);
        self.original_len += self.pending.len() as u64;
        self.pending.clear();
        Ok(())
    }

    /// Writes the last partial block, the jump table, the trailer and (if asked) the final
    /// header, leaving the inner writer positioned after the trailer.
    pub fn finish(mut self) -> Result<(W, Summary), ZFileError> {
        self.flush_block()?;
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
        let block_size = self.options.block_size as usize;
        while !buf.is_empty() {
            let take = (block_size - self.pending.len()).min(buf.len());
            self.pending.extend_from_slice(&buf[..take]);
            buf = &buf[take..];
            if self.pending.len() == block_size {
                self.flush_block()?;
            }
        }
        Ok(total)
    }

    /// Blocks are only emitted whole, so this just flushes the inner writer.
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

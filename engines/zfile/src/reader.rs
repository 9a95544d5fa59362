//! Verifying random-access reader over the original bytes of a ZFile (spec §2.2 reader rules).

use std::io;
use std::sync::{Mutex, PoisonError};

use blockio::ReadAt;

use crate::codec::Decoder;
use crate::crc::crc32c_raw;
use crate::error::ZFileError;
use crate::header::{
    BLOCK_CRC_SEED, FLAG_DATA, FLAG_DIGEST, FLAG_HEADER, FLAG_INFO_VALID, FLAG_SEALED, HEADER_SIZE,
    HeaderBlock, MAX_INDEX_SIZE, computed_digest,
};
use crate::options::Algorithm;

const MAX_BLOCK_SIZE: u32 = 65536;

/// An opened, index-checked ZFile; reads decompress on demand.
pub struct ZFileReader<R: ReadAt> {
    source: R,
    header: HeaderBlock,
    trailer: Option<HeaderBlock>,
    /// Whether the index fields came from the header (bit 3) rather than the trailer.
    index_from_header: bool,
    algorithm: Algorithm,
    block_size: u32,
    verify: bool,
    original_size: u64,
    /// Absolute start of every block, plus the end of the last one.
    starts: Vec<u64>,
    cache: Mutex<Cache>,
}

/// The last decoded block, so sequential small reads decompress each block once.
struct Cache {
    block: Option<u64>,
    data: Vec<u8>,
    compressed: Vec<u8>,
    decoder: Decoder,
}

impl Cache {
    fn new() -> Self {
        Cache {
            block: None,
            data: Vec::new(),
            compressed: Vec::new(),
            decoder: Decoder::new(),
        }
    }
}

fn read_block<R: ReadAt>(source: &R, offset: u64) -> Result<[u8; HEADER_SIZE], ZFileError> {
    let mut b = [0u8; HEADER_SIZE];
    source.read_exact_at(offset, &mut b)?;
    Ok(b)
}

fn check_digest(
    raw: &[u8; HEADER_SIZE],
    parsed: &HeaderBlock,
    which: &'static str,
) -> Result<(), ZFileError> {
    if parsed.has(FLAG_DIGEST) {
        let computed = computed_digest(raw);
        if computed != parsed.digest {
            return Err(ZFileError::BadDigest {
                which,
                stored: parsed.digest,
                computed,
            });
        }
    }
    Ok(())
}

/// Upper bound on a stored block: the LZ4 and zstd worst cases for 64 KiB plus the CRC.
fn max_stored_len(block_size: u32) -> u32 {
    block_size + block_size / 128 + 1024 + 4
}

impl<R: ReadAt> ZFileReader<R> {
    /// Checks header, trailer and jump table; tolerates the garbage header of the 2021 base layer.
    pub fn open(source: R) -> Result<Self, ZFileError> {
        let size = source.size();
        if size < 2 * HEADER_SIZE as u64 {
            return Err(ZFileError::TooSmall { size });
        }
        let raw_header = read_block(&source, 0)?;
        let header = HeaderBlock::parse(&raw_header, 0)?;
        if !header.has(FLAG_HEADER) {
            return Err(ZFileError::NotAHeader {
                flags: header.flags32(),
            });
        }
        check_digest(&raw_header, &header, "header")?;

        let trailer_offset = size - HEADER_SIZE as u64;
        let index_from_header = header.has(FLAG_INFO_VALID);
        let trailer = if index_from_header {
            // Only informative here: the header already holds the index.
            read_block(&source, trailer_offset)
                .ok()
                .and_then(|raw| HeaderBlock::parse(&raw, trailer_offset).ok())
        } else {
            let raw = read_block(&source, trailer_offset)?;
            let t = HeaderBlock::parse(&raw, trailer_offset)?;
            if t.has(FLAG_HEADER) || !t.has(FLAG_DATA) || !t.has(FLAG_SEALED) {
                return Err(ZFileError::BadTrailerFlags { flags: t.flags32() });
            }
            check_digest(&raw, &t, "trailer")?;
            Some(t)
        };
        let info = match (&trailer, index_from_header) {
            (Some(t), false) => t,
            _ => &header,
        };

        if info.index_size > MAX_INDEX_SIZE {
            return Err(ZFileError::IndexTooLarge {
                index_size: info.index_size,
            });
        }
        let table_len = info.index_size * 4;
        let table_fits = trailer_offset
            .checked_sub(info.index_offset)
            .is_some_and(|room| table_len <= room);
        if !table_fits {
            return Err(ZFileError::IndexOutOfRange {
                index_offset: info.index_offset,
                index_size: info.index_size,
                trailer_offset,
            });
        }
        let block_size = info.block_size;
        if block_size == 0 || block_size > MAX_BLOCK_SIZE {
            return Err(ZFileError::BadBlockSize { block_size });
        }
        let algorithm = Algorithm::from_code(info.algo)
            .ok_or(ZFileError::UnsupportedAlgorithm { algo: info.algo })?;
        if info.original_file_size.div_ceil(u64::from(block_size)) != info.index_size {
            return Err(ZFileError::IndexSizeMismatch {
                index_size: info.index_size,
                block_size,
                original_size: info.original_file_size,
            });
        }

        // Bounded by the file size through the range check above.
        let table_bytes = usize::try_from(table_len).map_err(|_| ZFileError::IndexTooLarge {
            index_size: info.index_size,
        })?;
        let mut table = vec![0u8; table_bytes];
        source.read_exact_at(info.index_offset, &mut table)?;
        if info.has(FLAG_DIGEST) {
            let computed = crc32c_raw(0, &table);
            if computed != info.index_crc {
                return Err(ZFileError::BadIndexCrc {
                    stored: info.index_crc,
                    computed,
                });
            }
        }
        let verify = info.verify != 0;
        let min_len = if verify { 5 } else { 1 };
        let max_len = max_stored_len(block_size);
        let mut starts = Vec::with_capacity(table.len() / 4 + 1);
        let mut pos = HEADER_SIZE as u64 + u64::from(info.dict_size);
        starts.push(pos);
        for (block, entry) in (0u64..).zip(table.chunks_exact(4)) {
            let length = u32::from_le_bytes([entry[0], entry[1], entry[2], entry[3]]);
            if length < min_len || length > max_len {
                return Err(ZFileError::BadJumpEntry { block, length });
            }
            pos += u64::from(length);
            starts.push(pos);
        }
        if pos > info.index_offset {
            return Err(ZFileError::BlocksOverrunIndex {
                end: pos,
                index_offset: info.index_offset,
            });
        }

        Ok(ZFileReader {
            algorithm,
            block_size,
            verify,
            original_size: info.original_file_size,
            header,
            trailer,
            index_from_header,
            starts,
            source,
            cache: Mutex::new(Cache::new()),
        })
    }

    /// The block at offset 0 as stored (garbage after the magic in the 2021 base layer).
    pub fn header(&self) -> &HeaderBlock {
        &self.header
    }

    /// The trailer, when it was read and carries the magic.
    pub fn trailer(&self) -> Option<&HeaderBlock> {
        self.trailer.as_ref()
    }

    /// The block whose index and option fields the reader uses.
    pub fn index_block(&self) -> &HeaderBlock {
        match (&self.trailer, self.index_from_header) {
            (Some(t), false) => t,
            _ => &self.header,
        }
    }

    pub fn index_from_header(&self) -> bool {
        self.index_from_header
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub fn block_size(&self) -> u32 {
        self.block_size
    }

    pub fn verify(&self) -> bool {
        self.verify
    }

    pub fn original_size(&self) -> u64 {
        self.original_size
    }

    pub fn block_count(&self) -> u64 {
        self.starts.len() as u64 - 1
    }

    /// Stored length (compressed bytes plus CRC) of every block, i.e. the jump table.
    pub fn jump_entries(&self) -> impl Iterator<Item = u64> + '_ {
        self.starts.windows(2).map(|w| w[1] - w[0])
    }

    pub fn into_inner(self) -> R {
        self.source
    }

    /// Decodes block `block` into the cache, checking its CRC and decoded length.
    fn load(&self, block: u64, cache: &mut Cache) -> Result<(), ZFileError> {
        cache.block = None;
        let idx = block as usize;
        let (start, end) = (self.starts[idx], self.starts[idx + 1]);
        cache.compressed.resize((end - start) as usize, 0);
        self.source.read_exact_at(start, &mut cache.compressed)?;
        let payload = if self.verify {
            let (payload, crc) = cache.compressed.split_at(cache.compressed.len() - 4);
            let stored = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
            let computed = crc32c_raw(BLOCK_CRC_SEED, payload);
            if stored != computed {
                return Err(ZFileError::BlockCrc {
                    block,
                    stored,
                    computed,
                });
            }
            payload
        } else {
            &cache.compressed[..]
        };
        let bs = u64::from(self.block_size);
        let expected = (self.original_size - block * bs).min(bs) as usize;
        cache.data.resize(self.block_size as usize, 0);
        let actual = cache
            .decoder
            .decompress(self.algorithm, block, payload, &mut cache.data)?;
        if actual != expected {
            return Err(ZFileError::ShortBlock {
                block,
                expected,
                actual,
            });
        }
        cache.data.truncate(actual);
        cache.block = Some(block);
        Ok(())
    }

    /// Reads original bytes at `offset`; returns fewer than `buf.len()` only at the end.
    pub fn read_original(&self, offset: u64, buf: &mut [u8]) -> Result<usize, ZFileError> {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        let bs = u64::from(self.block_size);
        let mut done = 0usize;
        while done < buf.len() {
            let pos = offset.saturating_add(done as u64);
            if pos >= self.original_size {
                break;
            }
            let block = pos / bs;
            if cache.block != Some(block) {
                self.load(block, &mut cache)?;
            }
            let within = (pos % bs) as usize;
            let n = (cache.data.len() - within).min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&cache.data[within..within + n]);
            done += n;
        }
        Ok(done)
    }

    /// Checks the CRC and decoding of every block (overlaybd-zfile --verify).
    pub fn verify_all(&self) -> Result<(), ZFileError> {
        let mut scratch = Cache::new();
        for block in 0..self.block_count() {
            self.load(block, &mut scratch)?;
        }
        Ok(())
    }
}

impl<R: ReadAt> ReadAt for ZFileReader<R> {
    fn size(&self) -> u64 {
        self.original_size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.read_original(offset, buf)?)
    }
}

//! Random access to the uncompressed stream through the checkpoints of a [`GzIndex`].

use crate::error::{Error, Result};
use crate::header::WINDOW_SIZE;
use crate::index::{Checkpoint, GzIndex};
use crate::zlib::{Flush, Inflater, RAW};
use blockio::ReadAt;
use std::io;
use std::sync::Mutex;

/// Compressed bytes fetched from the blob at a time.
const IN_CHUNK: usize = 64 * 1024;
/// Scratch output for skipping from a checkpoint to the wanted offset.
const SKIP_CHUNK: usize = 64 * 1024;

/// A raw inflate positioned somewhere in the first member.
struct Cursor {
    inflater: Inflater,
    /// Uncompressed offset of the next byte it will produce.
    de_pos: u64,
    /// Blob offset of the next compressed byte to fetch.
    blob_pos: u64,
    input: Box<[u8]>,
    in_start: usize,
    in_end: usize,
    ended: bool,
    /// Discard buffer for skipping, allocated on first use.
    scratch: Vec<u8>,
}

impl Cursor {
    fn start<R: ReadAt>(cp: &Checkpoint, blob: &R) -> Result<Self> {
        let mut inflater = Inflater::new(RAW)?;
        let mut blob_pos = cp.en_pos;
        if cp.bits > 0 {
            blob_pos = blob_pos.checked_sub(1).ok_or(Error::Truncated)?;
            let mut byte = [0u8; 1];
            blob.read_exact_at(blob_pos, &mut byte)?;
            blob_pos += 1;
            inflater.prime(cp.bits, byte[0] >> (8 - cp.bits))?;
        }
        inflater.set_dictionary(&cp.window)?;
        Ok(Cursor {
            inflater,
            de_pos: cp.de_pos,
            blob_pos,
            input: vec![0u8; IN_CHUNK].into_boxed_slice(),
            in_start: 0,
            in_end: 0,
            ended: false,
            scratch: Vec::new(),
        })
    }

    /// Inflates into `out`; returns the bytes produced (0 only at the end of the stream).
    fn pull<R: ReadAt>(&mut self, blob: &R, out: &mut [u8]) -> Result<usize> {
        loop {
            if self.ended || out.is_empty() {
                return Ok(0);
            }
            if self.in_start == self.in_end {
                let n = blob.read_at(self.blob_pos, &mut self.input)?;
                self.blob_pos += n as u64;
                self.in_start = 0;
                self.in_end = n;
            }
            let input = &self.input[self.in_start..self.in_end];
            let at = self.blob_pos - (self.in_end - self.in_start) as u64;
            let step = self
                .inflater
                .inflate(input, out, Flush::None)
                .map_err(|f| f.into_error(at))?;
            self.in_start += step.consumed;
            self.de_pos += step.produced as u64;
            self.ended = step.stream_end;
            if step.produced > 0 || self.ended {
                return Ok(step.produced);
            }
            if step.consumed == 0 {
                // No progress with room to write: either the blob ended or zlib is stuck.
                return Err(if input.is_empty() {
                    Error::Truncated
                } else {
                    Error::Zlib(-5)
                });
            }
        }
    }

    fn skip_to<R: ReadAt>(&mut self, blob: &R, target: u64) -> Result<()> {
        if self.de_pos >= target {
            return Ok(());
        }
        // Taken out of `self` while `pull` borrows it; a failed cursor is dropped anyway.
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.resize(SKIP_CHUNK, 0);
        while self.de_pos < target {
            let want = (target - self.de_pos).min(SKIP_CHUNK as u64) as usize;
            if self.pull(blob, &mut scratch[..want])? == 0 {
                return Err(Error::Truncated);
            }
        }
        self.scratch = scratch;
        Ok(())
    }
}

/// Reads the uncompressed stream of a gzip blob at any offset using its index.
///
/// The decoder of the latest read is kept, so sequential reads continue where the previous one
/// stopped instead of restarting from a checkpoint.
pub struct GzIndexReader<R> {
    index: GzIndex,
    blob: R,
    cursor: Mutex<Option<Cursor>>,
}

impl<R: ReadAt> GzIndexReader<R> {
    /// Pairs an index with its blob; the blob size must equal the indexed file size.
    pub fn new(index: GzIndex, blob: R) -> Result<Self> {
        if blob.size() != index.gzip_file_size {
            return Err(Error::GzipSizeMismatch {
                expected: index.gzip_file_size,
                actual: blob.size(),
            });
        }
        if index.entries.is_empty() {
            return Err(Error::NoCheckpoint);
        }
        for (entry, cp) in index.entries.iter().enumerate() {
            if cp.window.len() != WINDOW_SIZE {
                return Err(Error::BadWindow { entry });
            }
            if cp.bits > 7 {
                return Err(Error::BadEntry {
                    entry,
                    reason: "bits is above 7",
                });
            }
        }
        Ok(GzIndexReader {
            index,
            blob,
            cursor: Mutex::new(None),
        })
    }

    pub fn index(&self) -> &GzIndex {
        &self.index
    }

    pub fn into_parts(self) -> (GzIndex, R) {
        (self.index, self.blob)
    }

    /// Reads up to `buf.len()` bytes at `offset`, fewer only at the end of the stream.
    pub fn read_at_checked(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let size = self.index.uncompress_file_size;
        if offset >= size || buf.is_empty() {
            return Ok(0);
        }
        let want = usize::try_from(size - offset).map_or(buf.len(), |left| left.min(buf.len()));
        let buf = &mut buf[..want];
        let nth = self.index.entries.partition_point(|cp| cp.de_pos <= offset);
        let cp = nth
            .checked_sub(1)
            .and_then(|i| self.index.entries.get(i))
            .ok_or(Error::NoCheckpointBefore(offset))?;
        // Taken out of the lock so concurrent readers decode in parallel from checkpoints.
        let cached = self.cursor.lock().unwrap_or_else(|e| e.into_inner()).take();
        let mut cur = match cached {
            Some(c) if c.de_pos <= offset && c.de_pos >= cp.de_pos => c,
            _ => Cursor::start(cp, &self.blob)?,
        };
        cur.skip_to(&self.blob, offset)?;
        let mut done = 0;
        while done < buf.len() {
            let n = cur.pull(&self.blob, &mut buf[done..])?;
            if n == 0 {
                break;
            }
            done += n;
        }
        *self.cursor.lock().unwrap_or_else(|e| e.into_inner()) = Some(cur);
        Ok(done)
    }
}

impl<R: ReadAt> ReadAt for GzIndexReader<R> {
    fn size(&self) -> u64 {
        self.index.uncompress_file_size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.read_at_checked(offset, buf)?)
    }
}

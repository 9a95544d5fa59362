//! Streaming index construction: one inflate pass that feeds the caller and picks checkpoints.
//!
//! Only the first gzip member is decoded, like upstream: `read` reports end of stream at the end
//! of that member, and whatever follows it (further members, padding) is read and counted by
//! [`IndexBuilder::finish`] so that `gzip_file_size` is the size of the whole file.

use crate::error::{Error, Result};
use crate::header::{DEFAULT_SPAN, MIN_SPAN, WINDOW_SIZE};
use crate::index::{Checkpoint, GzIndex};
use crate::select::{Fate, Selector};
use crate::zlib::{AT_BOUNDARY, AUTO_HEADER, Failure, Flush, Inflater, LAST_BLOCK, UNUSED_BITS};
use std::io::{self, Read};

/// Compressed bytes read from the source at a time.
const IN_CHUNK: usize = 128 * 1024;
/// Uncompressed bytes produced between slides of the history buffer.
const OUT_CHUNK: usize = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Running,
    Done,
    Failed,
}

/// A candidate held back by the selection rule, with its window copied out only when the
/// history buffer is about to drop it.
struct Held {
    de_pos: u64,
    en_pos: u64,
    bits: u8,
    saved: bool,
}

/// Decompresses a gzip stream through [`Read`] while recording upstream's checkpoints.
///
/// Like upstream's `inflateInit2(47)`, a zlib-wrapped stream is accepted too. Read errors carry
/// an [`Error`] inside the `io::Error`; after one, the builder only returns [`Error::Poisoned`].
/// `read` ends at the end of the first member; [`finish`](Self::finish) counts what follows.
pub struct IndexBuilder<R> {
    src: R,
    span: u32,
    inflater: Inflater,
    state: State,
    input: Box<[u8]>,
    in_start: usize,
    in_end: usize,
    src_eof: bool,
    /// Bytes read from the source.
    read_total: u64,
    /// Bytes consumed by inflate (the checkpoints' en_pos basis).
    consumed: u64,
    /// `WINDOW_SIZE` bytes of history (zeros at first) followed by fresh output.
    out: Box<[u8]>,
    out_end: usize,
    out_read: usize,
    /// Uncompressed bytes produced; `out[out_end - 1]` is byte `produced - 1`.
    produced: u64,
    header_done: bool,
    selector: Selector,
    held: Option<Held>,
    held_window: Box<[u8]>,
    entries: Vec<Checkpoint>,
}

impl<R: Read> IndexBuilder<R> {
    /// A builder with upstream's default span of 1 MiB.
    pub fn new(src: R) -> Result<Self> {
        Self::with_span(src, DEFAULT_SPAN)
    }

    /// A builder with a custom span (65536 ..= i32::MAX, as upstream accepts).
    pub fn with_span(src: R, span: u32) -> Result<Self> {
        if span < MIN_SPAN || i32::try_from(span).is_err() {
            return Err(Error::BadSpan(span.into()));
        }
        Ok(IndexBuilder {
            src,
            span,
            inflater: Inflater::new(AUTO_HEADER)?,
            state: State::Running,
            input: vec![0u8; IN_CHUNK].into_boxed_slice(),
            in_start: 0,
            in_end: 0,
            src_eof: false,
            read_total: 0,
            consumed: 0,
            out: vec![0u8; WINDOW_SIZE + OUT_CHUNK].into_boxed_slice(),
            out_end: WINDOW_SIZE,
            out_read: WINDOW_SIZE,
            produced: 0,
            header_done: false,
            selector: Selector::new(span),
            held: None,
            held_window: vec![0u8; WINDOW_SIZE].into_boxed_slice(),
            entries: Vec::new(),
        })
    }

    /// Checkpoints recorded so far.
    pub fn entries(&self) -> &[Checkpoint] {
        &self.entries
    }

    /// Decodes the rest of the first member (discarding it), reads any trailing data to count
    /// the file size, and returns the index.
    pub fn finish(mut self) -> Result<GzIndex> {
        while self.state == State::Running {
            self.out_read = self.out_end;
            self.step_guarded()?;
        }
        if self.state == State::Failed {
            return Err(Error::Poisoned);
        }
        loop {
            let n = read_retrying(&mut self.src, &mut self.input)?;
            if n == 0 {
                break;
            }
            self.read_total += n as u64;
        }
        Ok(GzIndex {
            span: self.span,
            entries: self.entries,
            gzip_file_size: self.read_total,
            uncompress_file_size: self.produced,
        })
    }

    fn step_guarded(&mut self) -> Result<()> {
        let r = self.step();
        if r.is_err() {
            self.state = State::Failed;
        }
        r
    }

    /// One inflate call, stopping at the next block boundary at the latest.
    fn step(&mut self) -> Result<()> {
        if self.out_end == self.out.len() {
            self.slide();
        }
        if self.in_start == self.in_end && !self.src_eof {
            let n = read_retrying(&mut self.src, &mut self.input)?;
            self.read_total += n as u64;
            self.in_start = 0;
            self.in_end = n;
            self.src_eof = n == 0;
        }
        let input = &self.input[self.in_start..self.in_end];
        let output = &mut self.out[self.out_end..];
        let step = self
            .inflater
            .inflate(input, output, Flush::Block)
            .map_err(|f| self.map_failure(f))?;
        self.in_start += step.consumed;
        self.consumed += step.consumed as u64;
        self.out_end += step.produced;
        self.produced += step.produced as u64;
        if step.stream_end {
            self.state = State::Done;
            self.held = None;
            return Ok(());
        }
        if step.data_type & AT_BOUNDARY != 0 && step.data_type & LAST_BLOCK == 0 {
            self.header_done = true;
            self.on_candidate(step.data_type);
        } else if step.consumed == 0 && step.produced == 0 && self.src_eof {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    fn map_failure(&self, f: Failure) -> Error {
        if !f.is_data_error() {
            return f.into_error(self.consumed);
        }
        if !self.header_done {
            Error::BadHeader(f.msg)
        } else if f.msg.starts_with("incorrect data check")
            || f.msg.starts_with("incorrect length check")
        {
            Error::BadTrailer(f.msg)
        } else {
            f.into_error(self.consumed)
        }
    }

    fn on_candidate(&mut self, data_type: i32) {
        // zlib-rs may keep whole bytes in its bit buffer; they are not consumed yet.
        let unused = (data_type & UNUSED_BITS) as u64;
        let en_pos = self.consumed.saturating_sub(unused / 8);
        let bits = (unused % 8) as u8;
        let decision = self.selector.offer(self.produced);
        if decision.emit_held
            && let Some(h) = self.held.take()
        {
            let window = if h.saved {
                self.held_window.to_vec()
            } else {
                self.window_before(h.de_pos).to_vec()
            };
            self.entries.push(Checkpoint {
                de_pos: h.de_pos,
                en_pos: h.en_pos,
                bits: h.bits,
                window,
            });
        }
        match decision.current {
            Fate::Emit => {
                self.held = None;
                let window = self.window_before(self.produced).to_vec();
                self.entries.push(Checkpoint {
                    de_pos: self.produced,
                    en_pos,
                    bits,
                    window,
                });
            }
            Fate::Hold => {
                self.held = Some(Held {
                    de_pos: self.produced,
                    en_pos,
                    bits,
                    saved: false,
                });
            }
        }
    }

    /// The 32 KiB before uncompressed offset `de_pos`, which must still be in `out`.
    fn window_before(&self, de_pos: u64) -> &[u8] {
        let back = (self.produced - de_pos) as usize;
        let end = self.out_end - back;
        &self.out[end - WINDOW_SIZE..end]
    }

    /// Keeps only the last 32 KiB of history; called once all output has been read.
    fn slide(&mut self) {
        if let Some(h) = &self.held
            && !h.saved
            && h.de_pos != self.produced
        {
            let de_pos = h.de_pos;
            let mut window = std::mem::take(&mut self.held_window);
            window.copy_from_slice(self.window_before(de_pos));
            self.held_window = window;
            if let Some(h) = &mut self.held {
                h.saved = true;
            }
        }
        self.out
            .copy_within(self.out_end - WINDOW_SIZE..self.out_end, 0);
        self.out_end = WINDOW_SIZE;
        self.out_read = WINDOW_SIZE;
    }
}

impl<R: Read> Read for IndexBuilder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_read < self.out_end {
                let n = buf.len().min(self.out_end - self.out_read);
                buf[..n].copy_from_slice(&self.out[self.out_read..self.out_read + n]);
                self.out_read += n;
                return Ok(n);
            }
            match self.state {
                State::Done => return Ok(0),
                State::Failed => return Err(Error::Poisoned.into()),
                State::Running if buf.is_empty() => return Ok(0),
                State::Running => self.step_guarded()?,
            }
        }
    }
}

fn read_retrying<R: Read>(src: &mut R, buf: &mut [u8]) -> Result<usize> {
    loop {
        match src.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return Ok(r?),
        }
    }
}

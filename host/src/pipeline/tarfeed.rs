//! What a layer's check feeds besides its own hashing: an engine's `read-tar` stream and digest
//! threads, all sharing the same 1 MiB chunks.

use super::store::digest_reader;
use crate::image::Sha256Digester;
use engine_runtime::ProgressFn;
use std::io::{self, Read};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Chunks in flight to the engine and to each digest thread.
const CHUNKS_IN_FLIGHT: usize = 4;
/// Bytes per chunk: the engine's 1 MiB reads take one chunk each.
pub const CHUNK: usize = 1 << 20;

/// A shared piece of a stream: the engine and a digest thread read the same bytes.
pub type Chunk = Arc<Vec<u8>>;

/// Reads `r` in whole chunks and hands each to `take` until `r` ends or `take` says stop.
pub fn chunks(mut r: impl Read, mut take: impl FnMut(Chunk) -> bool) -> io::Result<()> {
    loop {
        let mut buf = vec![0u8; CHUNK];
        let mut filled = 0;
        while filled < buf.len() {
            match r.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if filled == 0 {
            return Ok(());
        }
        buf.truncate(filled);
        if !take(Arc::new(buf)) {
            return Ok(());
        }
    }
}

/// sha256 of everything `r` yields. With a `tee`, every chunk also goes to it and the hashing
/// to a thread of its own, so this thread only reads (it inflates, the long pole).
pub fn digest_of(r: impl Read, tee: Option<&mut dyn FnMut(&Chunk)>) -> io::Result<String> {
    let Some(tee) = tee else {
        return digest_reader(r).map(|(digest, _)| digest);
    };
    let mut digest = BackgroundDigest::spawn()?;
    chunks(r, |chunk| {
        digest.update(chunk.clone());
        tee(&chunk);
        true
    })?;
    Ok(digest.finish().0)
}

/// sha256 here or on a thread of its own.
pub enum Digest {
    Inline(Sha256Digester),
    Background(BackgroundDigest),
}

impl Digest {
    pub fn new(background: bool) -> io::Result<Self> {
        Ok(if background {
            Digest::Background(BackgroundDigest::spawn()?)
        } else {
            Digest::Inline(Sha256Digester::new())
        })
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Digest::Inline(d) => d.update(data),
            Digest::Background(d) => d.update(Arc::new(data.to_vec())),
        }
    }

    /// The digest and length of everything given.
    pub fn finish(self) -> (String, u64) {
        match self {
            Digest::Inline(d) => {
                let len = d.len();
                (d.finish(), len)
            }
            Digest::Background(d) => d.finish(),
        }
    }
}

/// sha256 on a thread of its own, fed chunk by chunk.
pub struct BackgroundDigest {
    tx: Option<SyncSender<Chunk>>,
    thread: Option<JoinHandle<(String, u64)>>,
}

impl BackgroundDigest {
    fn spawn() -> io::Result<Self> {
        let (tx, rx) = sync_channel::<Chunk>(CHUNKS_IN_FLIGHT);
        let thread = std::thread::Builder::new()
            .name("source-digest".into())
            .spawn(move || {
                let mut d = Sha256Digester::new();
                for chunk in rx {
                    d.update(&chunk);
                }
                let len = d.len();
                (d.finish(), len)
            })?;
        Ok(Self {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    fn update(&mut self, chunk: Chunk) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(chunk);
        }
    }

    fn finish(mut self) -> (String, u64) {
        self.tx = None;
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default()
    }
}

/// A blob being read: counts its bytes for progress and, given a digest, hashes them.
pub struct Tap<R> {
    inner: R,
    digest: Option<Digest>,
    len: u64,
    progress: Option<ProgressFn>,
}

impl<R> Tap<R> {
    pub fn new(inner: R, digest: Option<Digest>, progress: Option<ProgressFn>) -> Self {
        Tap {
            inner,
            digest,
            len: 0,
            progress,
        }
    }

    /// The digest and length of what was read (no digest: an empty string).
    pub fn finish(self) -> (String, u64) {
        match self.digest {
            Some(d) => d.finish(),
            None => (String::new(), self.len),
        }
    }
}

impl<R: Read> Read for Tap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            if let Some(d) = &mut self.digest {
                d.update(buf.get(..n).unwrap_or_default());
            }
            self.len += n as u64;
            if let Some(p) = &self.progress {
                p(self.len);
            }
        }
        Ok(n)
    }
}

/// A `read-tar` stream: the sending end and the reader the engine gets.
pub fn tar_channel() -> (Tee, ChunkReader) {
    let (tx, rx) = sync_channel(CHUNKS_IN_FLIGHT);
    (
        Tee { tx: Some(tx) },
        ChunkReader {
            rx,
            chunk: Chunk::default(),
            pos: 0,
        },
    )
}

/// The sending end of a `read-tar` stream; once the engine hangs up, chunks are dropped.
pub struct Tee {
    tx: Option<SyncSender<io::Result<Chunk>>>,
}

impl Tee {
    /// Passes a chunk on; false once nobody reads.
    pub fn send(&mut self, chunk: &Chunk) -> bool {
        if let Some(tx) = &self.tx
            && tx.send(Ok(chunk.clone())).is_err()
        {
            self.tx = None;
        }
        self.tx.is_some()
    }

    /// Ends the stream with an error in place of its end.
    pub fn fail(&mut self, why: String) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Err(io::Error::new(io::ErrorKind::InvalidData, why)));
        }
    }
}

/// The receiving end: the chunks as one stream, ending when the sender is done.
pub struct ChunkReader {
    rx: Receiver<io::Result<Chunk>>,
    chunk: Chunk,
    pos: usize,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.chunk.len() {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let rest = self.chunk.get(self.pos..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}

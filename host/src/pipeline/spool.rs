//! A layer's uncompressed tar decoded ahead of its conversion into an unnamed file: while the
//! engine still commits one layer (its codec work runs on other threads), the check of the
//! next one inflates and hashes it, and the engine later reads the tar from the page cache.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use engine_runtime::ProgressFn;

/// How far the writer may run ahead of the reader: bounds the disk a spool holds.
const AHEAD: u64 = 1 << 30;

pub struct Spool {
    file: File,
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    written: u64,
    read: u64,
    /// Bytes of the blob decoded into `written`, for progress.
    blob_done: u64,
    /// How decoding ended: `Some(Err)` carries the reason to the reader.
    done: Option<Result<(), String>>,
    /// Nobody will read (the engine stopped, or its conversion ended): stop writing.
    abandoned: bool,
    /// The one reader has been handed out.
    taken: bool,
}

impl Spool {
    /// An empty spool in `dir`; the file has no name and goes away with the last handle.
    pub fn create(dir: &Path) -> io::Result<Arc<Spool>> {
        Ok(Arc::new(Spool {
            file: tempfile::tempfile_in(dir)?,
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        }))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wait<'a>(&self, guard: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        self.changed.wait(guard).unwrap_or_else(|p| p.into_inner())
    }

    /// Appends a chunk, waiting while the reader is far behind. False once abandoned (or the
    /// file failed): the caller goes on checking without spooling.
    pub fn write(&self, chunk: &[u8]) -> bool {
        let mut state = self.lock();
        while !state.abandoned && state.written.saturating_sub(state.read) > AHEAD {
            state = self.wait(state);
        }
        if state.abandoned {
            return false;
        }
        let at = state.written;
        drop(state);
        // Only this thread writes, and readers stay below `written`.
        let wrote = self.file.write_all_at(chunk, at);
        let ok = wrote.is_ok();
        let mut state = self.lock();
        match wrote {
            Ok(()) => state.written += chunk.len() as u64,
            Err(e) => {
                state.done = Some(Err(format!("spooling the layer's tar: {e}")));
                state.abandoned = true;
            }
        }
        drop(state);
        self.changed.notify_all();
        ok
    }

    /// Notes how much of the blob has been decoded so far.
    pub fn blob_done(&self, done: u64) {
        self.lock().blob_done = done;
    }

    /// Records how decoding ended; the reader sees the error after the last good byte.
    pub fn finish(&self, outcome: Result<(), String>) {
        self.lock().done.get_or_insert(outcome);
        self.changed.notify_all();
    }

    /// The reader left: the writer stops waiting and writing.
    fn abandon(&self) {
        self.lock().abandoned = true;
        self.changed.notify_all();
    }

    /// No reader will come (a reader already handed out keeps the spool going).
    pub fn abandon_unread(&self) {
        let mut state = self.lock();
        if !state.taken {
            state.abandoned = true;
        }
        drop(state);
        self.changed.notify_all();
    }

    /// The spool's one reader; none once it was handed out or abandoned (images converting at
    /// once may share a layer: the second decodes on its own). `progress` hears the blob bytes
    /// behind what it has read (estimated).
    pub fn reader(self: &Arc<Self>, progress: Option<ProgressFn>) -> Option<SpoolReader> {
        let mut state = self.lock();
        if state.taken || state.abandoned {
            return None;
        }
        state.taken = true;
        Some(SpoolReader {
            spool: self.clone(),
            pos: 0,
            progress,
        })
    }
}

/// Follows the spool as it is written, to its end.
pub struct SpoolReader {
    spool: Arc<Spool>,
    pos: u64,
    progress: Option<ProgressFn>,
}

impl Read for SpoolReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let spool = &self.spool;
        let mut state = spool.lock();
        loop {
            if state.written > self.pos {
                break;
            }
            match &state.done {
                Some(Ok(())) => return Ok(0),
                Some(Err(why)) => {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, why.clone()));
                }
                None if state.abandoned => {
                    return Err(io::Error::other("the layer's tar stopped being spooled"));
                }
                None => state = spool.wait(state),
            }
        }
        let available = state.written - self.pos;
        let (written, blob_done) = (state.written, state.blob_done);
        drop(state);
        let want = buf
            .len()
            .min(usize::try_from(available).unwrap_or(usize::MAX));
        let n = spool.file.read_at(&mut buf[..want], self.pos)?;
        self.pos += n as u64;
        spool.lock().read = self.pos;
        spool.changed.notify_all();
        if let Some(p) = &self.progress {
            let share = u128::from(blob_done) * u128::from(self.pos) / u128::from(written.max(1));
            p(u64::try_from(share).unwrap_or(blob_done));
        }
        Ok(n)
    }
}

impl Drop for SpoolReader {
    fn drop(&mut self) {
        self.spool.abandon();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reader_follows_the_writer_and_sees_its_error() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::create(dir.path()).unwrap();
        let mut reader = spool.reader(None).unwrap();
        assert!(spool.reader(None).is_none(), "one reader only");
        let writer = {
            let spool = spool.clone();
            std::thread::spawn(move || {
                for i in 0..64u8 {
                    assert!(spool.write(&[i; 10_000]));
                }
                spool.finish(Err("corrupt gzip".into()));
            })
        };
        let mut got = Vec::new();
        let err = reader.read_to_end(&mut got).unwrap_err();
        writer.join().unwrap();
        assert_eq!(got.len(), 640_000);
        assert!(
            got.chunks(10_000)
                .enumerate()
                .all(|(i, c)| c.iter().all(|&b| b == i as u8))
        );
        assert!(err.to_string().contains("corrupt gzip"), "{err}");
    }

    #[test]
    fn an_abandoned_spool_stops_taking_writes() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::create(dir.path()).unwrap();
        assert!(spool.write(b"abc"));
        let reader = spool.reader(None).unwrap();
        spool.abandon_unread();
        assert!(spool.write(b"def"), "a reader was handed out");
        drop(reader);
        assert!(!spool.write(b"ghi"), "the reader left");

        let unread = Spool::create(dir.path()).unwrap();
        unread.abandon_unread();
        assert!(!unread.write(b"abc"), "nobody will read");
        assert!(unread.reader(None).is_none());
    }
}

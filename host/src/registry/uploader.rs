//! Uploads that overlap the conversion: the pipeline reports each layer's stored output blobs
//! and a few background threads push them at once, while the next layers convert. Documents
//! and tags are still pushed by the caller, after the whole conversion succeeded.

use super::TRANSFER_JOBS;
use super::api::Repo;
use super::transfer::{MountFrom, push_one_blob};
use crate::gojson::Descriptor;
use crate::layout::Layout;
use crate::pipeline::Events;
use anyhow::{Context, Result};
use engine_runtime::ProgressFn;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Blobs waiting for an uploader thread; a full queue holds the pipeline back.
const QUEUE: usize = 64;

/// Runs `convert` with events that queue every stored output blob for upload to `repo`
/// (the other events go to `inner`). Returns `convert`'s result, or the first upload error;
/// every upload has ended (or was skipped after a failure) when this returns.
pub fn with_uploads<T>(
    repo: &Repo<'_>,
    layout: &Layout,
    mount: Option<MountFrom<'_>>,
    inner: Option<&dyn Events>,
    convert: impl FnOnce(&dyn Events) -> Result<T>,
) -> Result<T> {
    let (queue, rx) = sync_channel(QUEUE);
    let workers = Workers {
        rx: Mutex::new(rx),
        failed: Mutex::new(None),
        stop: AtomicBool::new(false),
    };
    let out = std::thread::scope(|s| {
        for _ in 0..TRANSFER_JOBS {
            s.spawn(|| workers.run(repo, layout, mount));
        }
        let events = Uploader { inner, queue };
        let out = convert(&events);
        if out.is_err() {
            workers.stop.store(true, Ordering::SeqCst);
        }
        // Closing the queue lets the threads end once it is drained.
        drop(events);
        out
    })?;
    match workers.failed.into_inner() {
        Ok(Some(e)) => Err(e),
        Ok(None) => Ok(out),
        Err(_) => Err(super::RegistryError::Poisoned.into()),
    }
}

struct Uploader<'a> {
    inner: Option<&'a dyn Events>,
    queue: SyncSender<Descriptor>,
}

impl Events for Uploader<'_> {
    fn layer_started(&self, label: &str, total: u64) -> Option<ProgressFn> {
        self.inner.and_then(|e| e.layer_started(label, total))
    }

    fn layer_ended(&self, label: &str, line: Option<&str>) {
        if let Some(e) = self.inner {
            e.layer_ended(label, line);
        }
    }

    fn layer_stored(&self, blobs: &[Descriptor]) {
        if let Some(e) = self.inner {
            e.layer_stored(blobs);
        }
        for b in blobs {
            // The threads live until the queue closes, so a send cannot fail.
            let _ = self.queue.send(b.bare());
        }
    }
}

struct Workers {
    rx: Mutex<Receiver<Descriptor>>,
    failed: Mutex<Option<anyhow::Error>>,
    stop: AtomicBool,
}

impl Workers {
    fn run(&self, repo: &Repo<'_>, layout: &Layout, mount: Option<MountFrom<'_>>) {
        loop {
            let next = self.rx.lock().ok().and_then(|rx| rx.recv().ok());
            let Some(blob) = next else { return };
            let failed = self.failed.lock().map(|f| f.is_some()).unwrap_or(true);
            if failed || self.stop.load(Ordering::SeqCst) {
                continue;
            }
            let pushed = push_one_blob(repo, layout, &blob, mount)
                .with_context(|| format!("failed to upload layer blob {}", blob.digest));
            if let (Err(e), Ok(mut f)) = (pushed, self.failed.lock()) {
                f.get_or_insert(e);
            }
        }
    }
}

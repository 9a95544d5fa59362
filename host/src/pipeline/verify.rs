//! Source layers checked before their conversion is accepted: the blob's digest and size, and
//! the sha256 of its uncompressed tar against the config's diff_id (a wrong diff_id would give
//! wrong chain ids). An image's layers are checked in order on a thread of their own, each as
//! soon as its conversion starts reading the blob, so checking runs beside the engine. An
//! engine that reads the tar (`read-tar`) gets it from the check itself: one pass decodes,
//! hashes and feeds the engine (see [`VerifiedSources::open_tar`]); once it has, the check of
//! each next layer starts as soon as the previous one is decoded and spools its tar for the
//! engine, so inflating a layer overlaps the commit of the one below.

use crate::gojson::Descriptor;
use crate::image::{DOCKER_LAYER, DOCKER_LAYER_GZIP, OCI_LAYER, OCI_LAYER_GZIP, OCI_LAYER_ZSTD};
use crate::layout::Layout;
use anyhow::{Context, Result, bail};
use engine_runtime::ProgressFn;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use super::spool::Spool;
use super::tarfeed::{self, Chunk, Digest, Tap, digest_of, tar_channel};

/// A source layer as its image describes it.
#[derive(Clone)]
pub struct SourceLayer {
    pub desc: Descriptor,
    pub diff_id: String,
}

enum State {
    Checking,
    Good,
    Bad(String),
}

type Key = (String, String);

#[derive(Default)]
struct Inner {
    states: HashMap<Key, State>,
    /// Layers whose conversion started reading the blob or ended: `check_ahead` may take them.
    released: HashSet<Key>,
    /// Layers an engine read the tar of.
    tapped: HashSet<Key>,
    /// Layers an engine read the blob of.
    blob_read: HashSet<Key>,
    /// Tars decoded ahead by `check_ahead`, until their conversion ends.
    spools: HashMap<Key, Arc<Spool>>,
}

impl Inner {
    /// Marks `key` as being checked by the caller; false when someone else has it.
    fn claim(&mut self, key: &Key) -> bool {
        if self.states.contains_key(key) {
            return false;
        }
        self.states.insert(key.clone(), State::Checking);
        true
    }
}

/// Outcomes of the checks of one run, keyed by (digest, diff_id): TurboOCI reads the blobs
/// native just read, and images of an index share layers.
#[derive(Default)]
pub struct VerifiedSources {
    inner: Mutex<Inner>,
    changed: Condvar,
    /// Where tars are spooled ahead; none turns spooling off.
    spool_dir: Option<PathBuf>,
}

impl VerifiedSources {
    /// Checks of a run whose tars may be spooled ahead into files in `spool_dir`.
    pub fn new(spool_dir: PathBuf) -> Self {
        VerifiedSources {
            spool_dir: Some(spool_dir),
            ..VerifiedSources::default()
        }
    }

    /// Checks `layers` in order, skipping those already checked or being checked (a
    /// `read-tar` check), until `stop` is set (then call [`wake`](Self::wake)). A layer is
    /// taken once its conversion has begun reading the blob or has ended, or, when the engine
    /// read the tar of the layer below, as soon as that tar is decoded: then its tar is
    /// spooled for the engine. Runs on a thread of its own while the image converts.
    pub fn check_ahead(&self, layout: &Layout, layers: &[SourceLayer], stop: &AtomicBool) {
        let mut below: Option<Key> = None;
        for layer in layers {
            let key = key(layer);
            let mut inner = self.lock();
            let spool_it = loop {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                if inner.released.contains(&key) || inner.states.contains_key(&key) {
                    break false;
                }
                // The layer below is checked: an engine reading blobs lets the next check run
                // ahead at once, one reading tars gets it spooled.
                let below_checked = below
                    .as_ref()
                    .filter(|b| matches!(inner.states.get(*b), Some(State::Good | State::Bad(_))));
                if let Some(b) = below_checked {
                    if inner.tapped.contains(b) && self.spool_dir.is_some() {
                        break true;
                    }
                    if inner.blob_read.contains(b) {
                        break false;
                    }
                }
                inner = self.wait_change(inner);
            };
            drop(inner);
            below = Some(key);
            if spool_it && let Some(spool) = self.claim_spooled(layer) {
                let noted = spool.clone();
                let progress: ProgressFn = Arc::new(move |done| noted.blob_done(done));
                let outcome = layout.blob_path(&layer.desc.digest).and_then(|path| {
                    check_path(
                        &path,
                        layer,
                        Some(progress),
                        Some(&mut |chunk| {
                            spool.write(chunk);
                        }),
                    )
                });
                spool.finish(outcome.as_ref().map(|_| ()).map_err(|e| format!("{e:#}")));
                self.settle(layer, outcome);
            } else if self.claim(layer) {
                self.settle(layer, check(layout, layer));
            }
        }
    }

    /// Claims `layer` with a fresh spool for its tar; none when it is claimed already or no
    /// spool can be made (the check then runs when the conversion reads).
    fn claim_spooled(&self, layer: &SourceLayer) -> Option<Arc<Spool>> {
        let spool = Spool::create(self.spool_dir.as_ref()?).ok()?;
        let mut inner = self.lock();
        let key = key(layer);
        if !inner.claim(&key) {
            return None;
        }
        inner.spools.insert(key, spool.clone());
        drop(inner);
        self.changed.notify_all();
        Some(spool)
    }

    /// The engine reads the blob of `layer`: its check runs beside, and the next ones ahead.
    pub fn reading_blob(&self, layer: &SourceLayer) {
        let mut inner = self.lock();
        inner.released.insert(key(layer));
        inner.blob_read.insert(key(layer));
        drop(inner);
        self.changed.notify_all();
    }

    /// The conversion of `layer` is over: a spool nobody read stops being written.
    pub fn ended(&self, layer: &SourceLayer) {
        let mut inner = self.lock();
        let key = key(layer);
        if let Some(spool) = inner.spools.remove(&key) {
            spool.abandon_unread();
        }
        inner.released.insert(key);
        drop(inner);
        self.changed.notify_all();
    }

    /// Wakes `check_ahead` to see its stop flag; the spools of `layers` nobody reads stop
    /// being written.
    pub fn wake(&self, layers: &[SourceLayer]) {
        let inner = self.lock();
        for layer in layers {
            if let Some(spool) = inner.spools.get(&key(layer)) {
                spool.abandon_unread();
            }
        }
        drop(inner);
        self.changed.notify_all();
    }

    /// The uncompressed tar of `layer` for an engine's `read-tar`, decoded on a thread of its
    /// own. When nobody checks the layer yet, that thread is its check: the engine gets the
    /// bytes the diff_id is computed over, and the blob is read and inflated once. A decoding
    /// failure reaches the engine as an error; an engine that stops reading early does not
    /// stop the check.
    pub fn open_tar(
        self: &Arc<Self>,
        path: PathBuf,
        layer: SourceLayer,
        progress: Option<ProgressFn>,
    ) -> std::io::Result<Box<dyn Read + Send>> {
        let mut inner = self.lock();
        let key = key(&layer);
        inner.tapped.insert(key.clone());
        if let Some(reader) = inner
            .spools
            .get(&key)
            .and_then(|s| s.reader(progress.clone()))
        {
            return Ok(Box::new(reader));
        }
        let claimed = inner.claim(&key);
        drop(inner);
        self.changed.notify_all();
        let (mut tee, reader) = tar_channel();
        let me = self.clone();
        let unchecked = claimed.then(|| layer.clone());
        let spawned = std::thread::Builder::new()
            .name("source-tar".into())
            .spawn(move || {
                if claimed {
                    let outcome = check_path(
                        &path,
                        &layer,
                        progress,
                        Some(&mut |chunk| {
                            tee.send(chunk);
                        }),
                    );
                    if let Err(e) = &outcome {
                        tee.fail(format!("{e:#}"));
                    }
                    me.settle(&layer, outcome);
                } else if let Err(e) = decode_path(&path, &layer, progress, &mut tee) {
                    tee.fail(format!("{e:#}"));
                }
            });
        if let Err(e) = spawned {
            // The claim must not outlive the thread that would have settled it.
            if let Some(layer) = unchecked {
                self.settle(
                    &layer,
                    Err(anyhow::anyhow!("failed to start a decoding thread: {e}")),
                );
            }
            return Err(e);
        }
        Ok(Box::new(reader))
    }

    /// Waits for the check of `layer` (running it here when nobody has claimed it) and
    /// returns its outcome.
    pub fn wait(&self, layout: &Layout, layer: &SourceLayer) -> Result<()> {
        let key = key(layer);
        let mut inner = self.lock();
        loop {
            match inner.states.get(&key) {
                Some(State::Good) => return Ok(()),
                Some(State::Bad(why)) => bail!("{why}"),
                Some(State::Checking) => {
                    inner = self.wait_change(inner);
                }
                None => {
                    inner.states.insert(key.clone(), State::Checking);
                    drop(inner);
                    let outcome = check(layout, layer);
                    let failed = outcome.as_ref().err().map(|e| format!("{e:#}"));
                    self.settle(layer, outcome);
                    return match failed {
                        Some(why) => bail!("{why}"),
                        None => Ok(()),
                    };
                }
            }
        }
    }

    /// The path of the blob of `desc`; its content is checked separately.
    pub fn path(&self, layout: &Layout, desc: &Descriptor) -> Result<PathBuf> {
        let path = layout.blob_path(&desc.digest)?;
        if !path.is_file() {
            bail!("layer blob {} is missing from the layout", desc.digest);
        }
        Ok(path)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wait_change<'a>(&self, inner: MutexGuard<'a, Inner>) -> MutexGuard<'a, Inner> {
        self.changed.wait(inner).unwrap_or_else(|p| p.into_inner())
    }

    /// Marks `layer` as being checked by the caller; false when someone else has it.
    fn claim(&self, layer: &SourceLayer) -> bool {
        let claimed = self.lock().claim(&key(layer));
        self.changed.notify_all();
        claimed
    }

    fn settle(&self, layer: &SourceLayer, outcome: Result<()>) {
        let state = match outcome {
            Ok(()) => State::Good,
            Err(e) => State::Bad(format!("{e:#}")),
        };
        self.lock().states.insert(key(layer), state);
        self.changed.notify_all();
    }
}

fn key(layer: &SourceLayer) -> Key {
    (layer.desc.digest.clone(), layer.diff_id.clone())
}

/// Reads the blob once: its digest and size, and the digest of the tar inside it, handing
/// the tar to `tee` as it goes.
fn check(layout: &Layout, layer: &SourceLayer) -> Result<()> {
    check_path(&layout.blob_path(&layer.desc.digest)?, layer, None, None)
}

fn check_path(
    path: &Path,
    layer: &SourceLayer,
    progress: Option<ProgressFn>,
    tee: Option<&mut dyn FnMut(&Chunk)>,
) -> Result<()> {
    let desc = &layer.desc;
    // Feeding an engine, this thread's inflating is the long pole: digests go to threads of
    // their own. Checking beside an engine that is busy itself, fewer threads do better.
    let background = tee.is_some();
    let file = File::open(path)
        .with_context(|| format!("layer blob {} is missing from the layout", desc.digest))?;
    let digest = Digest::new(background).context("failed to start a digest thread")?;
    let mut blob =
        std::io::BufReader::with_capacity(tarfeed::CHUNK, Tap::new(file, Some(digest), progress));
    let tar_digest = match desc.media_type.as_str() {
        OCI_LAYER_GZIP | DOCKER_LAYER_GZIP => {
            digest_of(flate2::bufread::MultiGzDecoder::new(&mut blob), tee).map(Some)
        }
        OCI_LAYER_ZSTD => match ruzstd::decoding::StreamingDecoder::new(&mut blob) {
            Ok(d) => digest_of(d, tee).map(Some),
            Err(e) => Err(std::io::Error::other(e.to_string())),
        },
        OCI_LAYER | DOCKER_LAYER => digest_of(&mut blob, tee).map(Some),
        // Other media types an engine accepts: decoded as told by their magic bytes, without a
        // diff_id to compare (the blob's digest is still checked).
        _ => match tarstream::compression::decompress(&mut blob) {
            Ok(d) => digest_of(d, tee).map(|_| None),
            Err(e) => Err(e),
        },
    };
    // Trailing bytes after the compressed stream still belong to the blob's digest.
    let drained = std::io::copy(&mut blob, &mut std::io::sink());
    let (digest, size) = blob.into_inner().finish();
    if digest != desc.digest {
        bail!(
            "layer blob {} is corrupt: its content hashes to {digest}",
            desc.digest
        );
    }
    if i64::try_from(size).ok() != Some(desc.size) {
        bail!(
            "layer blob {} has {size} bytes but its descriptor says {}",
            desc.digest,
            desc.size
        );
    }
    drained.with_context(|| format!("failed to read layer blob {}", desc.digest))?;
    let tar_digest = tar_digest.with_context(|| {
        format!(
            "layer blob {} ({}) does not decompress",
            desc.digest, desc.media_type
        )
    })?;
    if let Some(tar_digest) = tar_digest
        && tar_digest != layer.diff_id
    {
        bail!(
            "layer {} unpacks to {tar_digest}, but the image config says its diff_id is {}",
            desc.digest,
            layer.diff_id
        );
    }
    Ok(())
}

/// The tar of a layer someone else checks, for an engine that reads it too.
fn decode_path(
    path: &Path,
    layer: &SourceLayer,
    progress: Option<ProgressFn>,
    tee: &mut tarfeed::Tee,
) -> Result<()> {
    let file = File::open(path).with_context(|| {
        format!(
            "layer blob {} is missing from the layout",
            layer.desc.digest
        )
    })?;
    let blob = Tap::new(file, None, progress);
    let tar = tarstream::compression::decompress(blob)?;
    tarfeed::chunks(tar, |chunk| tee.send(&chunk))
        .with_context(|| format!("layer blob {} does not decompress", layer.desc.digest))
}

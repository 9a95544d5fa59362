//! Source layers checked before their conversion is accepted: the blob's digest and size, and
//! the sha256 of its uncompressed tar against the config's diff_id (a wrong diff_id would give
//! wrong chain ids). An image's layers are checked in order on a thread of their own, so the
//! check of a layer (and of the ones after it) runs while an engine converts it.

use crate::gojson::Descriptor;
use crate::image::{
    DOCKER_LAYER, DOCKER_LAYER_GZIP, OCI_LAYER, OCI_LAYER_GZIP, OCI_LAYER_ZSTD, Sha256Digester,
};
use crate::layout::Layout;
use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

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

/// Outcomes of the checks of one run, keyed by (digest, diff_id): TurboOCI reads the blobs
/// native just read, and images of an index share layers.
#[derive(Default)]
pub struct VerifiedSources {
    states: Mutex<HashMap<(String, String), State>>,
    changed: Condvar,
}

impl VerifiedSources {
    /// Checks `layers` in order, skipping those already checked or being checked, until
    /// `stop` is set. Runs on a thread of its own while the image converts.
    pub fn check_ahead(&self, layout: &Layout, layers: &[SourceLayer], stop: &AtomicBool) {
        for layer in layers {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            if self.claim(layer) {
                self.settle(layer, check(layout, layer));
            }
        }
    }

    /// Waits for the check of `layer` (running it here when nobody has claimed it) and
    /// returns its outcome.
    pub fn wait(&self, layout: &Layout, layer: &SourceLayer) -> Result<()> {
        let key = key(layer);
        let mut states = self.lock();
        loop {
            match states.get(&key) {
                Some(State::Good) => return Ok(()),
                Some(State::Bad(why)) => bail!("{why}"),
                Some(State::Checking) => {
                    states = match self.changed.wait(states) {
                        Ok(s) => s,
                        Err(p) => p.into_inner(),
                    }
                }
                None => {
                    states.insert(key.clone(), State::Checking);
                    drop(states);
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

    fn lock(&self) -> MutexGuard<'_, HashMap<(String, String), State>> {
        self.states.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Marks `layer` as being checked by the caller; false when someone else has it.
    fn claim(&self, layer: &SourceLayer) -> bool {
        let mut states = self.lock();
        let key = key(layer);
        if states.contains_key(&key) {
            return false;
        }
        states.insert(key, State::Checking);
        true
    }

    fn settle(&self, layer: &SourceLayer, outcome: Result<()>) {
        let state = match outcome {
            Ok(()) => State::Good,
            Err(e) => State::Bad(format!("{e:#}")),
        };
        self.lock().insert(key(layer), state);
        self.changed.notify_all();
    }
}

fn key(layer: &SourceLayer) -> (String, String) {
    (layer.desc.digest.clone(), layer.diff_id.clone())
}

/// Reads the blob once: its digest and size, and the digest of the tar inside it.
fn check(layout: &Layout, layer: &SourceLayer) -> Result<()> {
    let desc = &layer.desc;
    let path = layout.blob_path(&desc.digest)?;
    let file = File::open(&path)
        .with_context(|| format!("layer blob {} is missing from the layout", desc.digest))?;
    let mut blob = Hashing {
        inner: file,
        digest: Sha256Digester::new(),
    };
    let tar_digest = match desc.media_type.as_str() {
        OCI_LAYER_GZIP | DOCKER_LAYER_GZIP => {
            digest_of(flate2::read::MultiGzDecoder::new(&mut blob)).map(Some)
        }
        OCI_LAYER_ZSTD => match ruzstd::decoding::StreamingDecoder::new(&mut blob) {
            Ok(d) => digest_of(d).map(Some),
            Err(e) => Err(std::io::Error::other(e.to_string())),
        },
        OCI_LAYER | DOCKER_LAYER => digest_of(&mut blob).map(Some),
        // Media types no engine unpacks here (the engine refuses them): bytes only.
        _ => digest_of(&mut blob).map(|_| None),
    };
    // Trailing bytes after the compressed stream still belong to the blob's digest.
    let drained = std::io::copy(&mut blob, &mut std::io::sink());
    let (digest, size) = (blob.digest.clone().finish(), blob.digest.len());
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

fn digest_of(r: impl Read) -> std::io::Result<String> {
    super::store::digest_reader(r).map(|(digest, _)| digest)
}

/// Hashes what passes through.
struct Hashing<R> {
    inner: R,
    digest: Sha256Digester,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.digest.update(buf.get(..n).unwrap_or_default());
        Ok(n)
    }
}

//! Compiled-code cache: `<component sha256>-<engine config hash>.cwasm` files in `cache_dir`.
//!
//! The config hash covers wasmtime's own compatibility hash (target, compiler flags, tunables,
//! features and the wasmtime version), so a file is only reused by an identical engine.

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Whether a load compiled the component or found it compiled on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Deserialized from `cache_dir`; nothing was compiled.
    Hit,
    /// Compiled, then written to `cache_dir`.
    Miss,
    /// Compiled; there is no `cache_dir`.
    Disabled,
}

/// Feeds `Hash` output into SHA-256, which unlike `DefaultHasher` is stable across processes and
/// Rust releases.
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        0
    }
}

/// Short hex digest of everything that makes compiled code valid for `engine`.
pub(crate) fn config_hash(engine: &Engine) -> String {
    let mut hasher = Sha256Hasher(Sha256::new());
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hex::encode(&hasher.0.finalize()[..8])
}

pub(crate) fn cache_path(dir: &Path, component_sha256: &str, config_hash: &str) -> PathBuf {
    dir.join(format!("{component_sha256}-{config_hash}.cwasm"))
}

/// Compiles `wasm`, or deserializes it from the cache when an entry exists and loads.
pub(crate) fn load_component(
    engine: &Engine,
    wasm: &[u8],
    cached: Option<&Path>,
) -> anyhow::Result<(Component, CacheOutcome)> {
    let Some(path) = cached else {
        return Ok((compile(engine, wasm)?, CacheOutcome::Disabled));
    };
    if path.exists() {
        // SAFETY: the file was written by `store` for this exact engine configuration, and the
        // cache directory is trusted (see `RuntimeConfig::cache_dir`). wasmtime still checks the
        // header and version and fails on a mismatch, which falls back to compiling.
        if let Ok(component) = unsafe { Component::deserialize_file(engine, path) } {
            return Ok((component, CacheOutcome::Hit));
        }
    }
    let component = compile(engine, wasm)?;
    store(&component, path)
        .with_context(|| format!("writing compiled code to {}", path.display()))?;
    Ok((component, CacheOutcome::Miss))
}

fn compile(engine: &Engine, wasm: &[u8]) -> anyhow::Result<Component> {
    Component::new(engine, wasm)
        .map_err(anyhow::Error::from)
        .context("compiling the engine component")
}

/// Writes atomically so a concurrent loader never sees half a file.
fn store(component: &Component, path: &Path) -> anyhow::Result<()> {
    let dir = path.parent().context("cache path has no directory")?;
    std::fs::create_dir_all(dir)?;
    let bytes = component.serialize().map_err(anyhow::Error::from)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".cwasm-")
        .tempfile_in(dir)?;
    tmp.write_all(&bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)?;
    Ok(())
}

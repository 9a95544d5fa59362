//! The wasmtime engine shared by all loaded engines, its epoch ticker, and loading.

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;
use sha2::{Digest, Sha256};
use wasmtime::component::{HasSelf, Linker, ResourceType};
use wasmtime::{Config, Engine, OptLevel};

use crate::abi;
use crate::bindings;
use crate::cache::{self, CacheOutcome};
use crate::config::RuntimeConfig;
use crate::handle::{EngineHandle, EngineIdentity};
use crate::resources::lowers::LowerLayersRes;
use crate::resources::source::SourceLayer;
use crate::slots::Slots;
use crate::state::HostState;
use crate::wasi;

/// How often the epoch advances; deadlines are rounded up to it.
pub(crate) const TICK: Duration = Duration::from_millis(10);

/// Runs engines: one wasmtime `Engine` and the settings every call obeys.
#[derive(Clone)]
pub struct Runtime {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    pub engine: Engine,
    pub config: Arc<RuntimeConfig>,
    /// Bounds the `convert_layer` calls running at once (`max_instances`).
    pub slots: Slots,
    config_hash: String,
    _ticker: Ticker,
}

impl Shared {
    /// Epoch ticks in `layer_deadline`, rounded up.
    pub fn deadline_ticks(&self) -> u64 {
        let ticks = self
            .config
            .layer_deadline
            .as_nanos()
            .div_ceil(TICK.as_nanos());
        u64::try_from(ticks).unwrap_or(u64::MAX).max(1)
    }
}

/// Advances the engine's epoch until dropped.
struct Ticker {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    fn start(engine: Engine) -> anyhow::Result<Self> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("engine-epoch".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
                    engine.increment_epoch();
                }
            })
            .context("starting the epoch thread")?;
        Ok(Self {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Runtime {
    pub fn new(config: RuntimeConfig) -> anyhow::Result<Runtime> {
        let mut wasm = Config::new();
        wasm.wasm_component_model(true)
            .epoch_interruption(true)
            .cranelift_opt_level(OptLevel::Speed)
            // Same bits on every machine: output must not depend on where the engine ran.
            .cranelift_nan_canonicalization(true)
            .relaxed_simd_deterministic(true)
            .parallel_compilation(true);
        let engine = Engine::new(&wasm)
            .map_err(anyhow::Error::from)
            .context("creating the wasm engine")?;
        let config_hash = cache::config_hash(&engine);
        let ticker = Ticker::start(engine.clone())?;
        Ok(Runtime {
            shared: Arc::new(Shared {
                engine,
                slots: Slots::new(config.max_instances),
                config: Arc::new(config),
                config_hash,
                _ticker: ticker,
            }),
        })
    }

    pub fn config(&self) -> &RuntimeConfig {
        &self.shared.config
    }

    /// Engine calls running right now (bounded by `max_instances`).
    pub fn running_instances(&self) -> usize {
        self.shared.slots.busy()
    }

    /// Loads the engine component at `path`, compiling it or taking it from the cache.
    pub fn load(&self, path: impl AsRef<Path>) -> anyhow::Result<EngineHandle> {
        let path = path.as_ref();
        let wasm = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        self.load_bytes(&wasm)
            .with_context(|| format!("loading engine {}", path.display()))
    }

    /// Loads an engine component from memory.
    pub fn load_bytes(&self, wasm: &[u8]) -> anyhow::Result<EngineHandle> {
        let sha256 = hex::encode(Sha256::digest(wasm));
        let shared = &self.shared;
        let cached = shared
            .config
            .cache_dir
            .as_deref()
            .map(|dir| cache::cache_path(dir, &sha256, &shared.config_hash));
        let (component, cache) = cache::load_component(&shared.engine, wasm, cached.as_deref())?;
        // Refused before linking: a wrong version or a forbidden import never gets to run.
        let abi = abi::check(&shared.engine, &component)?;

        let mut linker = Linker::<HostState>::new(&shared.engine);
        bindings::Engine::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)
            .map_err(anyhow::Error::from)?;
        // The world's `use host.{source-layer, lower-layers}` also imports both types at the
        // root, which the generated `add_to_linker` leaves undefined.
        let mut root = linker.root();
        root.resource(
            "source-layer",
            ResourceType::host::<SourceLayer>(),
            |_, _| Ok(()),
        )
        .map_err(anyhow::Error::from)?;
        root.resource(
            "lower-layers",
            ResourceType::host::<LowerLayersRes>(),
            |_, _| Ok(()),
        )
        .map_err(anyhow::Error::from)?;
        // No `define_unknown_imports_as_traps`: `abi::check` allowed only what is linked here,
        // and its stubs would take the exact name of an older minor version's interfaces,
        // shadowing the semver-compatible definitions of the bindings.
        wasi::add_to_linker(&mut linker, &shared.engine, &component)
            .map_err(anyhow::Error::from)?;
        let pre = linker
            .instantiate_pre(&component)
            .map_err(anyhow::Error::from)
            .context("the component does not match the convertor:engine world")?;
        let pre = bindings::EnginePre::new(pre).map_err(anyhow::Error::from)?;

        let mut handle = EngineHandle {
            shared: shared.clone(),
            pre,
            identity: EngineIdentity {
                name: String::new(),
                version: String::new(),
                sha256,
                abi,
            },
            cache,
        };
        let info = handle.describe().context("calling describe")?;
        handle.identity.name = info.name;
        handle.identity.version = info.version;
        Ok(handle)
    }
}

impl CacheOutcome {
    /// Whether the load found compiled code on disk.
    pub fn is_hit(self) -> bool {
        self == CacheOutcome::Hit
    }
}

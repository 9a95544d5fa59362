//! A loaded engine and its two calls, `describe` and `convert_layer`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use wasmtime::component::Resource;
use wasmtime::{Store, Trap};

use crate::abi::AbiVersion;
use crate::bindings::convertor::engine::types::{EngineInfo, LayerInfo, LayerParams};
use crate::bindings::{Engine as Bindings, EnginePre};
use crate::cache::CacheOutcome;
use crate::error::ConvertError;
use crate::publish::{self, LayerResult};
use crate::resources::lowers::{LowerLayers, LowerLayersRes};
use crate::resources::source::{SourceLayer, SourceStreams};
use crate::runtime::Shared;
use crate::state::{HostState, LogFn, ProgressFn};

/// A compiled engine, ready to run any number of calls (each in a fresh store).
pub struct EngineHandle {
    pub(crate) shared: Arc<Shared>,
    pub(crate) pre: EnginePre<HostState>,
    pub(crate) identity: EngineIdentity,
    pub(crate) cache: CacheOutcome,
}

/// Which engine this is: what it says about itself and the hash of its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineIdentity {
    pub name: String,
    pub version: String,
    /// Hex SHA-256 of the component file.
    pub sha256: String,
    /// The `convertor:engine` version the component was built against.
    pub abi: AbiVersion,
}

/// Files and callbacks of one `convert_layer` call.
#[derive(Clone, Default)]
pub struct LayerIo {
    /// Where scratch files and sinks are created; published sinks stay here.
    pub work_dir: PathBuf,
    /// Files the engine may open with `open-asset`, by name.
    pub assets: BTreeMap<String, PathBuf>,
    pub log: Option<LogFn>,
    pub progress: Option<ProgressFn>,
}

impl EngineHandle {
    pub fn identity(&self) -> &EngineIdentity {
        &self.identity
    }

    /// Whether loading found the compiled code in the cache.
    pub fn cache_outcome(&self) -> CacheOutcome {
        self.cache
    }

    /// Calls the engine's `describe` export in a fresh store.
    pub fn describe(&self) -> Result<EngineInfo, ConvertError> {
        let (mut store, engine) = self.instantiate(HostState::new(self.shared.config.clone()))?;
        engine
            .call_describe(&mut store)
            .map_err(|err| self.classify(&mut store, err))
    }

    /// Converts one layer. The engine reads `source` (published as `source_info`; a plain
    /// reader of the blob, or [`SourceStreams`] with a tar stream of the caller's), sees `lowers`
    /// and the assets in `io`, and writes sinks in `io.work_dir`; the published blobs are left
    /// there for the caller.
    pub fn convert_layer(
        &self,
        params: &LayerParams,
        source: impl Into<SourceStreams>,
        source_info: LayerInfo,
        lowers: impl LowerLayers + 'static,
        io: &LayerIo,
    ) -> Result<LayerResult, ConvertError> {
        let _slot = self.shared.slots.take();
        let mut state = HostState::new(self.shared.config.clone());
        state.output_cap = self.shared.config.output_cap(source_info.size);
        state.work_dir = Some(io.work_dir.clone());
        state.assets = io.assets.clone();
        state.log = io.log.clone();
        state.progress = io.progress.clone();
        let (mut store, engine) = self.instantiate(state)?;

        let table = &mut store.data_mut().table;
        let source = table
            .push(SourceLayer::new(source.into(), source_info))
            .map_err(host_err)?;
        let lowers = table
            .push(LowerLayersRes::new(Box::new(lowers)))
            .map_err(host_err)?;
        let outcome = engine.call_convert_layer(
            &mut store,
            params,
            Resource::new_borrow(source.rep()),
            Resource::new_borrow(lowers.rep()),
        );
        let layers = match outcome {
            Err(err) => return Err(self.classify(&mut store, err)),
            Ok(Err(engine_err)) => {
                return Err(self
                    .limit_hit(&mut store)
                    .unwrap_or(ConvertError::Engine(engine_err)));
            }
            Ok(Ok(layers)) => layers,
        };
        if let Some(err) = self.limit_hit(&mut store) {
            return Err(err);
        }
        let state = store.into_data();
        publish::publish(layers, state.sinks, &state.assets)
    }

    fn instantiate(&self, state: HostState) -> Result<(Store<HostState>, Bindings), ConvertError> {
        let mut store = Store::new(&self.shared.engine, state);
        store.limiter(|state| &mut state.limiter);
        store.set_epoch_deadline(self.shared.deadline_ticks());
        store.epoch_deadline_trap();
        match self.pre.instantiate(&mut store) {
            Ok(engine) => Ok((store, engine)),
            Err(err) => Err(self.classify(&mut store, err)),
        }
    }

    /// The limit the host enforced during the call, if any.
    fn limit_hit(&self, store: &mut Store<HostState>) -> Option<ConvertError> {
        let state = store.data_mut();
        if let Some(requested) = state.limiter.hit {
            return Some(ConvertError::MemoryLimit {
                limit: state.limiter.limit(),
                requested,
            });
        }
        state.limit_hit.take().map(ConvertError::from)
    }

    /// Names the limit behind a failed call, or passes the trap on with the engine's output.
    fn classify(&self, store: &mut Store<HostState>, err: wasmtime::Error) -> ConvertError {
        if let Some(hit) = self.limit_hit(store) {
            return hit;
        }
        let trap = err.downcast_ref::<Trap>().copied();
        if trap == Some(Trap::Interrupt) {
            return ConvertError::Deadline(self.shared.config.layer_deadline);
        }
        let mut message = match trap {
            Some(trap) => trap.to_string(),
            None => format!("{err:#}"),
        };
        let console = store.data().wasi.console_text();
        if !console.is_empty() {
            message.push_str("; engine output: ");
            message.push_str(&console);
        }
        ConvertError::Trap { message }
    }
}

fn host_err(err: impl std::error::Error + Send + Sync + 'static) -> ConvertError {
    ConvertError::Host(anyhow::Error::new(err))
}

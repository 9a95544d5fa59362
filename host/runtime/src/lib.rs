//! Runs conversion engines: WebAssembly components of the `convertor:engine` world.
//!
//! A [`Runtime`] owns one wasmtime engine with epoch interruption and a compiled-code cache.
//! [`Runtime::load`] gives an [`EngineHandle`]; every call on it gets a fresh store with a memory
//! limit, a deadline, a cap on output bytes and no capabilities beyond the handles the host
//! passes (see `wasi` for the deterministic WASI subset std needs). Components built for another
//! ABI version, or importing capabilities the host does not grant, are refused before they run
//! (see `abi`).

mod abi;
mod bindings;
mod cache;
mod config;
mod error;
mod handle;
mod publish;
mod resources;
mod runtime;
mod slots;
mod state;
mod wasi;

pub use abi::{ABI_PACKAGE, ABI_VERSION, AbiError, AbiVersion, OLDEST_MINOR, supported_versions};
pub use cache::CacheOutcome;
pub use config::RuntimeConfig;
pub use error::ConvertError;
pub use handle::{EngineHandle, EngineIdentity, LayerIo};
pub use publish::{LayerResult, PublishedLayer};
pub use resources::lowers::{LowerLayers, NoLowers};
pub use resources::source::{SourceStreams, TarOpener};
pub use runtime::Runtime;
pub use state::{LogFn, ProgressFn};

/// The WIT types engines and the host exchange.
pub mod wit {
    pub use crate::bindings::convertor::engine::host::LogLevel;
    pub use crate::bindings::convertor::engine::types::{
        EngineError, EngineInfo, LayerInfo, LayerParams, MediaFamily, OptionSpec,
    };
}

//! Why a conversion failed, with the limit named when one was hit.

use std::time::Duration;

use crate::bindings::convertor::engine::types::EngineError;

/// A failed `convert_layer` (or `describe`) call.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// The engine ran longer than `layer_deadline`.
    #[error("the engine exceeded its deadline of {0:?} and was interrupted")]
    Deadline(Duration),
    /// The engine tried to grow its memory beyond `memory_limit_bytes`.
    #[error("the engine hit the memory limit of {limit} bytes (it asked for {requested} bytes)")]
    MemoryLimit { limit: usize, requested: usize },
    /// The sinks would have held more than the output cap.
    #[error("the engine exceeded the output cap of {cap} bytes for this layer")]
    OutputCap { cap: u64 },
    /// The engine created more scratch files, sinks or handles than allowed.
    #[error("the engine hit a resource limit: {0}")]
    ResourceLimit(String),
    /// The engine trapped (a panic, an abort, an invalid access...).
    #[error("the engine trapped: {message}")]
    Trap { message: String },
    /// The engine returned a layer list the host cannot publish.
    #[error("the engine returned a malformed descriptor: {0}")]
    MalformedDescriptor(String),
    /// The engine declined the layer with one of its own errors.
    #[error("the engine failed: {}", describe_engine_error(.0))]
    Engine(EngineError),
    /// The host failed around the call (instantiation, temp files, hashing the output).
    #[error("the host failed to run the engine: {0:#}")]
    Host(anyhow::Error),
}

impl ConvertError {
    /// The engine's own error, when the engine returned one.
    pub fn engine_error(&self) -> Option<&EngineError> {
        match self {
            ConvertError::Engine(err) => Some(err),
            _ => None,
        }
    }
}

fn describe_engine_error(err: &EngineError) -> String {
    match err {
        EngineError::InvalidInput(msg) => format!("invalid input: {msg}"),
        EngineError::Unsupported(msg) => format!("unsupported: {msg}"),
        EngineError::InvalidOption(msg) => format!("invalid option: {msg}"),
        EngineError::Io(msg) => format!("I/O: {msg}"),
        EngineError::Internal(msg) => format!("internal error: {msg}"),
    }
}

/// A limit the host enforced during a call; it wins over whatever the engine did next.
#[derive(Debug, Clone)]
pub(crate) enum LimitHit {
    Output { cap: u64 },
    Resource(String),
}

impl From<LimitHit> for ConvertError {
    fn from(hit: LimitHit) -> Self {
        match hit {
            LimitHit::Output { cap } => ConvertError::OutputCap { cap },
            LimitHit::Resource(what) => ConvertError::ResourceLimit(what),
        }
    }
}

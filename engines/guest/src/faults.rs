//! The first failed host call of a conversion.

use std::io;
use std::sync::{Arc, Mutex};

use crate::EngineError;

/// Shared by the adapters of one call. Libraries often report a failed read as corrupt data
/// (a short ZFile block, a truncated tar), so the engine asks here first: if a host call
/// failed, that failure is the real cause and becomes `engine-error::io`.
#[derive(Debug, Clone, Default)]
pub struct HostFaults(Arc<Mutex<Option<String>>>);

impl HostFaults {
    pub fn new() -> Self {
        Self::default()
    }

    /// Remembers `message` (if it is the first) and returns it as an `io::Error`.
    pub fn record(&self, what: &str, message: String) -> io::Error {
        let message = format!("{what}: {message}");
        if let Ok(mut first) = self.0.lock() {
            first.get_or_insert_with(|| message.clone());
        }
        io::Error::other(message)
    }

    /// The first host failure, if any.
    pub fn first(&self) -> Option<String> {
        self.0.lock().ok().and_then(|first| first.clone())
    }

    /// `engine-error::io` for the first host failure, or `otherwise` when every host call
    /// succeeded.
    pub fn or(&self, otherwise: EngineError) -> EngineError {
        match self.first() {
            Some(message) => EngineError::Io(message),
            None => otherwise,
        }
    }
}

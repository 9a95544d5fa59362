//! Library errors as `engine-error`s.

use std::io;

use overlaybd::ConvertError;

use crate::{EngineError, HostFaults};

/// A failed conversion. A failed host call is the cause of whatever the library reported
/// after it, so it wins; otherwise the library's message goes out under the variant its kind
/// calls for (malformed data is `invalid-input`).
pub fn convert_error(err: ConvertError, faults: &HostFaults) -> EngineError {
    let message = err.to_string();
    faults.or(match err {
        ConvertError::UnsupportedCompression(_) => EngineError::Unsupported(message),
        ConvertError::BadVirtualSize(_) => EngineError::InvalidOption(message),
        ConvertError::Io(e) if !is_data_error(&e) => EngineError::Io(message),
        _ => EngineError::InvalidInput(message),
    })
}

/// A lower layer that could not be opened.
pub fn layer_error(err: layer::LayerError, faults: &HostFaults) -> EngineError {
    faults.or(EngineError::InvalidInput(format!(
        "a lower layer is malformed: {err}"
    )))
}

fn is_data_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidInput
    )
}

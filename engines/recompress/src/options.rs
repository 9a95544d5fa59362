//! The engine's one option, `level`.

use crate::bindings::EngineError;
use crate::bindings::convertor::engine::types::OptionSpec;
use ruzstd::encoding::CompressionLevel;

/// zstd levels the pure-Rust encoder implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Stored blocks inside a zstd frame.
    None,
    /// Roughly zstd level 1.
    Fastest,
}

pub fn level_spec() -> OptionSpec {
    OptionSpec {
        name: "level".into(),
        description: "zstd compression: `fastest` (about zstd level 1) or `none` (stored blocks)"
            .into(),
        default_value: "fastest".into(),
        affects_output: true,
    }
}

impl Level {
    pub fn from_options(options: &[(String, String)]) -> Result<Self, EngineError> {
        match options.iter().rev().find(|(name, _)| name == "level") {
            None => Ok(Level::Fastest),
            Some((_, value)) => match value.as_str() {
                "fastest" => Ok(Level::Fastest),
                "none" => Ok(Level::None),
                other => Err(EngineError::InvalidOption(format!(
                    "level must be `fastest` or `none`, not `{other}`"
                ))),
            },
        }
    }

    pub fn zstd(self) -> CompressionLevel {
        match self {
            Level::None => CompressionLevel::Uncompressed,
            Level::Fastest => CompressionLevel::Fastest,
        }
    }
}

//! The one error type of the crate.

/// Everything that can go wrong while reading a tar stream. Offsets are positions in the
/// uncompressed stream; header errors name the member's header block.
#[derive(Debug, thiserror::Error)]
pub enum TarError {
    #[error("reading the tar stream failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the tar stream ends inside a header or member data (at byte {offset})")]
    Truncated { offset: u64 },
    #[error("the header block at byte {offset} has a wrong checksum")]
    BadChecksum { offset: u64 },
    #[error("header field `{field}` of the block at byte {offset} is not a valid number")]
    BadNumber { field: &'static str, offset: u64 },
    #[error("header field `{field}` of the block at byte {offset} does not fit its type")]
    NumberOverflow { field: &'static str, offset: u64 },
    #[error("the PAX extended header at byte {offset} holds a malformed record")]
    BadPaxRecord { offset: u64 },
    #[error("PAX record `{key}` of the header at byte {offset} has an invalid value")]
    BadPaxValue { key: String, offset: u64 },
    #[error(
        "the extension header at byte {offset} declares {size} bytes, more than the {limit} accepted"
    )]
    ExtensionTooLarge { offset: u64, size: u64, limit: u64 },
    #[error(
        "the sparse map of the member at byte {offset} is malformed or disagrees with its data"
    )]
    BadSparseMap { offset: u64 },
    #[error("the member at byte {offset} uses the unsupported GNU sparse format {major}.{minor}")]
    UnsupportedSparse {
        offset: u64,
        major: String,
        minor: String,
    },
    #[error("extension headers starting at byte {offset} are not followed by a member")]
    DanglingExtension { offset: u64 },
    #[error("the reader stopped at an earlier error and cannot continue")]
    Poisoned,
}

//! Everything that can go wrong wrapping or locating a tar payload.

#[derive(Debug, thiserror::Error)]
pub enum TarWrapError {
    #[error("I/O error on the tar stream: {0}")]
    Io(#[from] std::io::Error),
    #[error("the tar stream ends inside the header or data that starts at offset {offset}")]
    Truncated { offset: u64 },
    #[error("the tar header at offset {offset} has an invalid checksum")]
    BadChecksum { offset: u64 },
    #[error("the {field} field of the tar header at offset {offset} is not a valid number")]
    BadNumber { offset: u64, field: &'static str },
    #[error("the PAX extended header at offset {offset} holds a malformed record")]
    BadPaxRecord { offset: u64 },
    #[error("the extended header at offset {offset} claims an implausible {size} bytes")]
    ExtendedHeaderTooLarge { offset: u64, size: u64 },
    #[error("the tar stream has no regular file member")]
    NoRegularMember,
    #[error(
        "the payload of {len} bytes at offset {offset} runs past the end of the {size}-byte source"
    )]
    PayloadOutOfRange { offset: u64, len: u64, size: u64 },
    #[error("the member name of {len} bytes does not fit the 100-byte ustar name field")]
    NameTooLong { len: usize },
    #[error("the payload of {size} bytes does not fit an 11-digit octal size field")]
    SizeTooLarge { size: u64 },
    #[error("the wrapper writer's position {position} lies before the end of its 1536-byte prefix")]
    WriterRewound { position: u64 },
}

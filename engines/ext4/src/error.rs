//! Typed errors of the ext4 engine and their mapping onto the apply rules' error kinds.

use ociapply::FsError;

#[derive(Debug, thiserror::Error)]
pub enum Ext4Error {
    #[error("device I/O failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the superblock magic is not 0xEF53")]
    BadMagic,
    #[error("the filesystem uses features this writer does not support: {0}")]
    UnsupportedFeature(String),
    #[error("block size {0} is not supported (only 4096)")]
    UnsupportedBlockSize(u64),
    #[error("the device size {0} is not usable for a filesystem")]
    BadDeviceSize(u64),
    #[error("the filesystem is corrupt: {0}")]
    Corrupt(String),
    #[error("the filesystem has no free {0} left")]
    NoSpace(&'static str),
    #[error("a name is longer than 255 bytes")]
    NameTooLong,
    #[error("no such entry")]
    NotFound,
    #[error("the inode is not a directory")]
    NotADirectory,
    #[error("the operation is not valid on a directory")]
    IsADirectory,
    #[error("the directory is not empty")]
    NotEmpty,
    #[error("the entry already exists")]
    Exists,
    #[error("too many links to one inode")]
    TooManyLinks,
    #[error("the file is larger than the filesystem supports")]
    FileTooLarge,
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
    #[error("directory encoding failed: {0}")]
    Dir(String),
    #[error("extended attribute encoding failed: {0}")]
    Xattr(String),
}

pub type Result<T> = std::result::Result<T, Ext4Error>;

/// Shorthand for a corruption error built from a description.
pub(crate) fn corrupt(msg: impl Into<String>) -> Ext4Error {
    Ext4Error::Corrupt(msg.into())
}

impl From<Ext4Error> for FsError {
    fn from(e: Ext4Error) -> Self {
        match e {
            Ext4Error::Io(e) => FsError::Io(e),
            Ext4Error::NoSpace(what) => FsError::NoSpace(what),
            Ext4Error::NameTooLong => FsError::NameTooLong,
            Ext4Error::NotFound => FsError::NotFound,
            Ext4Error::NotADirectory => FsError::NotADirectory,
            Ext4Error::NotEmpty => FsError::NotEmpty,
            Ext4Error::Exists => FsError::Exists,
            Ext4Error::TooManyLinks => FsError::TooManyLinks,
            Ext4Error::FileTooLarge => FsError::FileTooLarge,
            other => FsError::Corrupt(other.to_string()),
        }
    }
}

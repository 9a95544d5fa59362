//! What applying a layer can fail with; every variant names the tar path it concerns.

use crate::fs::FsError;

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("reading the layer tar failed: {0}")]
    Tar(#[from] tarstream::TarError),
    #[error("filesystem operation for {path:?} failed: {source}")]
    Fs { path: String, source: FsError },
    #[error("hard link {path:?} points to {target:?}, which is missing or a directory")]
    HardLinkTargetMissing { path: String, target: String },
    #[error("a parent of {path:?} exists but is not a directory")]
    ParentNotDirectory { path: String },
    #[error("{path:?} has a name component longer than 255 bytes")]
    NameTooLong { path: String },
    #[error("{path:?} has the unsupported tar type {typeflag:#04x}")]
    UnsupportedType { path: String, typeflag: u8 },
    #[error("resolving {path:?} followed more than 40 symbolic links")]
    SymlinkLoop { path: String },
    #[error("directory {path:?} cannot be replaced: it holds entries extracted from this layer")]
    ReplacedDirectoryNotEmpty { path: String },
    #[error("the data of {path:?} ends before its segments are complete")]
    TruncatedData { path: String },
    #[error("a data segment of {path:?} ends beyond the largest representable offset")]
    SegmentOutOfRange { path: String },
    #[error("allocating the data of {path:?} returned fewer bytes than requested")]
    AllocationShort { path: String },
}

pub(crate) fn show(path: &[u8]) -> String {
    String::from_utf8_lossy(path).into_owned()
}

/// Attaches the tar path to filesystem errors.
pub(crate) trait AtPath<T> {
    fn at(self, path: &[u8]) -> Result<T, ApplyError>;
}

impl<T> AtPath<T> for Result<T, FsError> {
    fn at(self, path: &[u8]) -> Result<T, ApplyError> {
        self.map_err(|source| ApplyError::Fs {
            path: show(path),
            source,
        })
    }
}

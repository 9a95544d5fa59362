//! Options and results of one layer apply.

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplyOptions {
    /// TurboOCI: back regular file data with allocated blocks mapped to the tar instead of
    /// writing it (segments that cannot be mapped are still written).
    pub meta_only: bool,
}

/// Device bytes `[device_offset, device_offset + len)` hold the uncompressed tar bytes at
/// `tar_offset` (meta-only mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteMapping {
    pub device_offset: u64,
    pub len: u64,
    pub tar_offset: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    /// Tar members read, whiteouts and skipped entries included.
    pub entries: u64,
    /// Meta-only mappings in the order they were allocated.
    pub remote: Vec<RemoteMapping>,
    pub warnings: Vec<String>,
    /// File data bytes handed to `Filesystem::write`.
    pub bytes_written: u64,
}

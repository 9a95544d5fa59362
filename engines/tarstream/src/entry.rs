//! The entry model handed to appliers. Fixed early: `ociapply` and `ext4` code against it.

/// What a tar member is, after PAX/GNU extension headers have been folded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Regular,
    Directory,
    Symlink,
    HardLink,
    CharDevice,
    BlockDevice,
    Fifo,
    /// A typeflag this reader does not model (e.g. `V`, `M`); the applier decides what to do.
    Unsupported(u8),
}

/// A run of file data: `len` bytes of the file at `file_offset` are stored at `tar_offset`
/// of the uncompressed tar stream. A plain file has one segment (none when empty); a sparse
/// member has one per data run, holes in between read as zeros.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub file_offset: u64,
    pub len: u64,
    pub tar_offset: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// PAX `path`, else GNU long name, else ustar `prefix/name`, else `name`; not cleaned.
    pub path: Vec<u8>,
    /// PAX `linkpath`, else GNU long link, else `linkname`; empty when the member has none.
    pub link_target: Vec<u8>,
    pub kind: EntryKind,
    /// Permission bits including setuid/setgid/sticky (`mode & 0o7777`).
    pub mode: u32,
    /// PAX `uid`/`gid`, else base-256 or octal header fields.
    pub uid: u32,
    pub gid: u32,
    /// PAX `mtime` (with its fraction), else the header field.
    pub mtime: i64,
    pub mtime_nsec: u32,
    /// Logical size of a regular file (the real size for sparse members).
    pub size: u64,
    pub dev_major: u32,
    pub dev_minor: u32,
    /// `SCHILY.xattr.NAME` records: (NAME, value), sorted by NAME, values binary-safe.
    pub xattrs: Vec<(Vec<u8>, Vec<u8>)>,
    /// Data runs of a regular file in file order; empty for other kinds.
    pub segments: Vec<Segment>,
    /// Offset of this member's first header block (extension headers included).
    pub header_offset: u64,
}

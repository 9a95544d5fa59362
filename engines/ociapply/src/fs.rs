//! The filesystem operations the apply rules need. `ext4` implements this trait; the tests use
//! an in-memory tree implementing it as the reference model.

pub type Ino = u64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileType {
    Regular,
    Directory,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
}

/// Seconds since the epoch plus nanoseconds; applied as atime, mtime and ctime alike.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timestamp {
    pub sec: i64,
    pub nsec: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attrs {
    /// Permission bits including setuid/setgid/sticky (`& 0o7777`); the type comes from the call.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: Timestamp,
}

/// What a filesystem can fail with, as the apply rules need to tell the cases apart.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    #[error("no such entry")]
    NotFound,
    #[error("a path component is not a directory")]
    NotADirectory,
    #[error("the directory is not empty")]
    NotEmpty,
    #[error("the entry already exists")]
    Exists,
    #[error("a name component is longer than 255 bytes")]
    NameTooLong,
    #[error("the filesystem has no free {0} left")]
    NoSpace(&'static str),
    #[error("too many links to one inode")]
    TooManyLinks,
    #[error("the file is larger than the filesystem supports")]
    FileTooLarge,
    #[error("the filesystem is corrupt: {0}")]
    Corrupt(String),
    #[error("device I/O failed: {0}")]
    Io(#[from] std::io::Error),
}

pub type FsResult<T> = Result<T, FsError>;

/// Operations on one mutable filesystem. Names are single path components (no `/`, never
/// `.` or `..`); callers resolve paths themselves.
pub trait Filesystem {
    fn root(&self) -> Ino;
    fn lookup(&mut self, dir: Ino, name: &[u8]) -> FsResult<Option<(Ino, FileType)>>;
    fn file_type(&mut self, ino: Ino) -> FsResult<FileType>;
    fn read_link(&mut self, ino: Ino) -> FsResult<Vec<u8>>;
    /// Entries of a directory without `.` and `..`, in a deterministic order.
    fn list_dir(&mut self, dir: Ino) -> FsResult<Vec<(Vec<u8>, Ino, FileType)>>;

    fn mkdir(&mut self, parent: Ino, name: &[u8], attrs: &Attrs) -> FsResult<Ino>;
    /// Creates an empty regular file.
    fn create(&mut self, parent: Ino, name: &[u8], attrs: &Attrs) -> FsResult<Ino>;
    fn symlink(&mut self, parent: Ino, name: &[u8], target: &[u8], attrs: &Attrs) -> FsResult<Ino>;
    /// Character/block devices (with their numbers), FIFOs and sockets (numbers ignored).
    fn mknod(
        &mut self,
        parent: Ino,
        name: &[u8],
        kind: FileType,
        major: u32,
        minor: u32,
        attrs: &Attrs,
    ) -> FsResult<Ino>;
    /// Adds a name for an existing non-directory inode.
    fn link(&mut self, parent: Ino, name: &[u8], target: Ino) -> FsResult<()>;
    /// Removes a non-directory name; the inode is freed when its last link goes.
    fn unlink(&mut self, parent: Ino, name: &[u8]) -> FsResult<()>;
    /// Removes an empty directory.
    fn rmdir(&mut self, parent: Ino, name: &[u8]) -> FsResult<()>;

    fn set_attrs(&mut self, ino: Ino, attrs: &Attrs) -> FsResult<()>;
    /// Replaces all extended attributes: (full name such as `security.capability`, value).
    fn set_xattrs(&mut self, ino: Ino, xattrs: &[(Vec<u8>, Vec<u8>)]) -> FsResult<()>;

    /// Writes file data at `offset`; blocks are allocated as needed, holes stay unallocated.
    fn write(&mut self, ino: Ino, offset: u64, data: &[u8]) -> FsResult<()>;
    fn set_size(&mut self, ino: Ino, size: u64) -> FsResult<()>;
    /// Meta-only mode: backs `[offset, offset + len)` of the file with initialised blocks
    /// without writing them (`offset` block-aligned) and returns the device byte ranges that
    /// now hold that part of the file, in file order, as (device offset, length).
    fn allocate(&mut self, ino: Ino, offset: u64, len: u64) -> FsResult<Vec<(u64, u64)>>;
}

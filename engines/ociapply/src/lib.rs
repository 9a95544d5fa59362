//! OCI layer apply rules over a filesystem trait.

mod fs;
pub use fs::{Attrs, FileType, Filesystem, FsError, FsResult, Ino, Timestamp};

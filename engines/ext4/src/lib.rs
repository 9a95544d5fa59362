//! ext4 mkfs and OCI layer apply onto a layered block device.
//!
//! [`Ext4`] makes ([`Ext4::mkfs`]) or opens ([`Ext4::open`]) a filesystem on any
//! `blockio::ReadAt + WriteAt` device and implements `ociapply::Filesystem`. File data goes
//! straight to the device; metadata is cached and written at [`Ext4::flush`], so a device that
//! records written blocks (an overlay layer) sees only the blocks that changed.

mod alloc;
mod cache;
pub mod dir;
mod directory;
#[cfg(test)]
mod e2fsprogs_test;
mod ea;
mod error;
mod extent;
mod file;
mod flush;
mod fs;
mod groups;
pub mod htree;
mod indirect;
mod inode;
mod mkfs;
mod superblock;
mod volume;
pub mod xattr;

pub use error::Ext4Error;
pub use fs::Stat;
pub use mkfs::MkfsOptions;
pub use volume::{Ext4, FlushStats};

//! ext4 mkfs and OCI layer apply onto a layered block device.

pub mod dir;
pub mod htree;
pub mod xattr;

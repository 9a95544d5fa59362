//! Inodes of the in-memory filesystem.

use std::collections::BTreeMap;

use crate::fs::{Attrs, FileType, Ino};

pub(crate) const BLOCK: u64 = 4096;

#[derive(Debug, Clone)]
pub(crate) struct Inode {
    pub kind: FileType,
    pub attrs: Attrs,
    pub nlink: u32,
    pub xattrs: BTreeMap<Vec<u8>, Vec<u8>>,
    pub body: Body,
}

#[derive(Debug, Clone)]
pub(crate) enum Body {
    Dir {
        entries: BTreeMap<Vec<u8>, Ino>,
        parent: Ino,
    },
    File {
        size: u64,
        /// Allocated blocks by file block index; holes are absent.
        blocks: BTreeMap<u64, Block>,
    },
    Symlink(Vec<u8>),
    /// Devices, FIFOs and sockets.
    Node {
        major: u32,
        minor: u32,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Block {
    /// Device block number, so that meta-only mappings have somewhere to point.
    pub dev: u64,
    pub data: BlockData,
}

#[derive(Debug, Clone)]
pub(crate) enum BlockData {
    /// Written, all zeros (kept small: layers carry large zero runs).
    Zero,
    /// Written, exactly [`BLOCK`] bytes.
    Bytes(Box<[u8]>),
    /// Allocated by `allocate` and never written: its bytes live elsewhere (the tar).
    Remote,
}

/// How a file block is backed, as [`super::MemFs::block_map`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockState {
    Written,
    /// Allocated in meta-only mode; reads as zeros here.
    Allocated,
}

impl Block {
    pub fn bytes(&self) -> Option<&[u8]> {
        match &self.data {
            BlockData::Bytes(b) => Some(b),
            BlockData::Zero | BlockData::Remote => None,
        }
    }
}

//! An in-memory [`Filesystem`]: the reference model the apply rules are tested against,
//! here and in the ext4 engine's tests.
//!
//! Inodes carry link counts, directories are sorted maps, file data is a sparse map of
//! 4 KiB blocks each with a device block number (so meta-only mappings can be checked).
//! [`MemFs::check`] verifies its invariants, [`MemFs::snapshot`] gives a comparable tree.

mod check;
mod inode;
mod ops;
mod snapshot;

use std::collections::{BTreeMap, BTreeSet};

use crate::fs::{Attrs, FileType, FsError, FsResult, Ino, Timestamp};
use inode::{BLOCK, Block, BlockData, Body, Inode};

pub use inode::BlockState;
pub use snapshot::{Snapshot, SnapshotEntry, diff};

/// Inode number of the root directory (as in ext4).
pub const ROOT_INO: Ino = 2;
/// Largest file size accepted (ext4 with 4 KiB blocks).
pub const MAX_FILE_SIZE: u64 = 1 << 44;
/// Most links one inode may have (ext4's limit).
pub const MAX_LINKS: u32 = 65000;
/// Longest symlink target accepted.
pub const MAX_SYMLINK: usize = 4095;
/// First device block handed out, so device offsets differ from file offsets.
const FIRST_DEVICE_BLOCK: u64 = 1024;

#[derive(Debug, Clone)]
pub struct MemFs {
    inodes: BTreeMap<Ino, Inode>,
    /// Freed inode numbers, reused lowest first like a first-fit allocator.
    free: BTreeSet<Ino>,
    next_ino: Ino,
    next_block: u64,
    /// When non-zero, one device block is skipped after every this many, so that
    /// allocations come back in several ranges.
    fragment_every: u64,
    handed_out: u64,
}

impl Default for MemFs {
    fn default() -> Self {
        Self::new()
    }
}

impl MemFs {
    /// An empty filesystem: a root directory with mode 0755, owner 0, mtime 0.
    pub fn new() -> Self {
        let root = Inode {
            kind: FileType::Directory,
            attrs: Attrs {
                mode: 0o755,
                uid: 0,
                gid: 0,
                mtime: Timestamp::default(),
            },
            nlink: 2,
            xattrs: BTreeMap::new(),
            body: Body::Dir {
                entries: BTreeMap::new(),
                parent: ROOT_INO,
            },
        };
        MemFs {
            inodes: BTreeMap::from([(ROOT_INO, root)]),
            free: BTreeSet::new(),
            next_ino: ROOT_INO + 1,
            next_block: FIRST_DEVICE_BLOCK,
            fragment_every: 0,
            handed_out: 0,
        }
    }

    /// Like [`MemFs::new`], but device blocks are allocated with a one-block gap after every
    /// `every` blocks (0: contiguous).
    pub fn with_fragmentation(every: u64) -> Self {
        MemFs {
            fragment_every: every,
            ..Self::new()
        }
    }

    /// Number of live inodes, the root included.
    pub fn inode_count(&self) -> usize {
        self.inodes.len()
    }

    /// Looks a slash-separated path up from the root without following any symlink.
    pub fn lookup_path(&self, path: &[u8]) -> Option<Ino> {
        let mut cur = ROOT_INO;
        for c in path.split(|&b| b == b'/').filter(|c| !c.is_empty()) {
            match &self.inodes.get(&cur)?.body {
                Body::Dir { entries, .. } => cur = *entries.get(c)?,
                _ => return None,
            }
        }
        Some(cur)
    }

    /// The attributes of an inode.
    pub fn attrs(&self, ino: Ino) -> Option<Attrs> {
        self.inodes.get(&ino).map(|i| i.attrs)
    }

    /// The link count of an inode.
    pub fn nlink(&self, ino: Ino) -> Option<u32> {
        self.inodes.get(&ino).map(|i| i.nlink)
    }

    /// The whole content of a regular file (holes and allocated-only blocks read as zeros).
    pub fn read_file(&self, ino: Ino) -> Option<Vec<u8>> {
        let Body::File { size, blocks } = &self.inodes.get(&ino)?.body else {
            return None;
        };
        let len = usize::try_from(*size).ok()?;
        let mut out = vec![0u8; len];
        for (&idx, b) in blocks {
            let Some(bytes) = b.bytes() else { continue };
            let start = usize::try_from(idx * BLOCK).ok()?;
            if start >= len {
                break;
            }
            let n = (len - start).min(bytes.len());
            out[start..start + n].copy_from_slice(&bytes[..n]);
        }
        Some(out)
    }

    /// The allocated blocks of a regular file: (file block index, device byte offset, state),
    /// in file order. Holes are absent.
    pub fn block_map(&self, ino: Ino) -> Option<Vec<(u64, u64, BlockState)>> {
        let Body::File { blocks, .. } = &self.inodes.get(&ino)?.body else {
            return None;
        };
        Some(
            blocks
                .iter()
                .map(|(&i, b)| {
                    let state = match b.data {
                        BlockData::Remote => BlockState::Allocated,
                        BlockData::Zero | BlockData::Bytes(_) => BlockState::Written,
                    };
                    (i, b.dev * BLOCK, state)
                })
                .collect(),
        )
    }

    fn alloc_ino(&mut self, inode: Inode) -> Ino {
        let ino = match self.free.pop_first() {
            Some(i) => i,
            None => {
                let i = self.next_ino;
                self.next_ino += 1;
                i
            }
        };
        self.inodes.insert(ino, inode);
        ino
    }

    fn free_ino(&mut self, ino: Ino) {
        self.inodes.remove(&ino);
        self.free.insert(ino);
    }

    fn alloc_block(&mut self, data: BlockData) -> Block {
        if self.fragment_every > 0
            && self.handed_out > 0
            && self.handed_out.is_multiple_of(self.fragment_every)
        {
            self.next_block += 1;
        }
        self.handed_out += 1;
        let dev = self.next_block;
        self.next_block += 1;
        Block { dev, data }
    }

    fn inode(&self, ino: Ino) -> FsResult<&Inode> {
        self.inodes.get(&ino).ok_or(FsError::NotFound)
    }

    fn inode_mut(&mut self, ino: Ino) -> FsResult<&mut Inode> {
        self.inodes.get_mut(&ino).ok_or(FsError::NotFound)
    }

    fn entries(&self, dir: Ino) -> FsResult<&BTreeMap<Vec<u8>, Ino>> {
        match &self.inode(dir)?.body {
            Body::Dir { entries, .. } => Ok(entries),
            _ => Err(FsError::NotADirectory),
        }
    }

    fn entries_mut(&mut self, dir: Ino) -> FsResult<&mut BTreeMap<Vec<u8>, Ino>> {
        match &mut self.inode_mut(dir)?.body {
            Body::Dir { entries, .. } => Ok(entries),
            _ => Err(FsError::NotADirectory),
        }
    }
}

/// Rejects what the trait promises never to pass, and names too long to store.
fn check_name(name: &[u8]) -> FsResult<()> {
    if name.is_empty() || name == b"." || name == b".." || name.contains(&b'/') {
        return Err(FsError::Corrupt(format!(
            "invalid name component {:?}",
            String::from_utf8_lossy(name)
        )));
    }
    if name.len() > 255 {
        return Err(FsError::NameTooLong);
    }
    Ok(())
}

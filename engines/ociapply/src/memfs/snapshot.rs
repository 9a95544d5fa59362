//! A comparable picture of a whole tree, independent of inode numbers and block layout.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::inode::{BLOCK, Body};
use super::{MemFs, ROOT_INO};
use crate::fs::{FileType, Ino, Timestamp};

/// One path of a [`Snapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotEntry {
    pub kind: FileType,
    /// Permission bits (`& 0o7777`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Regular files: the size; symlinks: the target length; others 0.
    pub size: u64,
    /// Regular files: SHA-256 of the content.
    pub sha256: Option<[u8; 32]>,
    pub target: Option<Vec<u8>>,
    /// Character and block devices: (major, minor).
    pub rdev: Option<(u32, u32)>,
    pub xattrs: BTreeMap<Vec<u8>, Vec<u8>>,
    pub mtime: Timestamp,
    /// Non-directories with several names: the smallest path sharing the inode.
    pub hardlink_group: Option<Vec<u8>>,
}

/// Absolute path (`/` for the root, `/a/b` below) -> entry.
pub type Snapshot = BTreeMap<Vec<u8>, SnapshotEntry>;

impl MemFs {
    /// Describes every path, with holes and allocated-only blocks hashed as zeros.
    pub fn snapshot(&self) -> Snapshot {
        let mut out = Snapshot::new();
        let mut names: BTreeMap<Ino, Vec<Vec<u8>>> = BTreeMap::new();
        let mut todo: Vec<(Vec<u8>, Ino)> = vec![(b"/".to_vec(), ROOT_INO)];
        while let Some((path, ino)) = todo.pop() {
            let Some(node) = self.inodes.get(&ino) else {
                continue;
            };
            if let Body::Dir { entries, .. } = &node.body {
                for (n, &c) in entries {
                    let mut p = if ino == ROOT_INO {
                        Vec::new()
                    } else {
                        path.clone()
                    };
                    p.push(b'/');
                    p.extend_from_slice(n);
                    todo.push((p, c));
                }
            } else if node.nlink > 1 {
                names.entry(ino).or_default().push(path.clone());
            }
            out.insert(path, self.describe(ino));
        }
        for paths in names.values() {
            if let Some(first) = paths.iter().min() {
                for p in paths {
                    if let Some(e) = out.get_mut(p) {
                        e.hardlink_group = Some(first.clone());
                    }
                }
            }
        }
        out
    }

    fn describe(&self, ino: Ino) -> SnapshotEntry {
        let node = &self.inodes[&ino];
        let mut e = SnapshotEntry {
            kind: node.kind,
            mode: node.attrs.mode & 0o7777,
            uid: node.attrs.uid,
            gid: node.attrs.gid,
            size: 0,
            sha256: None,
            target: None,
            rdev: None,
            xattrs: node.xattrs.clone(),
            mtime: node.attrs.mtime,
            hardlink_group: None,
        };
        match &node.body {
            Body::File { size, blocks } => {
                e.size = *size;
                let mut h = Sha256::new();
                let zero = [0u8; BLOCK as usize];
                let mut pos = 0u64;
                while pos < *size {
                    let n = (*size - pos).min(BLOCK) as usize;
                    let block = blocks.get(&(pos / BLOCK)).and_then(|b| b.bytes());
                    h.update(&block.unwrap_or(&zero)[..n]);
                    pos += BLOCK;
                }
                e.sha256 = Some(h.finalize().into());
            }
            Body::Symlink(t) => {
                e.size = t.len() as u64;
                e.target = Some(t.clone());
            }
            Body::Node { major, minor } => {
                if matches!(node.kind, FileType::CharDevice | FileType::BlockDevice) {
                    e.rdev = Some((*major, *minor));
                }
            }
            Body::Dir { .. } => {}
        }
        e
    }
}

/// Human-readable differences between two snapshots (empty when equal).
pub fn diff(expected: &Snapshot, actual: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    let show = |p: &[u8]| String::from_utf8_lossy(p).into_owned();
    for (p, e) in expected {
        match actual.get(p) {
            None => out.push(format!("missing {}", show(p))),
            Some(a) if a != e => out.push(format!("{}: expected {e:?}, got {a:?}", show(p))),
            Some(_) => {}
        }
    }
    for p in actual.keys().filter(|p| !expected.contains_key(*p)) {
        out.push(format!("unexpected {}", show(p)));
    }
    out
}

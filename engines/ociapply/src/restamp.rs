//! Directory attributes re-applied after the whole archive, as upstream does.

use std::collections::BTreeMap;

use crate::fs::{Attrs, Ino};

/// The latest directory entry per inode, keyed so the final pass runs in archive order.
/// Records of removed directories are dropped, since their inode number may be reused.
#[derive(Debug, Default)]
pub(crate) struct Restamp {
    latest: BTreeMap<Ino, (u64, Attrs, Vec<u8>)>,
    seq: u64,
}

impl Restamp {
    /// `path` is the tar name, kept for error messages.
    pub fn record(&mut self, ino: Ino, attrs: Attrs, path: &[u8]) {
        self.seq += 1;
        self.latest.insert(ino, (self.seq, attrs, path.to_vec()));
    }

    pub fn forget(&mut self, ino: Ino) {
        self.latest.remove(&ino);
    }

    /// (inode, attributes, tar name) in archive order of each directory's last entry.
    pub fn in_order(&mut self) -> Vec<(Ino, Attrs, Vec<u8>)> {
        let mut v: Vec<(u64, Ino, Attrs, Vec<u8>)> = std::mem::take(&mut self.latest)
            .into_iter()
            .map(|(i, (s, a, p))| (s, i, a, p))
            .collect();
        v.sort_by_key(|e| e.0);
        v.into_iter().map(|(_, i, a, p)| (i, a, p)).collect()
    }
}

//! Structural invariants of `MemFs`.

use std::collections::BTreeMap;

use super::inode::Body;
use super::{MemFs, ROOT_INO};
use crate::fs::{FileType, Ino};

impl MemFs {
    /// Verifies that every directory entry points to a live inode, every directory has
    /// exactly one name and knows its parent, link counts equal the references (directories:
    /// 2 + subdirectories), types match bodies, and every inode is reachable from the root.
    pub fn check(&self) -> Result<(), String> {
        let root = self
            .inodes
            .get(&ROOT_INO)
            .ok_or("the root inode is missing")?;
        match &root.body {
            Body::Dir { parent, .. } if *parent == ROOT_INO => {}
            _ => return Err("the root is not a directory that is its own parent".into()),
        }
        let mut refs: BTreeMap<Ino, u32> = BTreeMap::new();
        let mut subdirs: BTreeMap<Ino, u32> = BTreeMap::new();
        for (&ino, node) in &self.inodes {
            if self.free.contains(&ino) {
                return Err(format!("inode {ino} is live and free"));
            }
            let body_kind_ok = match &node.body {
                Body::Dir { .. } => node.kind == FileType::Directory,
                Body::File { .. } => node.kind == FileType::Regular,
                Body::Symlink(_) => node.kind == FileType::Symlink,
                Body::Node { .. } => matches!(
                    node.kind,
                    FileType::CharDevice
                        | FileType::BlockDevice
                        | FileType::Fifo
                        | FileType::Socket
                ),
            };
            if !body_kind_ok {
                return Err(format!(
                    "inode {ino}: type {:?} does not match its body",
                    node.kind
                ));
            }
            let Body::Dir { entries, .. } = &node.body else {
                continue;
            };
            for (name, &child) in entries {
                let show = String::from_utf8_lossy(name);
                if name.is_empty() || name.contains(&b'/') || name == b"." || name == b".." {
                    return Err(format!("inode {ino}: invalid entry name {show:?}"));
                }
                let c = self.inodes.get(&child).ok_or_else(|| {
                    format!("inode {ino}: entry {show:?} -> missing inode {child}")
                })?;
                *refs.entry(child).or_default() += 1;
                if let Body::Dir { parent, .. } = &c.body {
                    *subdirs.entry(ino).or_default() += 1;
                    if *parent != ino {
                        return Err(format!(
                            "directory {child} ({show:?}) is in {ino} but names {parent} as parent"
                        ));
                    }
                }
            }
        }
        for (&ino, node) in &self.inodes {
            let r = refs.get(&ino).copied().unwrap_or(0);
            if node.kind == FileType::Directory {
                let expect_refs = u32::from(ino != ROOT_INO);
                if r != expect_refs {
                    return Err(format!("directory {ino} has {r} names"));
                }
                let want = 2 + subdirs.get(&ino).copied().unwrap_or(0);
                if node.nlink != want {
                    return Err(format!(
                        "directory {ino}: nlink {} but {want} expected",
                        node.nlink
                    ));
                }
            } else if r == 0 || node.nlink != r {
                return Err(format!("inode {ino}: nlink {} but {r} names", node.nlink));
            }
        }
        self.check_reachable()
    }

    /// With one name per directory and correct parents, a directory cycle detached from
    /// the root is the only way to have live unreachable inodes.
    fn check_reachable(&self) -> Result<(), String> {
        let mut seen = std::collections::BTreeSet::from([ROOT_INO]);
        let mut todo = vec![ROOT_INO];
        while let Some(d) = todo.pop() {
            if let Some(Body::Dir { entries, .. }) = self.inodes.get(&d).map(|n| &n.body) {
                for &c in entries.values() {
                    if seen.insert(c) {
                        todo.push(c);
                    }
                }
            }
        }
        if seen.len() != self.inodes.len() {
            return Err(format!(
                "{} inodes are not reachable from the root",
                self.inodes.len() - seen.len()
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::{Attrs, Filesystem};

    #[test]
    fn detects_wrong_link_counts_and_dangling_entries() {
        let mut fs = MemFs::new();
        let a = Attrs::default();
        let d = fs.mkdir(ROOT_INO, b"d", &a).unwrap();
        let f = fs.create(d, b"f", &a).unwrap();
        fs.link(ROOT_INO, b"g", f).unwrap();
        assert_eq!(fs.check(), Ok(()));

        let mut bad = fs.clone();
        bad.inodes.get_mut(&f).unwrap().nlink = 1;
        assert!(bad.check().is_err());

        let mut bad = fs.clone();
        bad.inodes.get_mut(&ROOT_INO).unwrap().nlink = 2;
        assert!(bad.check().is_err(), "root has a subdirectory");

        let mut bad = fs.clone();
        bad.inodes.remove(&d);
        assert!(bad.check().is_err(), "the root names a missing inode");
    }
}

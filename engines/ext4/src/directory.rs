//! Directories in memory: loaded whole on first use, changed by name in a hash index, and
//! rebuilt with `dir::build_dir` at flush (keeping their blocks where possible).

use std::collections::HashMap;

use blockio::{ReadAt, WriteAt};

use crate::dir::{DirEntry, build_dir, parse_dir};
use crate::error::{Ext4Error, Result, corrupt};
use crate::extent::Extent;
use crate::inode::{FL_INDEX, LINK_MAX};
use crate::volume::Ext4;

pub(crate) struct DirState {
    /// Entries in insertion order; removed ones leave `None` until the next rebuild.
    entries: Vec<Option<DirEntry>>,
    index: HashMap<Vec<u8>, usize>,
    pub parent: u32,
    pub subdirs: u32,
    pub dirty: bool,
}

impl DirState {
    pub fn new(parent: u32) -> Self {
        DirState {
            entries: Vec::new(),
            index: HashMap::new(),
            parent,
            subdirs: 0,
            dirty: true,
        }
    }

    fn from_entries(parent: u32, list: Vec<DirEntry>) -> Result<Self> {
        let mut d = DirState::new(parent);
        d.dirty = false;
        for e in list {
            if d.index.contains_key(&e.name) {
                return Err(corrupt("directory holds a name twice"));
            }
            d.push(e);
        }
        Ok(d)
    }

    fn push(&mut self, e: DirEntry) {
        if e.file_type == 2 {
            self.subdirs += 1;
        }
        self.index.insert(e.name.clone(), self.entries.len());
        self.entries.push(Some(e));
    }

    pub fn get(&self, name: &[u8]) -> Option<&DirEntry> {
        let i = *self.index.get(name)?;
        self.entries.get(i)?.as_ref()
    }

    pub fn insert(&mut self, e: DirEntry) {
        self.push(e);
        self.dirty = true;
    }

    pub fn remove(&mut self, name: &[u8]) -> Option<DirEntry> {
        let i = self.index.remove(name)?;
        let e = self.entries.get_mut(i)?.take()?;
        if e.file_type == 2 {
            self.subdirs = self.subdirs.saturating_sub(1);
        }
        self.dirty = true;
        Some(e)
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &DirEntry> {
        self.entries.iter().flatten()
    }

    /// Drops the holes left by removals.
    fn compact(&mut self) -> Vec<DirEntry> {
        let list: Vec<DirEntry> = self.entries.drain(..).flatten().collect();
        self.index.clear();
        for (i, e) in list.iter().enumerate() {
            self.index.insert(e.name.clone(), i);
        }
        self.entries = list.iter().cloned().map(Some).collect();
        list
    }

    /// Link count of the directory inode (dir_nlink: 1 once it would pass the limit).
    pub fn nlink(&self) -> u16 {
        let n = 2 + self.subdirs;
        if n > LINK_MAX { 1 } else { n as u16 }
    }
}

impl<D: ReadAt + WriteAt> Ext4<D> {
    /// The directory's in-memory state, loading it on first use.
    pub(crate) fn dir(&mut self, ino: u32) -> Result<&mut DirState> {
        if !self.dirs.contains_key(&ino) {
            let st = self.inode(ino)?;
            if !st.inode.is_dir() {
                return Err(Ext4Error::NotADirectory);
            }
            let indexed = st.inode.flags() & FL_INDEX != 0;
            let size = st.inode.size();
            let bs = self.geo.block_size;
            if size == 0 || size % bs != 0 || size / bs > u64::from(u32::MAX) {
                return Err(corrupt(format!("directory {ino} has size {size}")));
            }
            let nblocks = (size / bs) as u32;
            let map = self.extent_map(ino)?;
            let runs = map.runs(0, nblocks);
            // Capacity from what is mapped, not from a possibly corrupt i_size.
            let mut data =
                Vec::with_capacity((map.data_blocks().min(u64::from(nblocks)) * bs) as usize);
            for r in runs {
                match r.pblk {
                    Some(p) if !r.uninit => {
                        for b in p..p + u64::from(r.len) {
                            data.extend_from_slice(&self.read_meta(b)?);
                        }
                    }
                    _ => return Err(corrupt(format!("directory {ino} has a hole"))),
                }
            }
            let parsed = parse_dir(&data, bs as usize, indexed)
                .map_err(|e| corrupt(format!("directory {ino}: {e}")))?;
            if parsed.dot != ino {
                return Err(corrupt(format!("directory {ino} has a wrong '.' entry")));
            }
            let state = DirState::from_entries(parsed.dotdot, parsed.entries)?;
            self.dirs.insert(ino, state);
        }
        self.dirs.get_mut(&ino).ok_or(Ext4Error::NotFound)
    }

    /// Rewrites every changed directory (in inode order, so allocation is deterministic).
    pub(crate) fn rebuild_dirs(&mut self) -> Result<()> {
        let mut dirty: Vec<u32> = self
            .dirs
            .iter()
            .filter(|(_, d)| d.dirty)
            .map(|(&i, _)| i)
            .collect();
        dirty.sort_unstable();
        let bs = self.geo.block_size as usize;
        for ino in dirty {
            let Some(d) = self.dirs.get_mut(&ino) else {
                continue;
            };
            d.dirty = false;
            let parent = d.parent;
            let nlink = d.nlink();
            let list = d.compact();
            let image = build_dir(ino, parent, &list, &self.hash, bs)
                .map_err(|e| Ext4Error::Dir(e.to_string()))?;
            let nblocks = (image.data.len() / bs) as u32;
            let map = self.extent_map(ino)?;
            let old = map.data_blocks();
            let goal = map.last().map(|e| e.pblk + u64::from(e.len));
            let freed = map.truncate(nblocks);
            for (s, n) in freed {
                self.free_blocks(s, n)?;
            }
            if u64::from(nblocks) > old {
                let runs = self.alloc_exact(goal, u64::from(nblocks) - old)?;
                let map = self.extent_map(ino)?;
                let mut lblk = old as u32;
                for (s, n) in runs {
                    map.insert(Extent {
                        lblk,
                        pblk: s,
                        len: n as u32,
                        uninit: false,
                    });
                    lblk += n as u32;
                }
            }
            let map = self.extent_map(ino)?;
            map.mark_init(0, nblocks);
            map.dirty = true;
            let runs = map.runs(0, nblocks);
            for r in runs {
                let Some(p) = r.pblk else {
                    return Err(corrupt("directory block unmapped after allocation"));
                };
                for k in 0..r.len {
                    let off = (r.lblk + k) as usize * bs;
                    let blk = self.cache.create(p + u64::from(k), false);
                    blk.copy_from_slice(&image.data[off..off + bs]);
                }
            }
            let st = self.inode(ino)?;
            st.inode.set_size(u64::from(nblocks) * bs as u64);
            let flags = st.inode.flags();
            st.inode.set_flags(if image.indexed {
                flags | FL_INDEX
            } else {
                flags & !FL_INDEX
            });
            st.inode.set_links(nlink);
            st.dirty = true;
        }
        Ok(())
    }
}

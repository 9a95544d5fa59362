//! The `Filesystem` operations of `MemFs`.

use std::collections::BTreeMap;

use super::inode::{BLOCK, BlockData, Body, Inode};
use super::{MAX_FILE_SIZE, MAX_LINKS, MAX_SYMLINK, MemFs, ROOT_INO, check_name};
use crate::fs::{Attrs, FileType, Filesystem, FsError, FsResult, Ino};

impl MemFs {
    /// Adds a new inode under `parent/name`.
    fn add(
        &mut self,
        parent: Ino,
        name: &[u8],
        kind: FileType,
        attrs: &Attrs,
        body: Body,
    ) -> FsResult<Ino> {
        check_name(name)?;
        if self.entries(parent)?.contains_key(name) {
            return Err(FsError::Exists);
        }
        let is_dir = kind == FileType::Directory;
        if is_dir && self.inode(parent)?.nlink >= MAX_LINKS {
            return Err(FsError::TooManyLinks);
        }
        let ino = self.alloc_ino(Inode {
            kind,
            attrs: *attrs,
            nlink: if is_dir { 2 } else { 1 },
            xattrs: BTreeMap::new(),
            body,
        });
        self.entries_mut(parent)?.insert(name.to_vec(), ino);
        if is_dir {
            self.inode_mut(parent)?.nlink += 1;
        }
        Ok(ino)
    }

    fn file_blocks(
        &mut self,
        ino: Ino,
    ) -> FsResult<(&mut u64, &mut BTreeMap<u64, super::inode::Block>)> {
        match &mut self.inode_mut(ino)?.body {
            Body::File { size, blocks } => Ok((size, blocks)),
            _ => Err(FsError::Corrupt(
                "data operation on a non-regular file".into(),
            )),
        }
    }
}

impl Filesystem for MemFs {
    fn root(&self) -> Ino {
        ROOT_INO
    }

    fn lookup(&mut self, dir: Ino, name: &[u8]) -> FsResult<Option<(Ino, FileType)>> {
        check_name(name)?;
        let Some(&ino) = self.entries(dir)?.get(name) else {
            return Ok(None);
        };
        Ok(Some((ino, self.inode(ino)?.kind)))
    }

    fn file_type(&mut self, ino: Ino) -> FsResult<FileType> {
        Ok(self.inode(ino)?.kind)
    }

    fn read_link(&mut self, ino: Ino) -> FsResult<Vec<u8>> {
        match &self.inode(ino)?.body {
            Body::Symlink(t) => Ok(t.clone()),
            _ => Err(FsError::Corrupt("read_link on a non-symlink".into())),
        }
    }

    fn list_dir(&mut self, dir: Ino) -> FsResult<Vec<(Vec<u8>, Ino, FileType)>> {
        let entries = self.entries(dir)?;
        entries
            .iter()
            .map(|(n, &i)| Ok((n.clone(), i, self.inode(i)?.kind)))
            .collect()
    }

    fn mkdir(&mut self, parent: Ino, name: &[u8], attrs: &Attrs) -> FsResult<Ino> {
        let body = Body::Dir {
            entries: BTreeMap::new(),
            parent,
        };
        self.add(parent, name, FileType::Directory, attrs, body)
    }

    fn create(&mut self, parent: Ino, name: &[u8], attrs: &Attrs) -> FsResult<Ino> {
        let body = Body::File {
            size: 0,
            blocks: BTreeMap::new(),
        };
        self.add(parent, name, FileType::Regular, attrs, body)
    }

    fn symlink(&mut self, parent: Ino, name: &[u8], target: &[u8], attrs: &Attrs) -> FsResult<Ino> {
        if target.len() > MAX_SYMLINK {
            return Err(FsError::NameTooLong);
        }
        let body = Body::Symlink(target.to_vec());
        self.add(parent, name, FileType::Symlink, attrs, body)
    }

    fn mknod(
        &mut self,
        parent: Ino,
        name: &[u8],
        kind: FileType,
        major: u32,
        minor: u32,
        attrs: &Attrs,
    ) -> FsResult<Ino> {
        let (major, minor) = match kind {
            FileType::CharDevice | FileType::BlockDevice => (major, minor),
            FileType::Fifo | FileType::Socket => (0, 0),
            _ => return Err(FsError::Corrupt(format!("mknod of a {kind:?}"))),
        };
        self.add(parent, name, kind, attrs, Body::Node { major, minor })
    }

    fn link(&mut self, parent: Ino, name: &[u8], target: Ino) -> FsResult<()> {
        check_name(name)?;
        let t = self.inode(target)?;
        if t.kind == FileType::Directory {
            return Err(FsError::Corrupt("hard link to a directory".into()));
        }
        if t.nlink >= MAX_LINKS {
            return Err(FsError::TooManyLinks);
        }
        if self.entries(parent)?.contains_key(name) {
            return Err(FsError::Exists);
        }
        self.entries_mut(parent)?.insert(name.to_vec(), target);
        self.inode_mut(target)?.nlink += 1;
        Ok(())
    }

    fn unlink(&mut self, parent: Ino, name: &[u8]) -> FsResult<()> {
        check_name(name)?;
        let ino = *self.entries(parent)?.get(name).ok_or(FsError::NotFound)?;
        if self.inode(ino)?.kind == FileType::Directory {
            return Err(FsError::Corrupt("unlink of a directory".into()));
        }
        self.entries_mut(parent)?.remove(name);
        let node = self.inode_mut(ino)?;
        node.nlink = node.nlink.saturating_sub(1);
        if node.nlink == 0 {
            self.free_ino(ino);
        }
        Ok(())
    }

    fn rmdir(&mut self, parent: Ino, name: &[u8]) -> FsResult<()> {
        check_name(name)?;
        let ino = *self.entries(parent)?.get(name).ok_or(FsError::NotFound)?;
        if !self.entries(ino)?.is_empty() {
            return Err(FsError::NotEmpty);
        }
        self.entries_mut(parent)?.remove(name);
        let p = self.inode_mut(parent)?;
        p.nlink = p.nlink.saturating_sub(1);
        self.free_ino(ino);
        Ok(())
    }

    fn set_attrs(&mut self, ino: Ino, attrs: &Attrs) -> FsResult<()> {
        self.inode_mut(ino)?.attrs = *attrs;
        Ok(())
    }

    fn set_xattrs(&mut self, ino: Ino, xattrs: &[(Vec<u8>, Vec<u8>)]) -> FsResult<()> {
        if xattrs.iter().any(|(k, _)| k.len() > 255) {
            return Err(FsError::NameTooLong);
        }
        self.inode_mut(ino)?.xattrs = xattrs.iter().cloned().collect();
        Ok(())
    }

    fn write(&mut self, ino: Ino, offset: u64, data: &[u8]) -> FsResult<()> {
        let end = offset
            .checked_add(data.len() as u64)
            .filter(|&e| e <= MAX_FILE_SIZE)
            .ok_or(FsError::FileTooLarge)?;
        self.file_blocks(ino)?;
        let mut pos = offset;
        while pos < end {
            let idx = pos / BLOCK;
            let within = (pos % BLOCK) as usize;
            let n = ((BLOCK - pos % BLOCK).min(end - pos)) as usize;
            let src = &data[(pos - offset) as usize..][..n];
            let existing = self.file_blocks(ino)?.1.remove(&idx);
            let mut bytes = match existing.as_ref().and_then(|b| b.bytes()) {
                Some(b) => b.to_vec(),
                None => vec![0u8; BLOCK as usize],
            };
            bytes[within..within + n].copy_from_slice(src);
            let data = if bytes.iter().all(|&b| b == 0) {
                BlockData::Zero
            } else {
                BlockData::Bytes(bytes.into_boxed_slice())
            };
            let block = match existing {
                Some(mut b) => {
                    b.data = data;
                    b
                }
                None => self.alloc_block(data),
            };
            self.file_blocks(ino)?.1.insert(idx, block);
            pos += n as u64;
        }
        let (size, _) = self.file_blocks(ino)?;
        *size = (*size).max(end);
        Ok(())
    }

    fn set_size(&mut self, ino: Ino, new: u64) -> FsResult<()> {
        if new > MAX_FILE_SIZE {
            return Err(FsError::FileTooLarge);
        }
        let (size, blocks) = self.file_blocks(ino)?;
        *size = new;
        // Blocks past the end go, and the tail of the last one reads as zeros again.
        let keep = new.div_ceil(BLOCK);
        blocks.split_off(&keep);
        let tail = (new % BLOCK) as usize;
        if tail > 0
            && let Some(b) = blocks.get_mut(&(new / BLOCK))
            && let BlockData::Bytes(bytes) = &mut b.data
        {
            bytes[tail..].fill(0);
        }
        Ok(())
    }

    fn allocate(&mut self, ino: Ino, offset: u64, len: u64) -> FsResult<Vec<(u64, u64)>> {
        if !offset.is_multiple_of(BLOCK) {
            return Err(FsError::Corrupt("allocate at an unaligned offset".into()));
        }
        let end = offset
            .checked_add(len)
            .filter(|&e| e <= MAX_FILE_SIZE)
            .ok_or(FsError::FileTooLarge)?;
        self.file_blocks(ino)?;
        let mut ranges: Vec<(u64, u64)> = Vec::new();
        for idx in offset / BLOCK..end.div_ceil(BLOCK) {
            let dev = match self.file_blocks(ino)?.1.get(&idx) {
                Some(b) => b.dev,
                None => {
                    let b = self.alloc_block(BlockData::Remote);
                    let dev = b.dev;
                    self.file_blocks(ino)?.1.insert(idx, b);
                    dev
                }
            };
            match ranges.last_mut() {
                Some((start, l)) if *start + *l == dev * BLOCK => *l += BLOCK,
                _ => ranges.push((dev * BLOCK, BLOCK)),
            }
        }
        Ok(ranges)
    }
}

//! `ociapply::Filesystem` on top of the engine, plus a few read-back helpers for callers and
//! tests (`stat`, `read`, `xattrs`).

use blockio::{ReadAt, WriteAt};
use ociapply::{Attrs, FileType, Filesystem, FsError, FsResult, Ino, Timestamp};

use crate::dir::DirEntry;
use crate::directory::DirState;
use crate::error::{Ext4Error, Result, corrupt};
use crate::inode::{
    FL_EXTENTS, I_BLOCK_LEN, Inode, LINK_MAX, ROOT_INO, S_IFMT, dirent_to_type, type_to_dirent,
    type_to_mode,
};
use crate::volume::Ext4;

/// Deleted inodes get this dtime, as overlaybd's libext2fs does.
const DELETED_DTIME: u32 = 0xFFFF_FFFF;

/// What `stat` reports about an inode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    pub kind: FileType,
    /// Permission bits including setuid/setgid/sticky.
    pub perm: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub links: u16,
    pub mtime: Timestamp,
    /// (major, minor) for device nodes.
    pub rdev: (u32, u32),
    /// Allocated 512-byte sectors.
    pub blocks_512: u64,
}

fn ino32(ino: Ino) -> Result<u32> {
    u32::try_from(ino).map_err(|_| Ext4Error::NotFound)
}

fn check_name(name: &[u8]) -> Result<()> {
    if name.len() > 255 {
        return Err(Ext4Error::NameTooLong);
    }
    if name.is_empty() || name == b"." || name == b".." || name.iter().any(|&c| c == b'/' || c == 0)
    {
        return Err(Ext4Error::InvalidArgument("invalid name"));
    }
    Ok(())
}

impl<D: ReadAt + WriteAt> Ext4<D> {
    /// The type of a live inode.
    fn kind(&mut self, ino: u32) -> Result<FileType> {
        let inode = &self.inode(ino)?.inode;
        if inode.links() == 0 && ino != ROOT_INO {
            return Err(Ext4Error::NotFound);
        }
        inode
            .file_type()
            .ok_or_else(|| corrupt(format!("inode {ino} has an unknown type")))
    }

    pub fn stat(&mut self, ino: u32) -> Result<Stat> {
        let kind = self.kind(ino)?;
        let i = &self.inode(ino)?.inode;
        let dev = matches!(kind, FileType::CharDevice | FileType::BlockDevice);
        Ok(Stat {
            kind,
            perm: u32::from(i.mode() & 0o7777),
            uid: i.uid(),
            gid: i.gid(),
            size: i.size(),
            links: i.links(),
            mtime: i.mtime(),
            rdev: if dev { i.device() } else { (0, 0) },
            blocks_512: i.blocks_512(),
        })
    }

    /// Checks that `name` can be added to directory `parent`.
    fn check_new_entry(&mut self, parent: u32, name: &[u8]) -> Result<()> {
        check_name(name)?;
        if self.kind(parent)? != FileType::Directory {
            return Err(Ext4Error::NotADirectory);
        }
        if self.dir(parent)?.get(name).is_some() {
            return Err(Ext4Error::Exists);
        }
        Ok(())
    }

    /// Allocates and installs a new inode of `kind` with `attrs`.
    fn new_inode(&mut self, kind: FileType, attrs: &Attrs, extents: bool) -> Result<u32> {
        let ino = self.alloc_inode(kind == FileType::Directory)?;
        let mut inode = Inode::new(self.geo.inode_size);
        inode.set_mode(type_to_mode(kind) | (attrs.mode & 0o7777) as u16);
        inode.set_owner(attrs.uid, attrs.gid);
        inode.set_times(attrs.mtime);
        inode.set_links(if kind == FileType::Directory { 2 } else { 1 });
        if extents {
            inode.set_flags(FL_EXTENTS);
        }
        self.put_new_inode(ino, inode);
        Ok(ino)
    }

    fn add_entry(&mut self, parent: u32, name: &[u8], ino: u32, kind: FileType) -> Result<()> {
        self.dir(parent)?.insert(DirEntry {
            inode: ino,
            file_type: type_to_dirent(kind),
            name: name.to_vec(),
        });
        Ok(())
    }

    fn make_node(
        &mut self,
        parent: u32,
        name: &[u8],
        kind: FileType,
        attrs: &Attrs,
    ) -> Result<u32> {
        self.check_new_entry(parent, name)?;
        let extents = matches!(kind, FileType::Regular | FileType::Directory);
        let ino = self.new_inode(kind, attrs, extents)?;
        if kind == FileType::Directory {
            self.dirs.insert(ino, DirState::new(parent));
        }
        self.add_entry(parent, name, ino, kind)?;
        Ok(ino)
    }

    fn do_symlink(
        &mut self,
        parent: u32,
        name: &[u8],
        target: &[u8],
        attrs: &Attrs,
    ) -> Result<u32> {
        let bs = self.geo.block_size as usize;
        if target.is_empty() || target.len() >= bs {
            return Err(Ext4Error::NameTooLong);
        }
        self.check_new_entry(parent, name)?;
        let fast = target.len() < I_BLOCK_LEN;
        let ino = self.new_inode(FileType::Symlink, attrs, !fast)?;
        if fast {
            let st = self.inode(ino)?;
            st.inode.i_block_mut()[..target.len()].copy_from_slice(target);
            st.inode.set_size(target.len() as u64);
        } else {
            self.write_data(ino, 0, target)?;
        }
        self.add_entry(parent, name, ino, FileType::Symlink)?;
        Ok(ino)
    }

    fn do_read_link(&mut self, ino: u32) -> Result<Vec<u8>> {
        if self.kind(ino)? != FileType::Symlink {
            return Err(Ext4Error::InvalidArgument("not a symlink"));
        }
        let bs = self.geo.block_size;
        let inode = &self.inode(ino)?.inode;
        let size = inode.size();
        if size > bs {
            return Err(corrupt(format!("symlink {ino} is too long")));
        }
        if inode.is_fast_symlink() {
            return Ok(inode.i_block()[..size as usize].to_vec());
        }
        self.read(ino, 0, size as usize)
    }

    /// Frees an inode whose last link is gone.
    fn destroy_inode(&mut self, ino: u32) -> Result<()> {
        let is_dir = self.inode(ino)?.inode.is_dir();
        self.release_blocks(ino)?;
        self.release_ea_block(ino)?;
        self.free_inode(ino, is_dir)?;
        self.dirs.remove(&ino);
        let st = self.inode(ino)?;
        st.map = None;
        let i = &mut st.inode;
        i.set_links(0);
        i.set_dtime(DELETED_DTIME);
        i.set_size(0);
        i.set_fs_blocks(0);
        i.i_block_mut().fill(0);
        i.set_flags(i.flags() & !FL_EXTENTS);
        st.dirty = true;
        Ok(())
    }

    fn do_link(&mut self, parent: u32, name: &[u8], target: u32) -> Result<()> {
        let kind = self.kind(target)?;
        if kind == FileType::Directory {
            return Err(Ext4Error::IsADirectory);
        }
        if u32::from(self.inode(target)?.inode.links()) >= LINK_MAX {
            return Err(Ext4Error::TooManyLinks);
        }
        self.check_new_entry(parent, name)?;
        self.add_entry(parent, name, target, kind)?;
        let st = self.inode(target)?;
        st.inode.set_links(st.inode.links() + 1);
        st.dirty = true;
        Ok(())
    }

    fn do_unlink(&mut self, parent: u32, name: &[u8]) -> Result<()> {
        check_name(name)?;
        let e = self.dir(parent)?.get(name).ok_or(Ext4Error::NotFound)?;
        let ino = e.inode;
        if e.file_type == 2 || self.kind(ino)? == FileType::Directory {
            return Err(Ext4Error::IsADirectory);
        }
        self.dir(parent)?.remove(name);
        let st = self.inode(ino)?;
        let links = st.inode.links().saturating_sub(1);
        st.inode.set_links(links);
        st.dirty = true;
        if links == 0 {
            self.destroy_inode(ino)?;
        }
        Ok(())
    }

    fn do_rmdir(&mut self, parent: u32, name: &[u8]) -> Result<()> {
        check_name(name)?;
        let e = self.dir(parent)?.get(name).ok_or(Ext4Error::NotFound)?;
        let ino = e.inode;
        if self.kind(ino)? != FileType::Directory {
            return Err(Ext4Error::NotADirectory);
        }
        if !self.dir(ino)?.is_empty() {
            return Err(Ext4Error::NotEmpty);
        }
        self.dir(parent)?.remove(name);
        self.destroy_inode(ino)
    }

    fn do_set_attrs(&mut self, ino: u32, attrs: &Attrs) -> Result<()> {
        self.kind(ino)?;
        let st = self.inode(ino)?;
        let fmt = st.inode.mode() & S_IFMT;
        st.inode.set_mode(fmt | (attrs.mode & 0o7777) as u16);
        st.inode.set_owner(attrs.uid, attrs.gid);
        st.inode.set_times(attrs.mtime);
        st.dirty = true;
        Ok(())
    }

    fn regular(&mut self, ino: u32) -> Result<()> {
        match self.kind(ino)? {
            FileType::Regular => Ok(()),
            FileType::Directory => Err(Ext4Error::IsADirectory),
            _ => Err(Ext4Error::InvalidArgument("not a regular file")),
        }
    }
}

impl<D: ReadAt + WriteAt> Filesystem for Ext4<D> {
    fn root(&self) -> Ino {
        Ino::from(ROOT_INO)
    }

    fn lookup(&mut self, dir: Ino, name: &[u8]) -> FsResult<Option<(Ino, FileType)>> {
        let dir = ino32(dir)?;
        if name.len() > 255 {
            return Err(FsError::NameTooLong);
        }
        if self.kind(dir)? != FileType::Directory {
            return Err(FsError::NotADirectory);
        }
        let Some(e) = self.dir(dir)?.get(name) else {
            return Ok(None);
        };
        let (ino, code) = (e.inode, e.file_type);
        let kind = match dirent_to_type(code) {
            Some(k) => k,
            None => self.kind(ino)?,
        };
        Ok(Some((Ino::from(ino), kind)))
    }

    fn file_type(&mut self, ino: Ino) -> FsResult<FileType> {
        Ok(self.kind(ino32(ino)?)?)
    }

    fn read_link(&mut self, ino: Ino) -> FsResult<Vec<u8>> {
        Ok(self.do_read_link(ino32(ino)?)?)
    }

    fn list_dir(&mut self, dir: Ino) -> FsResult<Vec<(Vec<u8>, Ino, FileType)>> {
        let dir = ino32(dir)?;
        if self.kind(dir)? != FileType::Directory {
            return Err(FsError::NotADirectory);
        }
        let raw: Vec<(Vec<u8>, u32, u8)> = self
            .dir(dir)?
            .iter()
            .map(|e| (e.name.clone(), e.inode, e.file_type))
            .collect();
        let mut out = Vec::with_capacity(raw.len());
        for (name, ino, code) in raw {
            let kind = match dirent_to_type(code) {
                Some(k) => k,
                None => self.kind(ino)?,
            };
            out.push((name, Ino::from(ino), kind));
        }
        Ok(out)
    }

    fn mkdir(&mut self, parent: Ino, name: &[u8], attrs: &Attrs) -> FsResult<Ino> {
        Ok(Ino::from(self.make_node(
            ino32(parent)?,
            name,
            FileType::Directory,
            attrs,
        )?))
    }

    fn create(&mut self, parent: Ino, name: &[u8], attrs: &Attrs) -> FsResult<Ino> {
        Ok(Ino::from(self.make_node(
            ino32(parent)?,
            name,
            FileType::Regular,
            attrs,
        )?))
    }

    fn symlink(&mut self, parent: Ino, name: &[u8], target: &[u8], attrs: &Attrs) -> FsResult<Ino> {
        Ok(Ino::from(self.do_symlink(
            ino32(parent)?,
            name,
            target,
            attrs,
        )?))
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
        if !matches!(
            kind,
            FileType::CharDevice | FileType::BlockDevice | FileType::Fifo | FileType::Socket
        ) {
            return Err(Ext4Error::InvalidArgument("mknod of a non-special file").into());
        }
        let ino = self.make_node(ino32(parent)?, name, kind, attrs)?;
        if matches!(kind, FileType::CharDevice | FileType::BlockDevice) {
            self.inode(ino)?.inode.set_device(major, minor);
        }
        Ok(Ino::from(ino))
    }

    fn link(&mut self, parent: Ino, name: &[u8], target: Ino) -> FsResult<()> {
        Ok(self.do_link(ino32(parent)?, name, ino32(target)?)?)
    }

    fn unlink(&mut self, parent: Ino, name: &[u8]) -> FsResult<()> {
        Ok(self.do_unlink(ino32(parent)?, name)?)
    }

    fn rmdir(&mut self, parent: Ino, name: &[u8]) -> FsResult<()> {
        Ok(self.do_rmdir(ino32(parent)?, name)?)
    }

    fn set_attrs(&mut self, ino: Ino, attrs: &Attrs) -> FsResult<()> {
        Ok(self.do_set_attrs(ino32(ino)?, attrs)?)
    }

    fn set_xattrs(&mut self, ino: Ino, xattrs: &[(Vec<u8>, Vec<u8>)]) -> FsResult<()> {
        let ino = ino32(ino)?;
        self.kind(ino)?;
        Ok(self.replace_xattrs(ino, xattrs)?)
    }

    fn write(&mut self, ino: Ino, offset: u64, data: &[u8]) -> FsResult<()> {
        let ino = ino32(ino)?;
        self.regular(ino)?;
        Ok(self.write_data(ino, offset, data)?)
    }

    fn set_size(&mut self, ino: Ino, size: u64) -> FsResult<()> {
        let ino = ino32(ino)?;
        self.regular(ino)?;
        Ok(self.truncate(ino, size)?)
    }

    fn allocate(&mut self, ino: Ino, offset: u64, len: u64) -> FsResult<Vec<(u64, u64)>> {
        let ino = ino32(ino)?;
        self.regular(ino)?;
        Ok(self.allocate_range(ino, offset, len)?)
    }
}

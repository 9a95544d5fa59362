//! Extended attributes of an inode: the in-inode area plus one EA block, encoded by
//! `xattr.rs`; shared EA blocks from lower images are copied on write.

use blockio::{ReadAt, WriteAt};

use crate::error::{Ext4Error, Result, corrupt};
use crate::volume::Ext4;
use crate::xattr::{Xattr, encode, parse_block, parse_ibody};

const EA_REFCOUNT: usize = 4;

impl<D: ReadAt + WriteAt> Ext4<D> {
    /// All extended attributes of an inode (in-inode first, then the EA block).
    pub fn xattrs(&mut self, ino: u32) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let inode = &self.inode(ino)?.inode;
        let mut out = Vec::new();
        if let Some(r) = inode.ibody_range() {
            let list = parse_ibody(&inode.raw[r])
                .map_err(|e| corrupt(format!("inode {ino} xattrs: {e}")))?;
            out.extend(list);
        }
        let acl = inode.file_acl();
        if acl != 0 {
            if acl >= self.geo.blocks_count {
                return Err(corrupt(format!(
                    "inode {ino} EA block is outside the filesystem"
                )));
            }
            let data = self.read_meta(acl)?;
            out.extend(parse_block(&data).map_err(|e| corrupt(format!("EA block {acl}: {e}")))?);
        }
        Ok(out.into_iter().map(|x| (x.name, x.value)).collect())
    }

    /// Drops the inode's reference to its EA block: freed at refcount 1, else decremented.
    pub(crate) fn release_ea_block(&mut self, ino: u32) -> Result<()> {
        let st = self.inode(ino)?;
        let blk = st.inode.file_acl();
        if blk == 0 {
            return Ok(());
        }
        st.inode.set_file_acl(0);
        let sectors = st.inode.blocks_512().saturating_sub(8);
        st.inode.set_fs_blocks(sectors / 8);
        st.dirty = true;
        if blk >= self.geo.blocks_count {
            return Err(corrupt(format!(
                "inode {ino} EA block is outside the filesystem"
            )));
        }
        let data = self.cache.get_mut(&self.dev, blk)?;
        let rc = u32::from_le_bytes([
            data[EA_REFCOUNT],
            data[EA_REFCOUNT + 1],
            data[EA_REFCOUNT + 2],
            data[EA_REFCOUNT + 3],
        ]);
        if rc > 1 {
            data[EA_REFCOUNT..EA_REFCOUNT + 4].copy_from_slice(&(rc - 1).to_le_bytes());
            Ok(())
        } else {
            self.free_blocks(blk, 1)
        }
    }

    /// Replaces every extended attribute of the inode.
    pub(crate) fn replace_xattrs(&mut self, ino: u32, xattrs: &[(Vec<u8>, Vec<u8>)]) -> Result<()> {
        let list: Vec<Xattr> = xattrs
            .iter()
            .map(|(n, v)| Xattr {
                name: n.clone(),
                value: v.clone(),
            })
            .collect();
        let range = self.inode(ino)?.inode.ibody_range();
        let space = range.as_ref().map_or(0, |r| r.len());
        let bs = self.geo.block_size as usize;
        let layout = encode(&list, space, bs).map_err(|e| Ext4Error::Xattr(e.to_string()))?;
        self.release_ea_block(ino)?;
        let blk = match layout.block {
            Some(data) => {
                let goal = self.extent_map_goal(ino);
                let (b, _) = self.alloc_blocks(goal, 1)?;
                self.cache.create(b, false).copy_from_slice(&data);
                Some(b)
            }
            None => None,
        };
        let st = self.inode(ino)?;
        if let Some(r) = range {
            match layout.ibody {
                Some(bytes) if bytes.len() == r.len() => st.inode.raw[r].copy_from_slice(&bytes),
                Some(_) => return Err(Ext4Error::Xattr("in-inode area has the wrong size".into())),
                None => st.inode.raw[r].fill(0),
            }
        }
        if let Some(b) = blk {
            st.inode.set_file_acl(b);
            let blocks = st.inode.blocks_512() / 8 + 1;
            st.inode.set_fs_blocks(blocks);
        }
        st.dirty = true;
        Ok(())
    }

    /// Allocation goal for an inode's EA block: after its data, if it has any loaded.
    fn extent_map_goal(&self, ino: u32) -> Option<u64> {
        let map = self.inodes.get(&ino)?.map.as_ref()?;
        map.last().map(|e| e.pblk + u64::from(e.len))
    }
}

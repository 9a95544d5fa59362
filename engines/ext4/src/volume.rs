//! The filesystem handle: superblock, descriptors, caches of inodes and directories, and
//! opening an existing image.

use std::collections::{BTreeSet, HashMap};

use blockio::{ReadAt, WriteAt};

use crate::cache::BlockCache;
use crate::directory::DirState;
use crate::error::{Ext4Error, Result, corrupt};
use crate::extent::ExtentMap;
use crate::groups::{Geometry, GroupDesc, parse_table};
use crate::htree::HashParams;
use crate::inode::{FL_EXTENTS, Inode};
use crate::superblock::{FLAG_UNSIGNED_HASH, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE, Superblock};

/// Cumulative I/O counters, for benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlushStats {
    /// Metadata blocks written to the device (bitmaps, tables, directories, extent blocks...).
    pub metadata_blocks_written: u64,
    /// File content bytes written straight to the device.
    pub data_bytes_written: u64,
}

pub(crate) struct InodeState {
    pub inode: Inode,
    /// Extent map, loaded on first use for extent-mapped inodes.
    pub map: Option<ExtentMap>,
    pub dirty: bool,
}

/// A mutable ext4 filesystem on a device; metadata changes are cached until [`Ext4::flush`].
pub struct Ext4<D> {
    pub(crate) dev: D,
    pub(crate) sb: Superblock,
    pub(crate) geo: Geometry,
    pub(crate) descs: Vec<GroupDesc>,
    pub(crate) dirty_groups: BTreeSet<u32>,
    pub(crate) cache: BlockCache,
    pub(crate) inodes: HashMap<u32, InodeState>,
    pub(crate) dirs: HashMap<u32, DirState>,
    pub(crate) hash: HashParams,
    /// Lowest block that may be free; first-fit allocation starts here.
    pub(crate) block_cursor: u64,
    /// Lowest inode number that may be free.
    pub(crate) inode_cursor: u32,
    pub(crate) sb_dirty: bool,
    pub(crate) stats: FlushStats,
    pub(crate) data_at_last_flush: u64,
    /// Blocks freed since the last flush are held back from reuse (see `set_defer_frees`).
    pub(crate) defer_frees: bool,
    pub(crate) deferred_frees: Vec<(u64, u64)>,
}

impl<D: ReadAt + WriteAt> Ext4<D> {
    /// Opens an existing filesystem; unsupported features are refused with their names.
    pub fn open(dev: D) -> Result<Self> {
        let mut raw = [0u8; SUPERBLOCK_SIZE];
        dev.read_zero_fill(SUPERBLOCK_OFFSET, &mut raw)?;
        let sb = Superblock::from_bytes(&raw)?;
        sb.check_supported()?;
        let geo = Geometry::from_superblock(&sb)?;
        if geo
            .blocks_count
            .checked_mul(geo.block_size)
            .is_none_or(|end| end > dev.size())
        {
            return Err(Ext4Error::BadDeviceSize(dev.size()));
        }
        let table_len = usize::try_from(geo.desc_blocks * geo.block_size)
            .map_err(|_| corrupt("descriptor table too large"))?;
        let mut table = vec![0u8; table_len];
        dev.read_exact_at(geo.block_size, &mut table)?;
        let descs = parse_table(&geo, &table)?;
        Ok(Self::assemble(dev, sb, geo, descs))
    }

    pub(crate) fn assemble(dev: D, sb: Superblock, geo: Geometry, descs: Vec<GroupDesc>) -> Self {
        let hash = HashParams {
            version: sb.def_hash_version(),
            unsigned: sb.flags() & FLAG_UNSIGNED_HASH != 0,
            seed: sb.hash_seed(),
        };
        let inode_cursor = sb.first_ino();
        Ext4 {
            cache: BlockCache::new(geo.block_size as usize),
            dev,
            sb,
            geo,
            descs,
            dirty_groups: BTreeSet::new(),
            inodes: HashMap::new(),
            dirs: HashMap::new(),
            hash,
            block_cursor: 0,
            inode_cursor,
            sb_dirty: false,
            stats: FlushStats::default(),
            data_at_last_flush: 0,
            defer_frees: false,
            deferred_frees: Vec::new(),
        }
    }

    /// Counters since this handle was created.
    pub fn stats(&self) -> FlushStats {
        self.stats
    }

    pub fn block_size(&self) -> u64 {
        self.geo.block_size
    }

    /// Free blocks and free inodes as the superblock counts them.
    pub fn free_counts(&self) -> (u64, u32) {
        (self.sb.free_blocks(), self.sb.free_inodes_count())
    }

    /// The device, for reading; writes must go through the filesystem.
    pub fn device(&self) -> &D {
        &self.dev
    }

    /// The device itself, e.g. to add TurboOCI remote records to its upper layer. Writing file
    /// system blocks through it behind the filesystem's back corrupts the filesystem.
    pub fn device_mut(&mut self) -> &mut D {
        &mut self.dev
    }

    /// Keeps blocks freed from now on out of allocation until the next flush. TurboOCI needs
    /// it: the layer's remote records are added after the tar has been applied, so a block that
    /// backed a file deleted later in the same layer must not take another role before then.
    pub fn set_defer_frees(&mut self, on: bool) {
        self.defer_frees = on;
    }

    /// Flushes and hands the device back.
    pub fn into_inner(mut self) -> Result<D> {
        self.flush()?;
        Ok(self.dev)
    }

    pub(crate) fn check_ino(&self, ino: u32) -> Result<()> {
        if ino == 0 || ino > self.sb.inodes_count() {
            return Err(corrupt(format!("inode number {ino} is out of range")));
        }
        Ok(())
    }

    /// Table block and byte offset of an inode.
    pub(crate) fn inode_loc(&self, ino: u32) -> Result<(u64, usize)> {
        self.check_ino(ino)?;
        let idx = ino - 1;
        let g = idx / self.geo.inodes_per_group;
        let within = u64::from(idx % self.geo.inodes_per_group) * self.geo.inode_size as u64;
        let desc = self
            .descs
            .get(g as usize)
            .ok_or_else(|| corrupt("inode group missing"))?;
        Ok((
            desc.inode_table + within / self.geo.block_size,
            (within % self.geo.block_size) as usize,
        ))
    }

    /// The cached inode, read from its table on first use.
    pub(crate) fn inode(&mut self, ino: u32) -> Result<&mut InodeState> {
        if !self.inodes.contains_key(&ino) {
            let (blk, off) = self.inode_loc(ino)?;
            let isz = self.geo.inode_size;
            let data = self.cache.get(&self.dev, blk)?;
            let inode = Inode {
                raw: data[off..off + isz].to_vec(),
            };
            self.inodes.insert(
                ino,
                InodeState {
                    inode,
                    map: None,
                    dirty: false,
                },
            );
        }
        self.inodes.get_mut(&ino).ok_or(Ext4Error::NotFound)
    }

    /// Installs a freshly built inode (replacing whatever the table held).
    pub(crate) fn put_new_inode(&mut self, ino: u32, inode: Inode) {
        let map = (inode.flags() & FL_EXTENTS != 0).then(|| ExtentMap {
            dirty: true,
            ..ExtentMap::default()
        });
        self.inodes.insert(
            ino,
            InodeState {
                inode,
                map,
                dirty: true,
            },
        );
    }

    /// A metadata block as the filesystem currently sees it (cached copy first).
    pub(crate) fn read_meta(&self, blk: u64) -> Result<Vec<u8>> {
        if let Some(b) = self.cache.peek(blk) {
            return Ok(b.to_vec());
        }
        let mut buf = vec![0u8; self.geo.block_size as usize];
        self.dev
            .read_zero_fill(blk * self.geo.block_size, &mut buf)?;
        Ok(buf)
    }

    /// The inode's extent map (loading the tree), or an error for block-mapped inodes.
    pub(crate) fn extent_map(&mut self, ino: u32) -> Result<&mut ExtentMap> {
        let st = self.inode(ino)?;
        if st.map.is_none() {
            let flags = st.inode.flags();
            let root = st.inode.i_block().to_vec();
            let map = if flags & FL_EXTENTS != 0 {
                let blocks = self.geo.blocks_count;
                ExtentMap::parse(&root, blocks, &mut |b| self.read_meta(b))?
            } else {
                crate::indirect::load(&root, self.geo.blocks_count, &mut |b| self.read_meta(b))?
            };
            let st = self.inode(ino)?;
            st.map = Some(map);
        }
        self.inode(ino)?
            .map
            .as_mut()
            .ok_or_else(|| corrupt("extent map missing"))
    }
}

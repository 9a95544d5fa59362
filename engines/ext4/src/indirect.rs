//! Reading classic block maps (direct, indirect, double and triple indirect blocks) of inodes
//! inherited from lower images, converted to an extent map; a rebuilt inode becomes
//! extent-mapped, and the old indirect blocks are released like extent tree blocks.

use crate::error::{Result, corrupt};
use crate::extent::{Extent, ExtentMap};

const ADDR_PER_BLOCK: u64 = 1024;

pub fn load(
    root: &[u8],
    blocks_count: u64,
    read: &mut dyn FnMut(u64) -> Result<Vec<u8>>,
) -> Result<ExtentMap> {
    let mut map = ExtentMap::default();
    let ptr = |i: usize| {
        u64::from(u32::from_le_bytes([
            root[i * 4],
            root[i * 4 + 1],
            root[i * 4 + 2],
            root[i * 4 + 3],
        ]))
    };
    let mut push = |map: &mut ExtentMap, lblk: u64, pblk: u64| -> Result<()> {
        if pblk >= blocks_count {
            return Err(corrupt("block map points outside the filesystem"));
        }
        let lblk = u32::try_from(lblk).map_err(|_| corrupt("block map too large"))?;
        map.insert(Extent {
            lblk,
            pblk,
            len: 1,
            uninit: false,
        });
        Ok(())
    };
    for i in 0..12 {
        let p = ptr(i);
        if p != 0 {
            push(&mut map, i as u64, p)?;
        }
    }
    let mut base = 12u64;
    for (slot, level) in [(12usize, 1u32), (13, 2), (14, 3)] {
        let p = ptr(slot);
        if p != 0 {
            walk(p, level, base, blocks_count, read, &mut map, &mut push)?;
        }
        base += ADDR_PER_BLOCK.pow(level);
    }
    map.dirty = false;
    Ok(map)
}

type Push<'a> = dyn FnMut(&mut ExtentMap, u64, u64) -> Result<()> + 'a;

fn walk(
    blk: u64,
    level: u32,
    base: u64,
    blocks_count: u64,
    read: &mut dyn FnMut(u64) -> Result<Vec<u8>>,
    map: &mut ExtentMap,
    push: &mut Push<'_>,
) -> Result<()> {
    if blk >= blocks_count {
        return Err(corrupt("indirect block outside the filesystem"));
    }
    map.tree_blocks.push(blk);
    let data = read(blk)?;
    let span = ADDR_PER_BLOCK.pow(level - 1);
    for (i, c) in data
        .chunks_exact(4)
        .take(ADDR_PER_BLOCK as usize)
        .enumerate()
    {
        let p = u64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        if p == 0 {
            continue;
        }
        let lblk = base + i as u64 * span;
        if level == 1 {
            push(map, lblk, p)?;
        } else {
            walk(p, level - 1, lblk, blocks_count, read, map, push)?;
        }
    }
    Ok(())
}

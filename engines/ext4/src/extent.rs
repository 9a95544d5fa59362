//! Extent maps: the flat, sorted list of a file's mappings kept in memory, read from and
//! rebuilt into the on-disk extent tree (in-inode root, leaf and index blocks).

use crate::error::{Result, corrupt};

pub const MAGIC: u16 = 0xF30A;
pub const MAX_INIT_LEN: u32 = 32768;
pub const MAX_UNINIT_LEN: u32 = 32767;
const ROOT_CAPACITY: usize = 4;
const MAX_DEPTH: u16 = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extent {
    pub lblk: u32,
    pub pblk: u64,
    pub len: u32,
    pub uninit: bool,
}

impl Extent {
    pub fn end(&self) -> u64 {
        u64::from(self.lblk) + u64::from(self.len)
    }
    fn max_len(&self) -> u32 {
        if self.uninit {
            MAX_UNINIT_LEN
        } else {
            MAX_INIT_LEN
        }
    }
    /// Whether `next` continues this extent logically and physically.
    fn joins(&self, next: &Extent) -> bool {
        self.uninit == next.uninit
            && self.end() == u64::from(next.lblk)
            && self.pblk + u64::from(self.len) == next.pblk
            && self.len + next.len <= self.max_len()
    }
}

/// A piece of a logical range: mapped to `pblk` or a hole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    pub lblk: u32,
    pub len: u32,
    pub pblk: Option<u64>,
    pub uninit: bool,
}

#[derive(Clone, Debug, Default)]
pub struct ExtentMap {
    pub exts: Vec<Extent>,
    /// Blocks of the on-disk tree (leaves and index nodes), reused when it is rebuilt.
    pub tree_blocks: Vec<u64>,
    pub dirty: bool,
}

fn rd16(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn rd32(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

/// Parses a tree node (header + entries); `expect_depth` guards against loops.
fn parse_node(
    node: &[u8],
    expect_depth: Option<u16>,
    blocks_count: u64,
    read: &mut dyn FnMut(u64) -> Result<Vec<u8>>,
    out: &mut ExtentMap,
) -> Result<()> {
    if node.len() < 12 || rd16(node, 0) != MAGIC {
        return Err(corrupt("extent header magic is wrong"));
    }
    let entries = usize::from(rd16(node, 2));
    let max = usize::from(rd16(node, 4));
    let depth = rd16(node, 6);
    if entries > max || 12 + max * 12 > node.len() || depth > MAX_DEPTH {
        return Err(corrupt("extent header counts are impossible"));
    }
    if expect_depth.is_some_and(|d| d != depth) {
        return Err(corrupt("extent tree depth is inconsistent"));
    }
    for i in 0..entries {
        let e = &node[12 + i * 12..24 + i * 12];
        if depth == 0 {
            let raw_len = u32::from(rd16(e, 4));
            let (len, uninit) = if raw_len > MAX_INIT_LEN {
                (raw_len - MAX_INIT_LEN, true)
            } else {
                (raw_len, false)
            };
            let pblk = (u64::from(rd16(e, 6)) << 32) | u64::from(rd32(e, 8));
            let ext = Extent {
                lblk: rd32(e, 0),
                pblk,
                len,
                uninit,
            };
            if len == 0
                || pblk
                    .checked_add(u64::from(len))
                    .is_none_or(|end| end > blocks_count)
            {
                return Err(corrupt("extent points outside the filesystem"));
            }
            if out
                .exts
                .last()
                .is_some_and(|p| p.end() > u64::from(ext.lblk))
            {
                return Err(corrupt("extents overlap or are out of order"));
            }
            out.exts.push(ext);
        } else {
            let child = (u64::from(rd16(e, 8)) << 32) | u64::from(rd32(e, 4));
            if child == 0 || child >= blocks_count || out.tree_blocks.len() > 1 << 24 {
                return Err(corrupt("extent index points outside the filesystem"));
            }
            out.tree_blocks.push(child);
            let data = read(child)?;
            parse_node(&data, Some(depth - 1), blocks_count, read, out)?;
        }
    }
    Ok(())
}

impl ExtentMap {
    /// Reads the tree rooted in i_block, fetching child blocks through `read`.
    pub fn parse(
        root: &[u8],
        blocks_count: u64,
        read: &mut dyn FnMut(u64) -> Result<Vec<u8>>,
    ) -> Result<Self> {
        let mut m = ExtentMap::default();
        parse_node(root, None, blocks_count, read, &mut m)?;
        Ok(m)
    }

    /// Index of the extent containing `lblk`, or where one would be inserted.
    fn search(&self, lblk: u32) -> std::result::Result<usize, usize> {
        let i = self.exts.partition_point(|e| e.lblk <= lblk);
        if i > 0 && self.exts[i - 1].end() > u64::from(lblk) {
            Ok(i - 1)
        } else {
            Err(i)
        }
    }

    /// Splits the logical range into mapped pieces and holes.
    pub fn runs(&self, lblk: u32, count: u32) -> Vec<Run> {
        let mut out = Vec::new();
        let end = u64::from(lblk) + u64::from(count);
        let mut pos = u64::from(lblk);
        let mut i = match self.search(lblk) {
            Ok(i) | Err(i) => i,
        };
        while pos < end {
            match self.exts.get(i) {
                Some(e) if u64::from(e.lblk) <= pos => {
                    let off = pos - u64::from(e.lblk);
                    let n = (e.end().min(end) - pos) as u32;
                    out.push(Run {
                        lblk: pos as u32,
                        len: n,
                        pblk: Some(e.pblk + off),
                        uninit: e.uninit,
                    });
                    pos += u64::from(n);
                    i += 1;
                }
                next => {
                    let stop = next.map_or(end, |e| u64::from(e.lblk).min(end));
                    out.push(Run {
                        lblk: pos as u32,
                        len: (stop - pos) as u32,
                        pblk: None,
                        uninit: false,
                    });
                    pos = stop;
                }
            }
        }
        out
    }

    /// Maps a hole; neighbouring extents that continue it are merged.
    pub fn insert(&mut self, ext: Extent) {
        self.dirty = true;
        let i = match self.search(ext.lblk) {
            Ok(i) | Err(i) => i,
        };
        let mut pieces = Vec::new();
        let mut rest = ext;
        while rest.len > 0 {
            let n = rest.len.min(rest.max_len());
            pieces.push(Extent { len: n, ..rest });
            rest.lblk += n;
            rest.pblk += u64::from(n);
            rest.len -= n;
        }
        let count = pieces.len();
        self.exts.splice(i..i, pieces);
        self.merge_around(i, count);
    }

    /// Merges extents in `[start - 1, start + count]` where they join.
    fn merge_around(&mut self, start: usize, count: usize) {
        let lo = start.saturating_sub(1);
        let mut hi = (start + count).min(self.exts.len().saturating_sub(1));
        let mut j = lo;
        while j < hi {
            let (a, b) = (self.exts[j], self.exts[j + 1]);
            if a.joins(&b) {
                self.exts[j].len += b.len;
                self.exts.remove(j + 1);
                hi -= 1;
            } else {
                j += 1;
            }
        }
    }

    /// Makes `lblk` the start of an extent if it falls inside one.
    pub fn split_at(&mut self, lblk: u32) {
        if let Ok(i) = self.search(lblk) {
            let e = self.exts[i];
            if e.lblk != lblk {
                let head = lblk - e.lblk;
                self.exts[i].len = head;
                self.exts.insert(
                    i + 1,
                    Extent {
                        lblk,
                        pblk: e.pblk + u64::from(head),
                        len: e.len - head,
                        uninit: e.uninit,
                    },
                );
                self.dirty = true;
            }
        }
    }

    /// Marks the mapped part of `[lblk, lblk + count)` initialised.
    pub fn mark_init(&mut self, lblk: u32, count: u32) {
        let end = u64::from(lblk) + u64::from(count);
        self.split_at(lblk);
        if end <= u64::from(u32::MAX) {
            self.split_at(end as u32);
        }
        let first = self.exts.partition_point(|e| e.lblk < lblk);
        let mut n = 0;
        for e in self.exts[first..].iter_mut() {
            if u64::from(e.lblk) >= end {
                break;
            }
            if e.uninit {
                e.uninit = false;
                self.dirty = true;
            }
            n += 1;
        }
        self.merge_around(first, n);
    }

    /// Unmaps every block at or after `lblk`; returns the freed physical ranges.
    pub fn truncate(&mut self, lblk: u32) -> Vec<(u64, u64)> {
        self.split_at(lblk);
        let first = self.exts.partition_point(|e| e.lblk < lblk);
        if first < self.exts.len() {
            self.dirty = true;
        }
        self.exts
            .drain(first..)
            .map(|e| (e.pblk, u64::from(e.len)))
            .collect()
    }

    pub fn data_blocks(&self) -> u64 {
        self.exts.iter().map(|e| u64::from(e.len)).sum()
    }

    pub fn last(&self) -> Option<&Extent> {
        self.exts.last()
    }

    /// Number of tree blocks the current extents need (0 when they fit in the inode).
    pub fn blocks_needed(&self, block_size: usize) -> usize {
        let cap = (block_size - 12) / 12;
        let mut nodes = self.exts.len();
        let mut total = 0;
        while nodes > ROOT_CAPACITY {
            nodes = nodes.div_ceil(cap);
            total += nodes;
        }
        total
    }

    /// Encodes the tree into `root` (60 bytes) and blocks numbered from `blocks` (exactly
    /// `blocks_needed` of them); returns the block images.
    pub fn build(&self, root: &mut [u8], blocks: &[u64], block_size: usize) -> Vec<(u64, Vec<u8>)> {
        let cap = (block_size - 12) / 12;
        let mut out = Vec::new();
        let mut next_block = blocks.iter().copied();
        // Current level: (first lblk, entry bytes) per node entry.
        let mut level: Vec<(u32, [u8; 12])> =
            self.exts.iter().map(|e| (e.lblk, leaf_entry(e))).collect();
        let mut depth = 0u16;
        while level.len() > ROOT_CAPACITY {
            let mut parents = Vec::new();
            for chunk in level.chunks(cap) {
                let blk = next_block.next().unwrap_or(0);
                let mut data = vec![0u8; block_size];
                write_node(&mut data, chunk, cap, depth);
                out.push((blk, data));
                parents.push((chunk[0].0, index_entry(chunk[0].0, blk)));
            }
            level = parents;
            depth += 1;
        }
        root[..60].fill(0);
        write_node(root, &level, ROOT_CAPACITY, depth);
        out
    }
}

fn leaf_entry(e: &Extent) -> [u8; 12] {
    let mut b = [0u8; 12];
    b[0..4].copy_from_slice(&e.lblk.to_le_bytes());
    let len = if e.uninit {
        e.len + MAX_INIT_LEN
    } else {
        e.len
    };
    b[4..6].copy_from_slice(&(len as u16).to_le_bytes());
    b[6..8].copy_from_slice(&((e.pblk >> 32) as u16).to_le_bytes());
    b[8..12].copy_from_slice(&(e.pblk as u32).to_le_bytes());
    b
}

fn index_entry(lblk: u32, child: u64) -> [u8; 12] {
    let mut b = [0u8; 12];
    b[0..4].copy_from_slice(&lblk.to_le_bytes());
    b[4..8].copy_from_slice(&(child as u32).to_le_bytes());
    b[8..10].copy_from_slice(&((child >> 32) as u16).to_le_bytes());
    b
}

fn write_node(buf: &mut [u8], entries: &[(u32, [u8; 12])], max: usize, depth: u16) {
    buf[0..2].copy_from_slice(&MAGIC.to_le_bytes());
    buf[2..4].copy_from_slice(&(entries.len() as u16).to_le_bytes());
    buf[4..6].copy_from_slice(&(max as u16).to_le_bytes());
    buf[6..8].copy_from_slice(&depth.to_le_bytes());
    for (i, (_, e)) in entries.iter().enumerate() {
        buf[12 + i * 12..24 + i * 12].copy_from_slice(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn ext(lblk: u32, pblk: u64, len: u32) -> Extent {
        Extent {
            lblk,
            pblk,
            len,
            uninit: false,
        }
    }

    #[test]
    fn insert_merges_and_caps_length() {
        let mut m = ExtentMap::default();
        m.insert(ext(0, 100, 10));
        m.insert(ext(10, 110, 10));
        assert_eq!(m.exts, vec![ext(0, 100, 20)]);
        m.insert(ext(20, 120, 40000));
        assert_eq!(m.exts.len(), 3);
        assert!(m.exts.iter().all(|e| e.len <= MAX_INIT_LEN));
        assert_eq!(m.exts[1].len, MAX_INIT_LEN);
        assert_eq!(m.data_blocks(), 40020);
    }

    #[test]
    fn runs_and_truncate() {
        let mut m = ExtentMap::default();
        m.insert(ext(5, 50, 5));
        m.insert(ext(20, 80, 5));
        let r = m.runs(0, 30);
        assert_eq!(r.len(), 5);
        assert_eq!(
            r[1],
            Run {
                lblk: 5,
                len: 5,
                pblk: Some(50),
                uninit: false
            }
        );
        assert_eq!(r[2].pblk, None);
        let freed = m.truncate(7);
        assert_eq!(freed, vec![(52, 3), (80, 5)]);
        assert_eq!(m.exts, vec![ext(5, 50, 2)]);
    }

    #[test]
    fn deep_trees_round_trip() {
        for n in [0usize, 3, 4, 5, 340, 1361, 340 * 4 + 1, 340 * 340 + 7] {
            let mut m = ExtentMap::default();
            for i in 0..n {
                m.exts.push(ext(i as u32 * 2, 1000 + i as u64 * 2, 1));
            }
            let need = m.blocks_needed(4096);
            let blocks: Vec<u64> = (0..need as u64).map(|b| 10_000_000 + b).collect();
            let mut root = [0u8; 60];
            let imgs = m.build(&mut root, &blocks, 4096);
            assert_eq!(imgs.len(), need);
            let store: HashMap<u64, Vec<u8>> = imgs.into_iter().collect();
            let back = ExtentMap::parse(&root, 20_000_000, &mut |b| {
                store.get(&b).cloned().ok_or_else(|| corrupt("missing"))
            })
            .unwrap();
            assert_eq!(back.exts, m.exts, "n = {n}");
            assert_eq!(back.tree_blocks.len(), need);
        }
    }
}

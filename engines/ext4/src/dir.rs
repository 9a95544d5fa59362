//! ext4 directory blocks: parsing linear and hash-indexed directories, and building them anew.
//!
//! Directories are always rewritten whole: one linear block when everything fits, otherwise an
//! htree with fully packed leaves sorted by hash (the layout `e2fsck -D` produces).

use super::htree::{HASH_TEA, HashParams, dx_hash};

/// One named directory entry (never `.` or `..`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub inode: u32,
    /// 1 reg, 2 dir, 3 chr, 4 blk, 5 fifo, 6 sock, 7 symlink.
    pub file_type: u8,
    pub name: Vec<u8>,
}

/// A parsed directory: the `.` and `..` inode numbers and the other live entries in disk order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedDir {
    pub dot: u32,
    pub dotdot: u32,
    pub entries: Vec<DirEntry>,
}

/// A built directory: `data` is a whole number of blocks; `indexed` asks for EXT4_INDEX_FL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirImage {
    pub data: Vec<u8>,
    pub indexed: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DirError {
    #[error("block size {0} is not a power of two between 1024 and 65536")]
    BadBlockSize(usize),
    #[error("directory data of {0} bytes is not a non-zero whole number of blocks")]
    BadLength(usize),
    #[error("directory entry at byte {offset} has an invalid record length {rec_len}")]
    BadRecLen { offset: usize, rec_len: usize },
    #[error("directory entry at byte {offset} has a name length {name_len} beyond its record")]
    BadNameLen { offset: usize, name_len: usize },
    #[error("directory entry at byte {0} is in use but has an empty name")]
    EmptyName(usize),
    #[error("the directory does not start with '.' and '..' entries")]
    MissingDots,
    #[error("directory entry at byte {0} is an extra '.' or '..'")]
    MisplacedDot(usize),
    #[error("the htree root block is malformed")]
    BadDxRoot,
    #[error("entry name length {0} is not between 1 and 255 bytes")]
    BadNameLength(usize),
    #[error("entry name {0:?} contains '/' or NUL or is '.' or '..'")]
    InvalidName(Vec<u8>),
    #[error("entry {0:?} has inode number 0")]
    ZeroInode(Vec<u8>),
    #[error("entry name {0:?} appears more than once")]
    DuplicateName(Vec<u8>),
    #[error("hash version {0} is not legacy, half_md4 or tea")]
    BadHashVersion(u8),
    #[error("{0} leaf blocks are more than a two-level htree can index")]
    TooManyEntries(usize),
}

const DIRENT_HEADER: usize = 8;
const MAX_NAME: usize = 255;
const FT_DIR: u8 = 2;
/// Offsets inside the dx root block: `.` (12 bytes), `..` header, then dx_root_info.
const DX_ROOT_INFO: usize = 24;
const DX_ROOT_ENTRIES: usize = 32;
/// A dx node block starts with an empty dirent covering the block (8 bytes).
const DX_NODE_ENTRIES: usize = 8;
const DX_ENTRY: usize = 8;
/// The low bit of a dx entry hash: this leaf continues the previous leaf's last hash.
const CONTINUED: u32 = 1;

fn check_block_size(block_size: usize) -> Result<(), DirError> {
    if block_size.is_power_of_two() && (1024..=65536).contains(&block_size) {
        Ok(())
    } else {
        Err(DirError::BadBlockSize(block_size))
    }
}

/// Record length of an entry with a name of `name_len` bytes: header + name, 4-byte aligned.
fn rec_len_for(name_len: usize) -> usize {
    (DIRENT_HEADER + name_len + 3) & !3
}

/// 64 KiB blocks store a whole-block record length as 65535 (or 0); see ext4_rec_len_from_disk.
fn decode_rec_len(raw: u16, block_size: usize) -> usize {
    if block_size >= 65536 && (raw == 0 || raw == u16::MAX) {
        65536
    } else {
        usize::from(raw)
    }
}

fn encode_rec_len(len: usize) -> u16 {
    u16::try_from(len).unwrap_or(u16::MAX)
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// One raw dirent as found on disk.
struct RawEntry<'a> {
    offset: usize,
    inode: u32,
    file_type: u8,
    name: &'a [u8],
}

/// Walks the dirents of one block, validating each record against the block bounds.
fn block_entries(
    block: &[u8],
    base: usize,
    block_size: usize,
) -> impl Iterator<Item = Result<RawEntry<'_>, DirError>> {
    let mut off = 0usize;
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || off >= block.len() {
            return None;
        }
        let offset = base + off;
        let Some(head) = block.get(off..off + DIRENT_HEADER) else {
            failed = true;
            return Some(Err(DirError::BadRecLen {
                offset,
                rec_len: block.len() - off,
            }));
        };
        let inode = le32(head, 0);
        let rec_len = decode_rec_len(le16(head, 4), block_size);
        let name_len = usize::from(head[6]);
        let file_type = head[7];
        if rec_len < DIRENT_HEADER || !rec_len.is_multiple_of(4) || rec_len > block.len() - off {
            failed = true;
            return Some(Err(DirError::BadRecLen { offset, rec_len }));
        }
        if DIRENT_HEADER + name_len > rec_len {
            failed = true;
            return Some(Err(DirError::BadNameLen { offset, name_len }));
        }
        let name = &block[off + DIRENT_HEADER..off + DIRENT_HEADER + name_len];
        off += rec_len;
        Some(Ok(RawEntry {
            offset,
            inode,
            file_type,
            name,
        }))
    })
}

/// Checks the dx root header that follows `.` and `..` in block 0 of an indexed directory.
fn check_dx_root(block0: &[u8], block_size: usize) -> Result<(), DirError> {
    let dot_len = decode_rec_len(le16(block0, 4), block_size);
    let dotdot_len = decode_rec_len(le16(block0, 16), block_size);
    let info_len = usize::from(block0[DX_ROOT_INFO + 5]);
    let levels = block0[DX_ROOT_INFO + 6];
    // Three index levels exist only with the large_dir feature; more is never valid.
    if dot_len != 12 || dotdot_len != block_size - 12 || info_len < 8 || levels > 2 {
        return Err(DirError::BadDxRoot);
    }
    Ok(())
}

/// Parses a whole directory (its blocks in logical order).
///
/// dx root and node blocks need no special casing: their index data hides inside the `..`
/// record and inside empty whole-block records, exactly as the htree format intends.
pub fn parse_dir(data: &[u8], block_size: usize, indexed: bool) -> Result<ParsedDir, DirError> {
    check_block_size(block_size)?;
    if data.is_empty() || !data.len().is_multiple_of(block_size) {
        return Err(DirError::BadLength(data.len()));
    }
    let mut dot = None;
    let mut dotdot = None;
    let mut entries = Vec::new();
    for (b, block) in data.chunks_exact(block_size).enumerate() {
        for (i, raw) in block_entries(block, b * block_size, block_size).enumerate() {
            let raw = raw?;
            if b == 0 && i < 2 {
                let want: &[u8] = if i == 0 { b"." } else { b".." };
                if raw.name != want || raw.inode == 0 {
                    return Err(DirError::MissingDots);
                }
                if i == 0 {
                    dot = Some(raw.inode)
                } else {
                    dotdot = Some(raw.inode)
                }
                continue;
            }
            if raw.inode == 0 {
                continue;
            }
            if raw.name.is_empty() {
                return Err(DirError::EmptyName(raw.offset));
            }
            if raw.name == b"." || raw.name == b".." {
                return Err(DirError::MisplacedDot(raw.offset));
            }
            entries.push(DirEntry {
                inode: raw.inode,
                file_type: raw.file_type,
                name: raw.name.to_vec(),
            });
        }
    }
    let (Some(dot), Some(dotdot)) = (dot, dotdot) else {
        return Err(DirError::MissingDots);
    };
    if indexed {
        check_dx_root(&data[..block_size], block_size)?;
    }
    Ok(ParsedDir {
        dot,
        dotdot,
        entries,
    })
}

fn check_entries(entries: &[DirEntry]) -> Result<(), DirError> {
    for e in entries {
        if e.name.is_empty() || e.name.len() > MAX_NAME {
            return Err(DirError::BadNameLength(e.name.len()));
        }
        if e.name == b"." || e.name == b".." || e.name.iter().any(|&c| c == b'/' || c == 0) {
            return Err(DirError::InvalidName(e.name.clone()));
        }
        if e.inode == 0 {
            return Err(DirError::ZeroInode(e.name.clone()));
        }
    }
    let mut names: Vec<&[u8]> = entries.iter().map(|e| e.name.as_slice()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(DirError::DuplicateName(w[0].to_vec()));
    }
    Ok(())
}

/// Writes one dirent at `off` and returns the offset after it.
fn put_dirent(
    block: &mut [u8],
    off: usize,
    inode: u32,
    rec_len: usize,
    file_type: u8,
    name: &[u8],
) -> usize {
    block[off..off + 4].copy_from_slice(&inode.to_le_bytes());
    block[off + 4..off + 6].copy_from_slice(&encode_rec_len(rec_len).to_le_bytes());
    block[off + 6] = name.len() as u8;
    block[off + 7] = file_type;
    block[off + 8..off + 8 + name.len()].copy_from_slice(name);
    off + rec_len
}

/// Lays out `entries` in one block; the last record absorbs the free tail of the block.
fn fill_block(block: &mut [u8], mut off: usize, entries: &[&DirEntry]) {
    let end = block.len();
    for (i, e) in entries.iter().enumerate() {
        let rec = if i + 1 == entries.len() {
            end - off
        } else {
            rec_len_for(e.name.len())
        };
        off = put_dirent(block, off, e.inode, rec, e.file_type, &e.name);
    }
}

/// Builds the directory content for `entries` (plus `.` and `..`).
pub fn build_dir(
    self_ino: u32,
    parent_ino: u32,
    entries: &[DirEntry],
    params: &HashParams,
    block_size: usize,
) -> Result<DirImage, DirError> {
    check_block_size(block_size)?;
    check_entries(entries)?;
    let dots = 2 * rec_len_for(2);
    let total: usize = dots
        + entries
            .iter()
            .map(|e| rec_len_for(e.name.len()))
            .sum::<usize>();
    if total <= block_size {
        let mut block = vec![0u8; block_size];
        let dot_end = put_dirent(&mut block, 0, self_ino, 12, FT_DIR, b".");
        let dotdot_len = if entries.is_empty() {
            block_size - 12
        } else {
            12
        };
        let off = put_dirent(&mut block, dot_end, parent_ino, dotdot_len, FT_DIR, b"..");
        let refs: Vec<&DirEntry> = entries.iter().collect();
        fill_block(&mut block, off, &refs);
        return Ok(DirImage {
            data: block,
            indexed: false,
        });
    }
    if params.version > HASH_TEA {
        return Err(DirError::BadHashVersion(params.version));
    }
    build_htree(self_ino, parent_ino, entries, params, block_size)
}

/// A leaf block: a run of the hash-sorted entries and the dx hash that leads to it.
struct Leaf {
    range: std::ops::Range<usize>,
    dx_hash: u32,
}

/// Packs hash-sorted entries into full leaves, moving a run of equal major hashes to the next
/// leaf when it would straddle the boundary, unless the run alone fills the leaf.
fn pack_leaves(sorted: &[(u32, u32, &DirEntry)], block_size: usize) -> Vec<Leaf> {
    let mut leaves = Vec::new();
    let mut start = 0;
    while start < sorted.len() {
        let mut used = 0;
        let mut end = start;
        while end < sorted.len() {
            let rec = rec_len_for(sorted[end].2.name.len());
            if used + rec > block_size {
                break;
            }
            used += rec;
            end += 1;
        }
        if end < sorted.len() && sorted[end].0 == sorted[end - 1].0 {
            let run_start = (start..end)
                .rev()
                .take_while(|&k| sorted[k].0 == sorted[end].0)
                .last();
            if let Some(k) = run_start.filter(|&k| k > start) {
                end = k;
            }
        }
        let first = sorted[start].0;
        let continued = start > 0 && sorted[start - 1].0 == first;
        leaves.push(Leaf {
            range: start..end,
            dx_hash: first | if continued { CONTINUED } else { 0 },
        });
        start = end;
    }
    leaves
}

/// Writes a dx count/limit header followed by (hash, block) entries at `off`.
fn put_dx_entries(block: &mut [u8], off: usize, limit: usize, targets: &[(u32, u32)]) {
    block[off..off + 2].copy_from_slice(&(limit as u16).to_le_bytes());
    block[off + 2..off + 4].copy_from_slice(&(targets.len() as u16).to_le_bytes());
    for (i, &(hash, blk)) in targets.iter().enumerate() {
        let at = off + i * DX_ENTRY;
        // The first entry's hash slot holds count/limit; its hash is implicitly 0.
        if i > 0 {
            block[at..at + 4].copy_from_slice(&hash.to_le_bytes());
        }
        block[at + 4..at + 8].copy_from_slice(&blk.to_le_bytes());
    }
}

fn build_htree(
    self_ino: u32,
    parent_ino: u32,
    entries: &[DirEntry],
    params: &HashParams,
    block_size: usize,
) -> Result<DirImage, DirError> {
    let mut sorted: Vec<(u32, u32, &DirEntry)> = entries
        .iter()
        .map(|e| {
            let (major, minor) = dx_hash(&e.name, params);
            (major, minor, e)
        })
        .collect();
    sorted.sort_unstable_by(|a, b| (a.0, a.1, &a.2.name).cmp(&(b.0, b.1, &b.2.name)));
    layout_htree(self_ino, parent_ino, &sorted, params.version, block_size)
}

/// Lays out entries already sorted by (major, minor, name) as a dx root, leaves and nodes.
fn layout_htree(
    self_ino: u32,
    parent_ino: u32,
    sorted: &[(u32, u32, &DirEntry)],
    hash_version: u8,
    block_size: usize,
) -> Result<DirImage, DirError> {
    let leaves = pack_leaves(sorted, block_size);

    let root_limit = (block_size - DX_ROOT_ENTRIES) / DX_ENTRY;
    let node_limit = (block_size - DX_NODE_ENTRIES) / DX_ENTRY;
    let nodes = if leaves.len() <= root_limit {
        0
    } else {
        leaves.len().div_ceil(node_limit)
    };
    if nodes > root_limit {
        return Err(DirError::TooManyEntries(leaves.len()));
    }
    // Block 0 is the root, leaves follow in hash order, interior nodes come last.
    let nblocks = 1 + leaves.len() + nodes;
    let mut data = vec![0u8; nblocks * block_size];
    let (root, rest) = data.split_at_mut(block_size);
    let off = put_dirent(root, 0, self_ino, 12, FT_DIR, b".");
    put_dirent(root, off, parent_ino, block_size - 12, FT_DIR, b"..");
    root[DX_ROOT_INFO + 4] = hash_version;
    root[DX_ROOT_INFO + 5] = 8;
    root[DX_ROOT_INFO + 6] = u8::from(nodes > 0);

    let mut leaf_targets = Vec::with_capacity(leaves.len());
    for (i, leaf) in leaves.iter().enumerate() {
        let block = &mut rest[i * block_size..(i + 1) * block_size];
        let refs: Vec<&DirEntry> = sorted[leaf.range.clone()].iter().map(|s| s.2).collect();
        fill_block(block, 0, &refs);
        leaf_targets.push((leaf.dx_hash, (1 + i) as u32));
    }
    if nodes == 0 {
        put_dx_entries(root, DX_ROOT_ENTRIES, root_limit, &leaf_targets);
    } else {
        let mut node_targets = Vec::with_capacity(nodes);
        for (j, chunk) in leaf_targets.chunks(node_limit).enumerate() {
            let blk = 1 + leaves.len() + j;
            let block = &mut rest[(blk - 1) * block_size..blk * block_size];
            put_dirent(block, 0, 0, block_size, 0, b"");
            put_dx_entries(block, DX_NODE_ENTRIES, node_limit, chunk);
            node_targets.push((chunk[0].0, blk as u32));
        }
        put_dx_entries(root, DX_ROOT_ENTRIES, root_limit, &node_targets);
    }
    Ok(DirImage {
        data,
        indexed: true,
    })
}

#[cfg(test)]
mod tests {
    use super::super::htree::HASH_HALF_MD4;
    use super::*;
    use crate::e2fsprogs_test::{Scratch, debugfs, have_tools, mkfs, tool};
    use std::path::Path;
    use std::process::Command;

    const BS: usize = 4096;
    const HALF_MD4: HashParams = HashParams {
        version: HASH_HALF_MD4,
        unsigned: false,
        seed: [7, 11, 13, 17],
    };

    fn name_for(i: usize) -> Vec<u8> {
        let mut name = format!("n{i:x}_").into_bytes();
        // Lengths cycle through 1..=255 overall; some names carry bytes >= 0x80.
        let extra = (i * 37) % 240;
        name.extend((0..extra).map(|k| {
            if i.is_multiple_of(3) {
                0x80 + (k % 0x7f) as u8
            } else {
                b'a' + (k % 26) as u8
            }
        }));
        name
    }

    fn make_entries(n: usize) -> Vec<DirEntry> {
        (0..n)
            .map(|i| DirEntry {
                inode: 12 + i as u32,
                file_type: 1 + (i % 7) as u8,
                name: name_for(i),
            })
            .collect()
    }

    fn sorted_by_name(mut v: Vec<DirEntry>) -> Vec<DirEntry> {
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    /// Reads the dx entries (hash, block) of a root (at 32) or node (at 8) block.
    fn dx_entries(block: &[u8], at: usize) -> Vec<(u32, u32)> {
        let count = usize::from(le16(block, at + 2));
        (0..count)
            .map(|i| {
                let p = at + i * DX_ENTRY;
                (if i == 0 { 0 } else { le32(block, p) }, le32(block, p + 4))
            })
            .collect()
    }

    /// Index of the last dx entry whose hash is <= `hash`; like the kernel, the raw value with
    /// the continuation bit is compared, so a continued leaf is reached only by scanning on.
    fn probe(entries: &[(u32, u32)], hash: u32) -> usize {
        entries.iter().rposition(|&(h, _)| h <= hash).unwrap_or(0)
    }

    /// Kernel-style lookup: descend the index, then scan the leaf and any continuation leaves.
    fn lookup(data: &[u8], name: &[u8], hash: u32) -> Option<u32> {
        let root = &data[..BS];
        let levels = root[DX_ROOT_INFO + 6];
        let mut path = vec![(dx_entries(root, DX_ROOT_ENTRIES), 0usize)];
        for _ in 0..levels {
            let (entries, _) = path.last().unwrap();
            let i = probe(entries, hash);
            let blk = entries[i].1 as usize;
            path.last_mut().unwrap().1 = i;
            path.push((
                dx_entries(&data[blk * BS..(blk + 1) * BS], DX_NODE_ENTRIES),
                0,
            ));
        }
        let (entries, _) = path.last().unwrap();
        let mut idx = probe(entries, hash);
        let mut level = path.len() - 1;
        path[level].1 = idx;
        loop {
            let blk = path[level].0[path[level].1].1 as usize;
            let block = &data[blk * BS..(blk + 1) * BS];
            for e in block_entries(block, 0, BS) {
                let e = e.unwrap();
                if e.inode != 0 && e.name == name {
                    return Some(e.inode);
                }
            }
            // Move to the next leaf only if its dx hash continues our hash.
            idx += 1;
            let (entries, _) = &path[level];
            let next = if idx < entries.len() {
                Some(entries[idx])
            } else if level > 0 && path[level - 1].1 + 1 < path[level - 1].0.len() {
                let up = path[level - 1].1 + 1;
                path[level - 1].1 = up;
                let nblk = path[level - 1].0[up].1 as usize;
                let node = dx_entries(&data[nblk * BS..(nblk + 1) * BS], DX_NODE_ENTRIES);
                let cont = path[level - 1].0[up].0;
                path[level] = (node, 0);
                idx = 0;
                Some((cont, path[level].0[0].1))
            } else {
                None
            };
            match next {
                Some((h, _)) if h & 1 == 1 && h & !1 == hash => {
                    path[level].1 = idx;
                }
                _ => return None,
            }
            level = path.len() - 1;
        }
    }

    /// Every leaf's hashes lie within the bounds its dx entries give, in sorted order.
    fn check_leaf_ranges(data: &[u8], params: &HashParams) {
        let root = &data[..BS];
        let mut leaves = Vec::new();
        if root[DX_ROOT_INFO + 6] == 0 {
            leaves = dx_entries(root, DX_ROOT_ENTRIES);
        } else {
            for (i, (h, blk)) in dx_entries(root, DX_ROOT_ENTRIES).into_iter().enumerate() {
                let blk = blk as usize;
                let mut node = dx_entries(&data[blk * BS..(blk + 1) * BS], DX_NODE_ENTRIES);
                if i > 0 {
                    node[0].0 = h;
                }
                leaves.extend(node);
            }
        }
        let mut last_hash = 0;
        for (i, &(lower, blk)) in leaves.iter().enumerate() {
            let upper = leaves.get(i + 1).map_or(u32::MAX, |l| l.0 & !1);
            let blk = blk as usize;
            for e in block_entries(&data[blk * BS..(blk + 1) * BS], 0, BS) {
                let e = e.unwrap();
                let h = dx_hash(e.name, params).0;
                assert!(
                    h >= lower & !1 && h <= upper,
                    "leaf {i}: hash {h:#x} outside {lower:#x}..{upper:#x}"
                );
                assert!(h >= last_hash, "hashes out of order");
                last_hash = h;
            }
        }
    }

    #[test]
    fn round_trips_small_and_large() {
        for n in [0, 1, 2, 100, 10_000, 200_000] {
            let entries = make_entries(n);
            let img = build_dir(5, 2, &entries, &HALF_MD4, BS).unwrap();
            assert_eq!(img.data.len() % BS, 0);
            let parsed = parse_dir(&img.data, BS, img.indexed).unwrap();
            assert_eq!((parsed.dot, parsed.dotdot), (5, 2));
            if img.indexed {
                assert_eq!(
                    sorted_by_name(parsed.entries),
                    sorted_by_name(entries),
                    "n={n}"
                );
            } else {
                assert_eq!(
                    parsed.entries, entries,
                    "linear dirs keep the given order, n={n}"
                );
            }
            assert_eq!(img.indexed, n >= 100, "n={n}");
            if n == 200_000 {
                assert_eq!(
                    img.data[DX_ROOT_INFO + 6],
                    1,
                    "200k entries need a node level"
                );
            }
            if n == 10_000 {
                assert_eq!(img.data[DX_ROOT_INFO + 6], 0);
            }
        }
    }

    #[test]
    fn lookups_find_every_name_and_leaves_respect_hash_ranges() {
        for (n, params) in [
            (3_000, HALF_MD4),
            (
                200_000,
                HashParams {
                    version: 2,
                    unsigned: true,
                    seed: [0; 4],
                },
            ),
            (
                5_000,
                HashParams {
                    version: 0,
                    unsigned: false,
                    seed: [0; 4],
                },
            ),
        ] {
            let entries = make_entries(n);
            let img = build_dir(5, 2, &entries, &params, BS).unwrap();
            assert_eq!(img.data[DX_ROOT_INFO + 4], params.version);
            check_leaf_ranges(&img.data, &params);
            for e in entries.iter().step_by(7) {
                let h = dx_hash(&e.name, &params).0;
                assert_eq!(lookup(&img.data, &e.name, h), Some(e.inode), "{:?}", e.name);
            }
        }
    }

    #[test]
    fn output_is_deterministic_and_order_independent() {
        let entries = make_entries(2_000);
        let a = build_dir(5, 2, &entries, &HALF_MD4, BS).unwrap();
        let mut rev = entries.clone();
        rev.reverse();
        let b = build_dir(5, 2, &rev, &HALF_MD4, BS).unwrap();
        assert_eq!(a, b);
    }

    /// Equal-hash runs stay in one leaf when they can, and carry the continuation bit when not.
    #[test]
    fn equal_hash_runs_and_continuation_bits() {
        let entries: Vec<DirEntry> = (0..3_000)
            .map(|i| DirEntry {
                inode: 100 + i,
                file_type: 1,
                name: format!("same-hash-{i:05}").into_bytes(),
            })
            .collect();
        // Fake hashes: runs of 5 equal hashes, and one run of 1000 that must span leaves.
        let hash_of = |i: usize| -> u32 {
            if (1000..2000).contains(&i) {
                0x4000_0000
            } else {
                ((i / 5) as u32) << 20
            }
        };
        let sorted: Vec<(u32, u32, &DirEntry)> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (hash_of(i), 0, e))
            .collect();
        let mut sorted = sorted;
        sorted.sort_by(|a, b| (a.0, &a.2.name).cmp(&(b.0, &b.2.name)));
        let img = layout_htree(5, 2, &sorted, 1, BS).unwrap();
        let leaves = dx_entries(&img.data[..BS], DX_ROOT_ENTRIES);
        let by_name = |n: &[u8]| hash_of(entries.iter().position(|e| e.name == n).unwrap());
        let mut continued = 0;
        for (i, &(h, blk)) in leaves.iter().enumerate() {
            let blk = blk as usize;
            let names: Vec<Vec<u8>> = block_entries(&img.data[blk * BS..(blk + 1) * BS], 0, BS)
                .map(|e| e.unwrap().name.to_vec())
                .collect();
            let first = by_name(&names[0]);
            if i > 0 {
                assert_eq!(h & !1, first);
            }
            if h & 1 == 1 {
                continued += 1;
                assert_eq!(
                    first, 0x4000_0000,
                    "only the oversized run may straddle leaves"
                );
            }
        }
        assert!(
            continued >= 1,
            "the 1000-entry run needs continuation leaves"
        );
        for e in &entries {
            let h = by_name(&e.name);
            assert_eq!(lookup(&img.data, &e.name, h), Some(e.inode));
        }
    }

    #[test]
    fn build_rejects_bad_entries() {
        let e = |name: &[u8], inode| DirEntry {
            inode,
            file_type: 1,
            name: name.to_vec(),
        };
        let p = &HALF_MD4;
        assert_eq!(
            build_dir(2, 2, &[e(b"", 3)], p, BS),
            Err(DirError::BadNameLength(0))
        );
        assert_eq!(
            build_dir(2, 2, &[e(&[b'x'; 256], 3)], p, BS),
            Err(DirError::BadNameLength(256))
        );
        assert!(matches!(
            build_dir(2, 2, &[e(b"a/b", 3)], p, BS),
            Err(DirError::InvalidName(_))
        ));
        assert!(matches!(
            build_dir(2, 2, &[e(b"..", 3)], p, BS),
            Err(DirError::InvalidName(_))
        ));
        assert!(matches!(
            build_dir(2, 2, &[e(b"a", 0)], p, BS),
            Err(DirError::ZeroInode(_))
        ));
        assert_eq!(
            build_dir(2, 2, &[e(b"a", 3), e(b"b", 4), e(b"a", 5)], p, BS),
            Err(DirError::DuplicateName(b"a".to_vec()))
        );
        assert_eq!(
            build_dir(2, 2, &[], p, 3000),
            Err(DirError::BadBlockSize(3000))
        );
        let bad_version = HashParams {
            version: 3,
            ..HALF_MD4
        };
        assert_eq!(
            build_dir(2, 2, &make_entries(500), &bad_version, BS),
            Err(DirError::BadHashVersion(3))
        );
        // 1 KiB blocks: 124 root slots x 127 node slots x 3 long names per leaf < 48,000.
        let long: Vec<DirEntry> = (0..48_000u32)
            .map(|i| {
                let mut name = format!("{i:08}").into_bytes();
                name.resize(255, b'z');
                e(&name, 12)
            })
            .collect();
        assert!(matches!(
            build_dir(2, 2, &long, p, 1024),
            Err(DirError::TooManyEntries(_))
        ));
    }

    #[test]
    fn parse_rejects_corrupt_data() {
        let img = build_dir(5, 2, &make_entries(3), &HALF_MD4, BS)
            .unwrap()
            .data;
        assert_eq!(
            parse_dir(&img[..100], BS, false),
            Err(DirError::BadLength(100))
        );
        assert_eq!(parse_dir(&[], BS, false), Err(DirError::BadLength(0)));
        let mut bad = img.clone();
        bad[24 + 4..24 + 6].copy_from_slice(&0u16.to_le_bytes());
        assert_eq!(
            parse_dir(&bad, BS, false),
            Err(DirError::BadRecLen {
                offset: 24,
                rec_len: 0
            })
        );
        let mut bad = img.clone();
        bad[24 + 4..24 + 6].copy_from_slice(&4100u16.to_le_bytes());
        assert!(matches!(
            parse_dir(&bad, BS, false),
            Err(DirError::BadRecLen { .. })
        ));
        let mut bad = img.clone();
        bad[24 + 6] = 255;
        assert!(matches!(
            parse_dir(&bad, BS, false),
            Err(DirError::BadNameLen { offset: 24, .. })
        ));
        let mut bad = img.clone();
        bad[8] = b'x';
        assert_eq!(parse_dir(&bad, BS, false), Err(DirError::MissingDots));
        // A linear block is not a dx root.
        assert_eq!(parse_dir(&img, BS, true), Err(DirError::BadDxRoot));
        // A deleted entry (inode 0) is skipped.
        let mut del = img.clone();
        del[24..28].fill(0);
        assert_eq!(parse_dir(&del, BS, false).unwrap().entries.len(), 2);
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..3000),
                              flips in proptest::collection::vec((0usize..8192, proptest::prelude::any::<u8>()), 0..16),
                              indexed in proptest::prelude::any::<bool>()) {
            let _ = parse_dir(&data, 1024, indexed);
            let mut img = build_dir(5, 2, &make_entries(60), &HALF_MD4, 1024).unwrap().data;
            let len = img.len();
            for (at, v) in flips {
                img[at % len] = v;
            }
            let _ = parse_dir(&img, 1024, indexed);
        }
    }

    // ---- real-tool tests (e2fsprogs) ----

    fn stat_field(img: &Path, path: &str, field: &str) -> u32 {
        let out = debugfs(img, format!("stat {path}\n").as_bytes(), false);
        let at = out
            .find(field)
            .unwrap_or_else(|| panic!("no {field} in {out}"))
            + field.len();
        let word = out[at..].split_whitespace().next().unwrap();
        match word.strip_prefix("0x") {
            Some(hex) => u32::from_str_radix(hex, 16).unwrap(),
            None => word.parse().unwrap(),
        }
    }

    fn dir_blocks(img: &Path, path: &str) -> Vec<u64> {
        let out = debugfs(img, format!("blocks {path}\n").as_bytes(), false);
        let line = out
            .lines()
            .find(|l| !l.starts_with("debugfs"))
            .unwrap_or("");
        line.split_whitespace()
            .map(|w| w.parse().unwrap())
            .collect()
    }

    fn read_dir_data(img: &Path, blocks: &[u64]) -> Vec<u8> {
        use std::os::unix::fs::FileExt;
        let file = std::fs::File::open(img).unwrap();
        let mut data = vec![0u8; blocks.len() * BS];
        for (chunk, &b) in data.chunks_mut(BS).zip(blocks) {
            file.read_exact_at(chunk, b * BS as u64).unwrap();
        }
        data
    }

    /// (inode, name) pairs from `ls -p`, which prints /ino/mode/uid/gid/name/size/ per line.
    fn ls_names(img: &Path, path: &str) -> Vec<(u32, Vec<u8>)> {
        let file = img.with_extension("cmds");
        std::fs::write(&file, format!("ls -p {path}\n")).unwrap();
        let out = Command::new(tool("debugfs").unwrap())
            .arg("-f")
            .arg(&file)
            .arg(img)
            .output()
            .unwrap();
        let mut v: Vec<(u32, Vec<u8>)> = out
            .stdout
            .split(|&c| c == b'\n')
            .filter(|l| l.first() == Some(&b'/'))
            .map(|l| {
                let parts: Vec<&[u8]> = l.split(|&c| c == b'/').collect();
                (
                    std::str::from_utf8(parts[1]).unwrap().parse().unwrap(),
                    parts[5].to_vec(),
                )
            })
            .filter(|(ino, n)| *ino != 0 && n != b"." && n != b"..")
            .collect();
        v.sort_by(|a, b| a.1.cmp(&b.1));
        v
    }

    fn tool_names(n: usize) -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| {
                let mut name = format!("f{i}-").into_bytes();
                name.extend((0..(i * 13) % 60).map(|k| {
                    if i % 4 == 0 {
                        0xc0 + (k % 0x3f) as u8
                    } else {
                        b'a' + (k % 26) as u8
                    }
                }));
                name
            })
            .collect()
    }

    #[test]
    fn parses_directories_written_by_debugfs_and_e2fsck() {
        if !have_tools() {
            return;
        }
        let tmp = Scratch::new("dir-parse");
        let img = tmp.0.join("fs.img");
        mkfs(&img);
        let names = tool_names(2_000);
        let mut cmds = b"mkdir d\ncd d\n".to_vec();
        for n in &names {
            cmds.extend_from_slice(b"mknod ");
            cmds.extend_from_slice(n);
            cmds.extend_from_slice(b" p\n");
        }
        debugfs(&img, &cmds, true);
        let d_ino = stat_field(&img, "d", "Inode:");
        let mut expected: Vec<Vec<u8>> = names.clone();
        expected.sort();
        // First as debugfs leaves it (linear), then after e2fsck -D re-indexes it.
        for pass in ["linear", "htree"] {
            if pass == "htree" {
                let st = Command::new(tool("e2fsck").unwrap())
                    .args(["-fyD"])
                    .arg(&img)
                    .output()
                    .unwrap();
                assert!(st.status.code().unwrap_or(8) < 4, "e2fsck -fyD failed");
            }
            let indexed = stat_field(&img, "d", "Flags:") & 0x1000 != 0;
            assert_eq!(indexed, pass == "htree");
            let data = read_dir_data(&img, &dir_blocks(&img, "d"));
            let parsed = parse_dir(&data, BS, indexed).unwrap();
            assert_eq!((parsed.dot, parsed.dotdot), (d_ino, 2));
            let mut got: Vec<(u32, Vec<u8>)> = parsed
                .entries
                .iter()
                .map(|e| (e.inode, e.name.clone()))
                .collect();
            got.sort_by(|a, b| a.1.cmp(&b.1));
            assert_eq!(got, ls_names(&img, "d"), "{pass}");
            assert_eq!(
                got.iter().map(|g| g.1.clone()).collect::<Vec<_>>(),
                expected,
                "{pass}"
            );
            assert!(parsed.entries.iter().all(|e| e.file_type == 5));
        }
    }

    /// How a built directory is checked against a fresh image.
    struct Case {
        tag: &'static str,
        n: usize,
        name_len: usize,
        version: u8,
        unsigned: bool,
        zero_seed: bool,
        /// Build with the opposite signedness of the superblock: e2fsck must object.
        wrong_sign: bool,
    }

    const CASE: Case = Case {
        tag: "",
        n: 1_500,
        name_len: 40,
        version: 1,
        unsigned: false,
        zero_seed: false,
        wrong_sign: false,
    };

    /// Writes a built directory into the blocks of a fresh directory /d (grown to the same
    /// block count with expand_dir), fixes the inode flags and link counts, runs e2fsck -fn.
    /// Returns the index depth and whether e2fsck found the image clean.
    fn check_with_e2fsck(case: &Case) -> (u8, bool) {
        use std::os::unix::fs::FileExt;
        let tmp = Scratch::new(&format!("dir-{}", case.tag));
        let img = tmp.0.join("fs.img");
        mkfs(&img);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&img)
            .unwrap();
        let mut sb = vec![0u8; 1024];
        file.read_exact_at(&mut sb, 1024).unwrap();
        if case.zero_seed {
            sb[0xEC..0xFC].fill(0);
        }
        sb[0xFC] = case.version;
        let flags = u32::from_le_bytes(sb[0x160..0x164].try_into().unwrap());
        let flags = (flags & !3) | if case.unsigned { 2 } else { 1 };
        sb[0x160..0x164].copy_from_slice(&flags.to_le_bytes());
        file.write_all_at(&sb, 1024).unwrap();
        let seed: Vec<u32> = sb[0xEC..0xFC]
            .chunks(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        let params = HashParams {
            version: case.version,
            unsigned: case.unsigned != case.wrong_sign,
            seed: seed.try_into().unwrap(),
        };

        debugfs(
            &img,
            b"write /dev/null f\nsymlink s /target\nmkdir d\n",
            true,
        );
        let (f, s, d) = (
            stat_field(&img, "f", "Inode:"),
            stat_field(&img, "s", "Inode:"),
            stat_field(&img, "d", "Inode:"),
        );
        let entries: Vec<DirEntry> = (0..case.n)
            .map(|i| {
                let mut name = format!("{i}.").into_bytes();
                let len = case.name_len.max(name.len()) - (i % 3);
                name.extend((name.len()..len).map(|k| {
                    if i % 2 == 0 {
                        0x80 + ((k * 7 + i) % 0x7f) as u8
                    } else {
                        b'A' + (k % 26) as u8
                    }
                }));
                let (inode, file_type) = if i % 5 == 0 { (s, 7) } else { (f, 1) };
                DirEntry {
                    inode,
                    file_type,
                    name,
                }
            })
            .collect();
        let built = build_dir(d, 2, &entries, &params, BS).unwrap();
        let nblocks = built.data.len() / BS;
        let links_s = 1 + entries.iter().filter(|e| e.inode == s).count();
        let links_f = 1 + case.n + 1 - links_s;
        let dflags = stat_field(&img, "d", "Flags:") | if built.indexed { 0x1000 } else { 0 };
        let mut cmds = String::new();
        for _ in 1..nblocks {
            cmds.push_str("expand_dir d\n");
        }
        cmds.push_str(&format!(
            "sif d flags {dflags:#x}\nsif f links_count {links_f}\nsif s links_count {links_s}\n"
        ));
        debugfs(&img, cmds.as_bytes(), true);
        let blocks = dir_blocks(&img, "d");
        assert_eq!(blocks.len(), nblocks);
        for (chunk, &b) in built.data.chunks(BS).zip(&blocks) {
            file.write_all_at(chunk, b * BS as u64).unwrap();
        }
        drop(file);
        let out = Command::new(tool("e2fsck").unwrap())
            .arg("-fn")
            .arg(&img)
            .output()
            .unwrap();
        let clean = out.status.success();
        if clean {
            let mut want: Vec<(u32, Vec<u8>)> =
                entries.iter().map(|e| (e.inode, e.name.clone())).collect();
            want.sort_by(|a, b| a.1.cmp(&b.1));
            let listed = ls_names(&img, "d");
            assert_eq!(listed.len(), want.len());
            assert!(listed == want, "debugfs ls differs from the built entries");
        } else if !case.wrong_sign {
            panic!("e2fsck -fn: {}", String::from_utf8_lossy(&out.stdout));
        }
        (built.data[DX_ROOT_INFO + 6], clean)
    }

    fn e2fsck_case(case: Case) -> u8 {
        if !have_tools() {
            return 0;
        }
        let (levels, clean) = check_with_e2fsck(&case);
        assert_eq!(clean, !case.wrong_sign, "{}", case.tag);
        levels
    }

    #[test]
    fn e2fsck_accepts_legacy_hash_dirs() {
        e2fsck_case(Case {
            tag: "legacy-s",
            version: 0,
            ..CASE
        });
        e2fsck_case(Case {
            tag: "legacy-u",
            version: 0,
            unsigned: true,
            ..CASE
        });
    }

    #[test]
    fn e2fsck_accepts_half_md4_dirs() {
        e2fsck_case(Case {
            tag: "md4-s",
            ..CASE
        });
        e2fsck_case(Case {
            tag: "md4-u",
            unsigned: true,
            ..CASE
        });
        e2fsck_case(Case {
            tag: "md4-zero",
            zero_seed: true,
            ..CASE
        });
        e2fsck_case(Case {
            tag: "linear",
            n: 20,
            ..CASE
        });
    }

    #[test]
    fn e2fsck_accepts_tea_dirs() {
        e2fsck_case(Case {
            tag: "tea-s",
            version: 2,
            ..CASE
        });
        e2fsck_case(Case {
            tag: "tea-u",
            version: 2,
            unsigned: true,
            ..CASE
        });
    }

    #[test]
    fn e2fsck_accepts_two_level_dir() {
        // Long names push past 508 leaves: the root indexes dx nodes.
        let levels = e2fsck_case(Case {
            tag: "twolevel",
            n: 10_000,
            name_len: 250,
            ..CASE
        });
        assert!(levels == 1 || !have_tools());
    }

    #[test]
    fn e2fsck_rejects_wrong_hash_signedness() {
        // Guards the checks above: a hash mismatch must be visible to e2fsck.
        e2fsck_case(Case {
            tag: "wrongsign",
            wrong_sign: true,
            ..CASE
        });
    }
}

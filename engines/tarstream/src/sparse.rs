//! GNU sparse maps in their four encodings, turned into data segments.

use crate::entry::Segment;
use crate::error::TarError;
use crate::number::{parse_decimal, parse_field};

/// Old GNU header map entries: 12-byte offset then 12-byte numbytes.
const OLD_ENTRY: usize = 24;

/// Appends the (offset, numbytes) entries of an old GNU map area (the 4 entries in the header
/// or the 21 of an extension block). An entry whose offset field starts with NUL ends the area.
pub(crate) fn old_gnu_entries(
    area: &[u8],
    map: &mut Vec<(u64, u64)>,
    offset: u64,
) -> Result<(), TarError> {
    let bad = || TarError::BadSparseMap { offset };
    for entry in area.chunks_exact(OLD_ENTRY) {
        let (start, len) = entry.split_at(OLD_ENTRY / 2);
        if start.first() == Some(&0) {
            break;
        }
        let start = parse_field(start).map_err(|_| bad())?;
        let len = parse_field(len).map_err(|_| bad())?;
        map.push((
            u64::try_from(start).map_err(|_| bad())?,
            u64::try_from(len).map_err(|_| bad())?,
        ));
    }
    Ok(())
}

/// PAX 0.1 `GNU.sparse.map`: "offset,numbytes,offset,numbytes,...".
pub(crate) fn map_0_1(text: &[u8], offset: u64) -> Result<Vec<(u64, u64)>, TarError> {
    let bad = || TarError::BadSparseMap { offset };
    let numbers = text
        .split(|&b| b == b',')
        .map(|n| parse_decimal(n).map_err(|_| bad()))
        .collect::<Result<Vec<_>, _>>()?;
    if numbers.len() % 2 != 0 {
        return Err(bad());
    }
    Ok(numbers.chunks_exact(2).map(|p| (p[0], p[1])).collect())
}

/// PAX 1.0 map at the start of the data area: decimal numbers, each ending in '\n', first the
/// entry count then the (offset, numbytes) pairs. Fed block by block.
#[derive(Default)]
pub(crate) struct MapParser {
    numbers: Vec<u64>,
    current: Option<u64>,
    /// 1 + 2 * count, once the count is known.
    expected: Option<u64>,
}

impl MapParser {
    /// Consumes a block; returns true once the whole map has been read (the rest of the block
    /// is padding).
    pub fn feed(&mut self, block: &[u8], offset: u64) -> Result<bool, TarError> {
        let bad = || TarError::BadSparseMap { offset };
        for &b in block {
            if self.is_done() {
                return Ok(true);
            }
            match b {
                b'0'..=b'9' => {
                    let v = self
                        .current
                        .unwrap_or(0)
                        .checked_mul(10)
                        .and_then(|v| v.checked_add(u64::from(b - b'0')))
                        .ok_or_else(bad)?;
                    self.current = Some(v);
                }
                b'\n' => {
                    let v = self.current.take().ok_or_else(bad)?;
                    if self.expected.is_none() {
                        let total = v.checked_mul(2).and_then(|n| n.checked_add(1));
                        self.expected = Some(total.ok_or_else(bad)?);
                    }
                    self.numbers.push(v);
                }
                _ => return Err(bad()),
            }
        }
        Ok(self.is_done())
    }

    fn is_done(&self) -> bool {
        self.expected
            .is_some_and(|n| u64::try_from(self.numbers.len()).is_ok_and(|have| have == n))
    }

    pub fn into_map(self) -> Vec<(u64, u64)> {
        self.numbers
            .get(1..)
            .unwrap_or_default()
            .chunks_exact(2)
            .map(|p| (p[0], p[1]))
            .collect()
    }
}

/// Checks a map against the member (runs in file order, not overlapping, inside the real
/// size; their bytes exactly fill the `stored` data bytes at `data_start`) and returns the
/// non-empty runs as segments plus the real size (the end of the last run when unknown).
pub(crate) fn segments(
    map: &[(u64, u64)],
    real_size: Option<u64>,
    data_start: u64,
    stored: u64,
    offset: u64,
) -> Result<(Vec<Segment>, u64), TarError> {
    let bad = || TarError::BadSparseMap { offset };
    let mut out = Vec::new();
    let mut file_end: u64 = 0;
    let mut tar_offset = data_start;
    let mut total: u64 = 0;
    for &(file_offset, len) in map {
        let end = file_offset.checked_add(len).ok_or_else(bad)?;
        if file_offset < file_end {
            return Err(bad());
        }
        file_end = end;
        if len > 0 {
            out.push(Segment {
                file_offset,
                len,
                tar_offset,
            });
        }
        tar_offset = tar_offset.checked_add(len).ok_or_else(bad)?;
        total = total.checked_add(len).ok_or_else(bad)?;
    }
    let size = real_size.unwrap_or(file_end);
    if total != stored || file_end > size {
        return Err(bad());
    }
    Ok((out, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_1_0_across_blocks() {
        let mut p = MapParser::default();
        assert!(!p.feed(b"2\n0\n40", 0).unwrap());
        assert!(p.feed(b"96\n8192\n512\n\0\0garbage", 0).unwrap());
        assert_eq!(p.into_map(), vec![(0, 4096), (8192, 512)]);
        let mut q = MapParser::default();
        assert!(q.feed(b"1\n\n", 0).is_err());
        let mut r = MapParser::default();
        assert!(r.feed(b"1\n9x\n", 0).is_err());
        let mut s = MapParser::default();
        assert!(s.feed(b"99999999999999999999\n", 0).is_err());
    }

    #[test]
    fn segments_validate_the_map() {
        let (segs, size) =
            segments(&[(0, 10), (100, 5), (200, 0)], Some(300), 1024, 15, 0).unwrap();
        assert_eq!(size, 300);
        assert_eq!(
            segs,
            vec![
                Segment {
                    file_offset: 0,
                    len: 10,
                    tar_offset: 1024
                },
                Segment {
                    file_offset: 100,
                    len: 5,
                    tar_offset: 1034
                },
            ]
        );
        // Overlap, data size mismatch, run past the real size, overflow.
        assert!(segments(&[(0, 10), (5, 5)], None, 0, 15, 0).is_err());
        assert!(segments(&[(0, 10)], None, 0, 11, 0).is_err());
        assert!(segments(&[(0, 10)], Some(9), 0, 10, 0).is_err());
        assert!(segments(&[(u64::MAX, 1)], None, 0, 1, 0).is_err());
        assert_eq!(segments(&[], Some(7), 0, 0, 0).unwrap(), (vec![], 7));
    }

    #[test]
    fn map_0_1_pairs() {
        assert_eq!(map_0_1(b"0,5,10,2", 0).unwrap(), vec![(0, 5), (10, 2)]);
        assert!(map_0_1(b"0,5,10", 0).is_err());
        assert!(map_0_1(b"0,,1", 0).is_err());
    }
}

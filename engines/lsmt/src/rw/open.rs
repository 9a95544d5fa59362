//! Loading existing RW layers: append-mode pairs and sparse data files.

use super::{HEADER_SECTORS, Mode, RwLayer, Target, sectors};
use crate::error::{Error, Result};
use crate::header::{BLOCK_SIZE, Header};
use crate::rangemap::{RangeMap, RangeSet};
use crate::record::{self, RECORD_SIZE, SECTOR};
use crate::rw::MAX_RW_INDEX_RECORDS;
use crate::upper::check_range;
use blockio::{ReadAt, WriteAt};

impl<D: ReadAt + WriteAt, I: WriteAt> RwLayer<D, I> {
    /// Loads a sparse RW data file given its data runs: the `[begin, end)` file byte ranges
    /// that lseek(SEEK_DATA)/lseek(SEEK_HOLE) report from offset 4096 on (the host file
    /// system's view, which a `ReadAt` cannot provide). `index` is the empty INDEX file.
    pub fn open_sparse(
        data: D,
        index: I,
        data_runs: impl IntoIterator<Item = (u64, u64)>,
    ) -> Result<Self> {
        let header = read_block(&data, "RW data header")?;
        if !header.is_header() {
            return Err(Error::BadFlags {
                at: 0,
                flags: header.flags,
                expected: "header block",
            });
        }
        if !header.is_sparse_rw() {
            return Err(Error::WrongMode {
                found: "append",
                expected: "sparse",
            });
        }
        let mut blocks = RangeSet::new();
        for (b, e) in data_runs {
            let Some(len) = e.checked_sub(b).filter(|_| b >= BLOCK_SIZE as u64) else {
                return Err(Error::OutOfRange {
                    offset: b,
                    len: e.saturating_sub(b),
                });
            };
            check_range(b, len)?;
            blocks.insert(sectors(b) - HEADER_SECTORS, sectors(e) - HEADER_SECTORS);
        }
        Ok(RwLayer {
            data,
            index,
            header,
            mode: Mode::Sparse { blocks },
            index_tag: 0,
        })
    }
}

impl<D: ReadAt + WriteAt, I: ReadAt + WriteAt> RwLayer<D, I> {
    /// Loads an append-mode pair written earlier (upstream's open_file_rw): records after the
    /// index header are replayed in file order, later ones overriding earlier ones.
    pub fn open_append(data: D, index: I) -> Result<Self> {
        let header = read_block(&data, "RW data header")?;
        if !header.is_header() {
            return Err(Error::BadFlags {
                at: 0,
                flags: header.flags,
                expected: "header block",
            });
        }
        if header.is_sparse_rw() {
            return Err(Error::WrongMode {
                found: "sparse",
                expected: "append",
            });
        }
        let index_header = read_block(&index, "RW index header")?;
        if !index_header.is_header()
            || index_header.is_data()
            || index_header.is_sealed()
            || index_header.index_offset != BLOCK_SIZE as u64
        {
            return Err(Error::BadFlags {
                at: 0,
                flags: index_header.flags,
                expected: "RW index header with index offset 4096",
            });
        }
        let data_end = data.size();
        if !data_end.is_multiple_of(SECTOR) {
            return Err(Error::UnalignedDataFile { size: data_end });
        }
        let index_end = index.size();
        let count = (index_end - BLOCK_SIZE as u64) / RECORD_SIZE as u64;
        if count > MAX_RW_INDEX_RECORDS {
            return Err(Error::IndexTooLarge {
                count,
                max: MAX_RW_INDEX_RECORDS,
            });
        }
        let mut raw = vec![0u8; count as usize * RECORD_SIZE];
        index.read_exact_at(BLOCK_SIZE as u64, &mut raw)?;
        let mut index0 = RangeMap::new();
        for (i, r) in record::decode_all(&raw).into_iter().enumerate() {
            if !r.within(HEADER_SECTORS, sectors(data_end)) {
                return Err(Error::MoffsetOutOfRange {
                    index: i,
                    moffset: r.moffset,
                    mend: r.mend(),
                    begin: HEADER_SECTORS,
                    end: sectors(data_end),
                });
            }
            let target = Target {
                moffset: r.moffset,
                zeroed: r.zeroed,
            };
            index0.insert(r.offset, r.end(), target);
        }
        Ok(RwLayer {
            data,
            index,
            header,
            mode: Mode::Append {
                index0,
                index_header,
                data_end,
                index_end,
            },
            index_tag: 0,
        })
    }
}

/// Reads and decodes the 4096-byte block at the start of `r`.
pub(crate) fn read_block<R: ReadAt>(r: &R, what: &'static str) -> Result<Header> {
    let size = r.size();
    if size < BLOCK_SIZE as u64 {
        return Err(Error::TooShort { size, what });
    }
    let mut b = vec![0u8; BLOCK_SIZE];
    r.read_exact_at(0, &mut b)?;
    Header::decode(&b, 0)
}

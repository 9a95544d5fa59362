//! The writable (RW) layer in append or sparse mode.

use crate::error::{Error, Result};
use crate::header::{BLOCK_SIZE, FLAG_DATA, FLAG_HEADER, FLAG_SEALED, FLAG_SPARSE_RW, Header};
use crate::rangemap::{Advance, RangeMap, RangeSet};
use crate::record::{MAX_LENGTH, RECORD_SIZE, Record, SECTOR};
use crate::upper::check_range;
use crate::uuid::Uuid;
use blockio::{ReadAt, WriteAt};

mod access;
mod open;

pub(crate) use open::read_block;

/// Upstream splits every write into pieces of at most 4 MiB.
pub const MAX_IO_SIZE: u64 = 4 << 20;
/// Upper bound on records in a RW index file (MAX_LSMT_INDEX_SIZE).
pub const MAX_RW_INDEX_RECORDS: u64 = 128_000_000;
/// Sectors per host file-system block: the granularity of SEEK_DATA in sparse mode.
const BLOCK_SECTORS: u64 = 8;
const HEADER_SECTORS: u64 = BLOCK_SIZE as u64 / SECTOR;

/// Parameters of `overlaybd-create`.
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    pub virtual_size: u64,
    /// `-s`: device byte X lives at data-file byte 4096 + X and nothing is logged.
    pub sparse: bool,
    /// Upstream uses a fresh random UUID; it never reaches a committed layer.
    pub uuid: Uuid,
    pub parent_uuid: Uuid,
}

/// Where an Index0 range's data lives in the data file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target {
    pub moffset: u64,
    pub zeroed: bool,
}

impl Advance for Target {
    fn advance(&mut self, by: u64) {
        if !self.zeroed {
            self.moffset += by;
        }
    }
}

#[derive(Debug)]
enum Mode {
    Append {
        index0: RangeMap<Target>,
        index_header: Header,
        data_end: u64,
        index_end: u64,
    },
    /// Written sectors, tracked as whole 4 KiB blocks like the host file system does.
    Sparse { blocks: RangeSet },
}

/// A writable layer: data file `D`, index file `I` (left empty in sparse mode).
#[derive(Debug)]
pub struct RwLayer<D, I> {
    data: D,
    index: I,
    header: Header,
    mode: Mode,
    index_tag: u8,
}

fn sectors(bytes: u64) -> u64 {
    bytes / SECTOR
}

impl<D: ReadAt + WriteAt, I: WriteAt> RwLayer<D, I> {
    /// Writes fresh headers, as `overlaybd-create [-s]` does.
    pub fn create(mut data: D, mut index: I, opts: &CreateOptions) -> Result<Self> {
        let flags = FLAG_HEADER | FLAG_DATA | if opts.sparse { FLAG_SPARSE_RW } else { 0 };
        let mut header = Header::new(flags, opts.virtual_size);
        header.uuid = opts.uuid;
        header.parent_uuid = opts.parent_uuid;
        data.write_at(0, &header.encode())?;
        let mode = if opts.sparse {
            Mode::Sparse {
                blocks: RangeSet::new(),
            }
        } else {
            let mut index_header = header.clone();
            index_header.flags = FLAG_HEADER;
            index_header.index_offset = BLOCK_SIZE as u64;
            index.write_at(0, &index_header.encode())?;
            Mode::Append {
                index0: RangeMap::new(),
                index_header,
                data_end: BLOCK_SIZE as u64,
                index_end: BLOCK_SIZE as u64,
            }
        };
        Ok(RwLayer {
            data,
            index,
            header,
            mode,
            index_tag: 0,
        })
    }

    /// The data file's header (virtual size, UUIDs).
    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn is_sparse(&self) -> bool {
        matches!(self.mode, Mode::Sparse { .. })
    }

    pub fn virtual_size(&self) -> u64 {
        self.header.virtual_size
    }

    /// Rewrites the headers with a new virtual size (upstream's update_vsize).
    pub fn set_virtual_size(&mut self, vsize: u64) -> Result<()> {
        self.header.virtual_size = vsize;
        self.data.write_at(0, &self.header.encode())?;
        if let Mode::Append { index_header, .. } = &mut self.mode {
            index_header.virtual_size = vsize;
            self.index.write_at(0, &index_header.encode())?;
        }
        Ok(())
    }

    /// Tag stored in appended index records; upstream writes the number of lower layers.
    pub fn set_index_tag(&mut self, tag: u8) {
        self.index_tag = tag;
    }

    pub fn data(&self) -> &D {
        &self.data
    }

    pub fn index(&self) -> &I {
        &self.index
    }

    pub fn into_parts(self) -> (D, I) {
        (self.data, self.index)
    }

    /// Writes sector-aligned `buf` at device byte `offset`.
    pub fn write(&mut self, offset: u64, buf: &[u8]) -> Result<()> {
        check_range(offset, buf.len() as u64)?;
        for (i, piece) in buf.chunks(MAX_IO_SIZE as usize).enumerate() {
            let off = offset + i as u64 * MAX_IO_SIZE;
            self.write_piece(off, piece)?;
        }
        Ok(())
    }

    fn write_piece(&mut self, offset: u64, buf: &[u8]) -> Result<()> {
        let len = buf.len() as u64;
        let (s, e) = (sectors(offset), sectors(offset + len));
        match &mut self.mode {
            Mode::Append {
                index0,
                data_end,
                index_end,
                ..
            } => {
                let pos = *data_end;
                self.data.write_at(pos, buf)?;
                *data_end += len;
                let target = Target {
                    moffset: sectors(pos),
                    zeroed: false,
                };
                index0.insert(s, e, target);
                let rec = Record {
                    tag: self.index_tag,
                    ..Record::data(s, (e - s) as u32, sectors(pos))
                };
                self.index.write_at(*index_end, &rec.encode())?;
                *index_end += RECORD_SIZE as u64;
            }
            Mode::Sparse { blocks } => {
                self.data.write_at(BLOCK_SIZE as u64 + offset, buf)?;
                blocks.insert(
                    s / BLOCK_SECTORS * BLOCK_SECTORS,
                    e.div_ceil(BLOCK_SECTORS) * BLOCK_SECTORS,
                );
            }
        }
        Ok(())
    }

    /// Punches a hole: a zeroed record in append mode; in sparse mode the range reads as
    /// zeros and whole 4 KiB blocks inside it become unmapped, as after a host punch-hole.
    pub fn discard(&mut self, offset: u64, len: u64) -> Result<()> {
        let end = check_range(offset, len)?;
        let (s, e) = (sectors(offset), sectors(end));
        match &mut self.mode {
            Mode::Append {
                index0,
                data_end,
                index_end,
                ..
            } => {
                let mut o = s;
                while o < e {
                    let n = (e - o).min(u64::from(MAX_LENGTH));
                    let moffset = sectors(*data_end);
                    index0.insert(
                        o,
                        o + n,
                        Target {
                            moffset,
                            zeroed: true,
                        },
                    );
                    let rec = Record {
                        tag: self.index_tag,
                        ..Record::zeroed(o, n as u32, moffset)
                    };
                    self.index.write_at(*index_end, &rec.encode())?;
                    *index_end += RECORD_SIZE as u64;
                    o += n;
                }
            }
            Mode::Sparse { blocks } => {
                // Keep the invariant that unmapped file areas hold zeros, so a later write into
                // a freed block sees zeros around it, as a fresh host block would.
                let zeros = vec![0u8; (1 << 20).min(len as usize)];
                let written: Vec<(u64, u64)> = blocks.overlapping(s, e).collect();
                for (ws, we) in written {
                    let mut p = ws * SECTOR;
                    while p < we * SECTOR {
                        let n = (we * SECTOR - p).min(zeros.len() as u64);
                        self.data
                            .write_at(BLOCK_SIZE as u64 + p, &zeros[..n as usize])?;
                        p += n;
                    }
                }
                let first_full = s.div_ceil(BLOCK_SECTORS) * BLOCK_SECTORS;
                let last_full = e / BLOCK_SECTORS * BLOCK_SECTORS;
                blocks.remove(first_full, last_full);
            }
        }
        Ok(())
    }

    /// Reads the layer alone: unmapped bytes read as zeros. Any byte range is allowed.
    pub fn read(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let len = buf.len() as u64;
        if offset.checked_add(len).is_none() {
            return Err(Error::OutOfRange { offset, len });
        }
        let zeros = |_: u64, b: &mut [u8]| {
            b.fill(0);
            Ok(())
        };
        crate::upper::read_merged(self, zeros, offset, buf)?;
        Ok(())
    }

    /// The sorted, non-overlapping mapping list a commit compacts (upstream's Index0 dump).
    pub fn mappings(&self) -> Vec<Record> {
        match &self.mode {
            Mode::Append { index0, .. } => index0
                .iter()
                .map(|(s, e, t)| Record {
                    offset: s,
                    length: (e - s) as u32,
                    moffset: t.moffset,
                    zeroed: t.zeroed,
                    tag: 0,
                })
                .collect(),
            Mode::Sparse { blocks } => {
                let mut out = Vec::new();
                for (mut s, e) in blocks.iter() {
                    while s < e {
                        let n = (e - s).min(u64::from(MAX_LENGTH));
                        out.push(Record::data(s, n as u32, s + HEADER_SECTORS));
                        s += n;
                    }
                }
                out
            }
        }
    }

    /// Appends the index and a sealed trailer to the data file (`overlaybd-commit --seal`).
    pub fn seal(mut self) -> Result<(D, I)> {
        let index_offset = match &self.mode {
            Mode::Append { data_end, .. } => *data_end,
            Mode::Sparse { .. } => self
                .data
                .size()
                .max(BLOCK_SIZE as u64 + self.header.virtual_size),
        };
        let records = self.mappings();
        let mut bytes: Vec<u8> = records.iter().flat_map(|r| r.encode()).collect();
        bytes.resize((bytes.len() as u64).next_multiple_of(SECTOR) as usize, 0);
        self.data.write_at(index_offset, &bytes)?;
        let mut trailer = self.header.clone();
        trailer.flags = FLAG_DATA | FLAG_SEALED | (self.header.flags & FLAG_SPARSE_RW);
        trailer.index_offset = index_offset;
        trailer.index_size = records.len() as u64;
        trailer.set_user_tag(&[])?;
        self.data
            .write_at(index_offset + bytes.len() as u64, &trailer.encode())?;
        Ok((self.data, self.index))
    }
}

//! TurboOCI "warp" layers (§4.4): metadata written to a headerless meta file at device
//! offsets, file contents mapped into the layer's tar ("remote" records, tag 1).

use crate::commit::{CommitSummary, compact};
use crate::error::{Error, Result};
use crate::header::{BLOCK_SIZE, FLAG_DATA, FLAG_HEADER, FLAG_SEALED, Header};
use crate::rangemap::{Advance, RangeMap};
use crate::record::{self, MAX_LENGTH, RECORD_SIZE, Record, SECTOR};
use crate::ro::{Kind, LsmtFile};
use crate::rw::{MAX_IO_SIZE, MAX_RW_INDEX_RECORDS, read_block};
use crate::upper::{Piece, PieceSource, UpperLayer, check_range, clip};
use crate::uuid::Uuid;
use blockio::{ReadAt, WriteAt};
use std::io::{self, Write};

/// Record tag (after normalisation) of metadata written into the meta file.
pub const TAG_META: u8 = 0;
/// Record tag (after normalisation) of ranges mapped into the target tar.
pub const TAG_REMOTE: u8 = 1;

/// Parameters of `overlaybd-create --turboOCI`.
#[derive(Debug, Clone, Default)]
pub struct WarpCreateOptions {
    pub virtual_size: u64,
    pub uuid: Uuid,
    pub parent_uuid: Uuid,
    /// Number of lower layers: upstream stores tags `base + 0` / `base + 1` in the RW index.
    pub tag_base: u8,
}

#[derive(Debug, Clone, Copy)]
struct WTarget {
    moffset: u64,
    zeroed: bool,
    tag: u8,
}

impl Advance for WTarget {
    fn advance(&mut self, by: u64) {
        if !self.zeroed {
            self.moffset += by;
        }
    }
}

/// A writable warp layer: meta file `D` (no header), index file `I`.
pub struct WarpLayer<D, I> {
    meta: D,
    index: I,
    index_header: Header,
    index0: RangeMap<WTarget>,
    index_end: u64,
    tag_base: u8,
    target: Option<Box<dyn ReadAt + Send + Sync>>,
}

impl<D: ReadAt + WriteAt, I: WriteAt> WarpLayer<D, I> {
    pub fn create(meta: D, mut index: I, opts: &WarpCreateOptions) -> Result<Self> {
        let mut index_header = Header::new(FLAG_HEADER, opts.virtual_size);
        index_header.index_offset = BLOCK_SIZE as u64;
        index_header.uuid = opts.uuid;
        index_header.parent_uuid = opts.parent_uuid;
        index.write_at(0, &index_header.encode())?;
        Ok(WarpLayer {
            meta,
            index,
            index_header,
            index0: RangeMap::new(),
            index_end: BLOCK_SIZE as u64,
            tag_base: opts.tag_base,
            target: None,
        })
    }

    /// Lets in-session reads of remote ranges see the target; without it they read zeros.
    pub fn set_target(&mut self, target: Box<dyn ReadAt + Send + Sync>) {
        self.target = Some(target);
    }

    pub fn index_header(&self) -> &Header {
        &self.index_header
    }

    pub fn virtual_size(&self) -> u64 {
        self.index_header.virtual_size
    }

    pub fn set_virtual_size(&mut self, vsize: u64) -> Result<()> {
        self.index_header.virtual_size = vsize;
        self.index.write_at(0, &self.index_header.encode())?;
        Ok(())
    }

    pub fn into_parts(self) -> (D, I) {
        (self.meta, self.index)
    }

    fn log(&mut self, r: Record) -> Result<()> {
        let logged = Record {
            tag: r.tag.wrapping_add(self.tag_base),
            ..r
        };
        self.index.write_at(self.index_end, &logged.encode())?;
        self.index_end += RECORD_SIZE as u64;
        let t = WTarget {
            moffset: r.moffset,
            zeroed: r.zeroed,
            tag: r.tag,
        };
        self.index0.insert(r.offset, r.end(), t);
        Ok(())
    }

    /// Writes metadata at its own device offset in the meta file.
    pub fn write(&mut self, offset: u64, buf: &[u8]) -> Result<()> {
        check_range(offset, buf.len() as u64)?;
        // Upstream does not split warp writes; pieces of 4 MiB keep lengths representable.
        for (i, piece) in buf.chunks(MAX_IO_SIZE as usize).enumerate() {
            let off = offset + i as u64 * MAX_IO_SIZE;
            self.meta.write_at(off, piece)?;
            let s = off / SECTOR;
            let n = (piece.len() as u64 / SECTOR) as u32;
            self.log(Record {
                tag: TAG_META,
                ..Record::data(s, n, s)
            })?;
        }
        Ok(())
    }

    /// Maps `len` device bytes at `device_offset` to the target tar at `tar_offset`.
    pub fn add_remote(&mut self, device_offset: u64, len: u64, tar_offset: u64) -> Result<()> {
        check_range(device_offset, len)?;
        check_range(tar_offset, len)?;
        let (mut o, mut m, e) = (
            device_offset / SECTOR,
            tar_offset / SECTOR,
            (device_offset + len) / SECTOR,
        );
        while o < e {
            let n = (e - o).min(u64::from(MAX_LENGTH));
            self.log(Record {
                tag: TAG_REMOTE,
                ..Record::data(o, n as u32, m)
            })?;
            o += n;
            m += n;
        }
        Ok(())
    }

    /// Index0 with normalised tags (0 meta, 1 remote).
    pub fn mappings(&self) -> Vec<Record> {
        self.index0
            .iter()
            .map(|(s, e, t)| Record {
                offset: s,
                length: (e - s) as u32,
                moffset: t.moffset,
                zeroed: t.zeroed,
                tag: t.tag,
            })
            .collect()
    }

    /// `overlaybd-commit --turboOCI`: uuid/parent only from the arguments, no index padding.
    pub fn commit<W: Write + ?Sized>(
        &self,
        out: &mut W,
        uuid: Option<Uuid>,
        parent_uuid: Option<Uuid>,
    ) -> Result<CommitSummary> {
        let mut header = Header::new(
            FLAG_HEADER | FLAG_DATA | FLAG_SEALED,
            self.index_header.virtual_size,
        );
        header.uuid = uuid.unwrap_or(Uuid::NULL);
        header.parent_uuid = parent_uuid.unwrap_or(Uuid::NULL);
        let read = |_: u8, pos: u64, buf: &mut [u8]| self.meta.read_zero_fill(pos, buf);
        let records = self.mappings();
        compact(&records, read, out, header, false, |r| r.tag == TAG_REMOTE)
    }
}

impl<D: ReadAt + WriteAt, I: ReadAt + WriteAt> WarpLayer<D, I> {
    /// Loads an existing warp pair (upstream's open_warpfile_rw); tags are normalised.
    pub fn open(meta: D, index: I) -> Result<Self> {
        let index_header = read_block(&index, "warp index header")?;
        if !index_header.is_header() || index_header.is_data() || index_header.is_sealed() {
            return Err(Error::BadFlags {
                at: 0,
                flags: index_header.flags,
                expected: "RW index header",
            });
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
        let records = record::decode_all(&raw);
        let min_tag = records.iter().map(|r| r.tag).min().unwrap_or(0);
        let mut index0 = RangeMap::new();
        for r in &records {
            let t = WTarget {
                moffset: r.moffset,
                zeroed: r.zeroed,
                tag: r.tag - min_tag,
            };
            index0.insert(r.offset, r.end(), t);
        }
        Ok(WarpLayer {
            meta,
            index,
            index_header,
            index0,
            index_end,
            tag_base: min_tag,
            target: None,
        })
    }
}

impl<D: ReadAt + WriteAt, I: WriteAt> UpperLayer for WarpLayer<D, I> {
    fn virtual_size(&self) -> u64 {
        self.index_header.virtual_size
    }

    fn set_virtual_size(&mut self, vsize: u64) -> Result<()> {
        WarpLayer::set_virtual_size(self, vsize)
    }

    fn write(&mut self, offset: u64, buf: &[u8]) -> Result<()> {
        WarpLayer::write(self, offset, buf)
    }

    fn mapped(&self, start: u64, end: u64) -> Vec<Piece> {
        let (s, e) = (start / SECTOR, end.div_ceil(SECTOR));
        self.index0
            .overlapping(s, e)
            .map(|(rs, re, t)| {
                let (bs, be, skip) = clip(rs, re, start, end);
                let pos = t.moffset.saturating_mul(SECTOR).saturating_add(skip);
                let source = match (t.zeroed, t.tag) {
                    (true, _) => PieceSource::Zero,
                    (false, TAG_META) => PieceSource::Data(pos),
                    _ => PieceSource::Remote(pos),
                };
                Piece {
                    start: bs,
                    end: be,
                    source,
                }
            })
            .collect()
    }

    fn read_source(&self, source: PieceSource, buf: &mut [u8]) -> io::Result<()> {
        match (source, &self.target) {
            (PieceSource::Data(pos), _) => self.meta.read_zero_fill(pos, buf),
            (PieceSource::Remote(pos), Some(t)) => t.read_zero_fill(pos, buf),
            _ => {
                buf.fill(0);
                Ok(())
            }
        }
    }
}

/// A committed warp layer together with its target (the uncompressed layer tar).
pub struct WarpFile<M, T> {
    file: LsmtFile<M>,
    target: T,
}

impl<M: ReadAt, T: ReadAt> WarpFile<M, T> {
    /// Opens the committed warp LSMT; tags are normalised, remote moffsets are not checked.
    pub fn open(meta: M, target: T) -> Result<Self> {
        Ok(WarpFile {
            file: LsmtFile::load(meta, Kind::Warp)?,
            target,
        })
    }

    pub fn file(&self) -> &LsmtFile<M> {
        &self.file
    }

    pub fn target(&self) -> &T {
        &self.target
    }

    pub fn records(&self) -> &[Record] {
        self.file.records()
    }

    pub fn virtual_size(&self) -> u64 {
        self.file.virtual_size()
    }

    /// Reads a record's source bytes at `pos`: tag 0 from the warp file, others from the
    /// target; short reads at either end are zero-filled.
    pub fn read_tagged(&self, tag: u8, pos: u64, buf: &mut [u8]) -> io::Result<()> {
        if tag == TAG_META {
            self.file.read_data(pos, buf)
        } else {
            self.target.read_zero_fill(pos, buf)
        }
    }
}

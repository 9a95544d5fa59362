//! The RW layer seen by the layered device and by commit.

use super::{BLOCK_SIZE, Mode, RwLayer, sectors};
use crate::error::Result;
use crate::header::Header;
use crate::record::{Record, SECTOR};
use crate::upper::{Piece, PieceSource, UpperLayer, clip};
use blockio::{ReadAt, WriteAt};
use std::io;

impl<D: ReadAt + WriteAt, I: WriteAt> UpperLayer for RwLayer<D, I> {
    fn virtual_size(&self) -> u64 {
        self.header.virtual_size
    }

    fn set_virtual_size(&mut self, vsize: u64) -> Result<()> {
        RwLayer::set_virtual_size(self, vsize)
    }

    fn write(&mut self, offset: u64, buf: &[u8]) -> Result<()> {
        RwLayer::write(self, offset, buf)
    }

    fn mapped(&self, start: u64, end: u64) -> Vec<Piece> {
        let (s, e) = (sectors(start), end.div_ceil(SECTOR));
        match &self.mode {
            Mode::Append { index0, .. } => index0
                .overlapping(s, e)
                .map(|(rs, re, t)| {
                    let (bs, be, skip) = clip(rs, re, start, end);
                    let source = if t.zeroed {
                        PieceSource::Zero
                    } else {
                        PieceSource::Data(t.moffset * SECTOR + skip)
                    };
                    Piece {
                        start: bs,
                        end: be,
                        source,
                    }
                })
                .collect(),
            Mode::Sparse { blocks } => blocks
                .overlapping(s, e)
                .map(|(rs, re)| {
                    let (bs, be, _) = clip(rs, re, start, end);
                    Piece {
                        start: bs,
                        end: be,
                        source: PieceSource::Data(BLOCK_SIZE as u64 + bs),
                    }
                })
                .collect(),
        }
    }

    fn read_source(&self, source: PieceSource, buf: &mut [u8]) -> io::Result<()> {
        match source {
            PieceSource::Data(pos) => self.data.read_zero_fill(pos, buf),
            PieceSource::Zero | PieceSource::Remote(_) => {
                buf.fill(0);
                Ok(())
            }
        }
    }
}

impl<D: ReadAt + WriteAt, I: WriteAt> crate::commit::CommitSource for RwLayer<D, I> {
    fn source_header(&self) -> &Header {
        &self.header
    }

    fn commit_records(&self) -> Vec<Record> {
        self.mappings()
    }

    /// Sparse data files are never truncated here, so their tail may be missing: zeros.
    fn read_source(&self, _tag: u8, pos: u64, buf: &mut [u8]) -> io::Result<()> {
        self.data.read_zero_fill(pos, buf)
    }
}

//! What a writable layer exposes to the layered device: its mapped pieces and their bytes.

use crate::error::{Error, Result};
use crate::record::{INVALID_OFFSET, SECTOR};
use std::io;

/// Where the bytes of a mapped piece come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PieceSource {
    /// Reads as zeros (a zeroed record).
    Zero,
    /// The layer's own data file at this byte position.
    Data(u64),
    /// A TurboOCI target (tar) at this byte position.
    Remote(u64),
}

/// A mapped byte range `[start, end)` of the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    pub start: u64,
    pub end: u64,
    pub source: PieceSource,
}

/// A writable layer a [`crate::LayeredDevice`] can sit on.
pub trait UpperLayer {
    fn virtual_size(&self) -> u64;
    fn set_virtual_size(&mut self, vsize: u64) -> Result<()>;
    /// Writes sector-aligned data at a sector-aligned device offset.
    fn write(&mut self, offset: u64, buf: &[u8]) -> Result<()>;
    /// The mapped pieces intersecting `[start, end)` (bytes), clipped to it, in order.
    fn mapped(&self, start: u64, end: u64) -> Vec<Piece>;
    /// Fills `buf` from a piece source (positions are inside the source).
    fn read_source(&self, source: PieceSource, buf: &mut [u8]) -> io::Result<()>;
}

/// Rejects unaligned ranges and ranges beyond the 50-bit sector space; returns the end byte.
pub(crate) fn check_range(offset: u64, len: u64) -> Result<u64> {
    if !offset.is_multiple_of(SECTOR) || !len.is_multiple_of(SECTOR) {
        return Err(Error::Misaligned { offset, len });
    }
    match offset.checked_add(len) {
        Some(end) if end / SECTOR <= INVALID_OFFSET => Ok(end),
        _ => Err(Error::OutOfRange { offset, len }),
    }
}

/// Serves `buf` at device `offset` from `upper` where mapped and from `lower` elsewhere.
pub(crate) fn read_merged<U: UpperLayer + ?Sized>(
    upper: &U,
    lower: impl Fn(u64, &mut [u8]) -> io::Result<()>,
    offset: u64,
    buf: &mut [u8],
) -> io::Result<()> {
    let end = offset + buf.len() as u64;
    let mut pos = offset;
    for p in upper.mapped(offset, end) {
        if p.start > pos {
            lower(
                pos,
                &mut buf[(pos - offset) as usize..(p.start - offset) as usize],
            )?;
        }
        let dst = &mut buf[(p.start - offset) as usize..(p.end - offset) as usize];
        upper.read_source(p.source, dst)?;
        pos = p.end;
    }
    if pos < end {
        lower(pos, &mut buf[(pos - offset) as usize..])?;
    }
    Ok(())
}

/// Clips sector range `[s, e)` (with its source at sector `src` for `s`) to bytes `[start, end)`.
pub(crate) fn clip(s: u64, e: u64, start: u64, end: u64) -> (u64, u64, u64) {
    let bs = (s * SECTOR).max(start);
    let be = (e * SECTOR).min(end);
    (bs, be, bs - s * SECTOR)
}

//! Materialises a merged device: only mapped, non-zero ranges are written, so a sparse target
//! file costs only the data the layers hold (§6 step 6).

use blockio::{ReadAt, WriteAt};
use lsmt::{SECTOR, Stack};
use std::io;

/// Copies every data-mapped range of `stack` to the same offset of `out`; returns the bytes
/// written. Zeroed and unmapped ranges are left alone (a fresh sparse file reads them as zero).
pub fn flatten(stack: &Stack<'_>, out: &mut impl WriteAt) -> io::Result<u64> {
    const CHUNK: u64 = 4 << 20;
    let mut buf = vec![0u8; CHUNK as usize];
    let mut written = 0;
    for extent in stack.mapped_extents() {
        if extent.record.zeroed {
            continue;
        }
        let mut pos = extent.record.offset * SECTOR;
        let end = extent.record.end() * SECTOR;
        while pos < end {
            let n = (end - pos).min(CHUNK) as usize;
            stack.read_exact_at(pos, &mut buf[..n])?;
            out.write_at(pos, &buf[..n])?;
            pos += n as u64;
            written += n as u64;
        }
    }
    Ok(written)
}

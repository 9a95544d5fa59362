//! Regular file contents: written through the filesystem, or (meta-only) allocated and
//! mapped to the tar bytes that hold them.

use tarstream::{Entry, Segment};

use crate::error::{ApplyError, AtPath, show};
use crate::fs::{Filesystem, Ino};
use crate::report::{ApplyReport, RemoteMapping};
use crate::source::EntrySource;

/// Filesystem block size the meta-only mappings are built on.
const BLOCK: u64 = 4096;
/// Granularity of remote records (LSMT sectors).
const SECTOR: u64 = 512;

/// Writes (or maps) the data of `entry` into the new empty file `ino`, then sets its size.
pub(crate) fn fill_file<F: Filesystem, S: EntrySource>(
    fs: &mut F,
    src: &mut S,
    ino: Ino,
    entry: &Entry,
    meta_only: bool,
    buf: &mut [u8],
    report: &mut ApplyReport,
) -> Result<(), ApplyError> {
    let path = &entry.path[..];
    for s in &entry.segments {
        end_of(s, path)?;
    }
    if meta_only {
        map_segments(fs, src, ino, entry, buf, report)?;
    } else {
        for s in &entry.segments {
            copy_segment(fs, src, ino, s, buf, true, report, path)?;
        }
    }
    fs.set_size(ino, entry.size).at(path)
}

fn end_of(s: &Segment, path: &[u8]) -> Result<u64, ApplyError> {
    s.file_offset
        .checked_add(s.len)
        .ok_or_else(|| ApplyError::SegmentOutOfRange { path: show(path) })
}

/// A segment can be served from the tar when its blocks hold nothing else: it starts on a
/// block, its tar bytes start on a sector, and it either fills whole blocks or ends the
/// file (then what the last mapped sector adds beyond it lies past EOF). A sparse segment
/// ending mid-block would otherwise map the next segment's tar bytes into the hole.
fn mappable(s: &Segment, size: u64) -> bool {
    s.len > 0
        && s.file_offset.is_multiple_of(BLOCK)
        && s.tar_offset.is_multiple_of(SECTOR)
        && (s.len.is_multiple_of(BLOCK) || s.file_offset.checked_add(s.len) == Some(size))
}

fn map_segments<F: Filesystem, S: EntrySource>(
    fs: &mut F,
    src: &mut S,
    ino: Ino,
    entry: &Entry,
    buf: &mut [u8],
    report: &mut ApplyReport,
) -> Result<(), ApplyError> {
    let path = &entry.path[..];
    let segs = &entry.segments;
    // Data of a mapped segment must still be read past when a written one follows it.
    let last_written = segs.iter().rposition(|s| !mappable(s, entry.size));
    for (i, s) in segs.iter().enumerate() {
        if !mappable(s, entry.size) {
            copy_segment(fs, src, ino, s, buf, true, report, path)?;
            continue;
        }
        map_segment(fs, ino, s, report, path)?;
        if last_written.is_some_and(|l| l > i) {
            copy_segment(fs, src, ino, s, buf, false, report, path)?;
        }
    }
    Ok(())
}

fn map_segment<F: Filesystem>(
    fs: &mut F,
    ino: Ino,
    s: &Segment,
    report: &mut ApplyReport,
    path: &[u8],
) -> Result<(), ApplyError> {
    let ranges = fs.allocate(ino, s.file_offset, s.len).at(path)?;
    let out_of_range = || ApplyError::SegmentOutOfRange { path: show(path) };
    let mut remaining = s
        .len
        .checked_next_multiple_of(SECTOR)
        .ok_or_else(out_of_range)?;
    let mut covered = 0u64;
    let mut tar = s.tar_offset;
    for (device_offset, len) in ranges {
        // A filesystem may report the last range to the byte; its block holds the whole
        // sector-rounded tail, which is what the record must cover.
        let take = len.next_multiple_of(SECTOR).min(remaining);
        if take == 0 {
            continue;
        }
        report.remote.push(RemoteMapping {
            device_offset,
            len: take,
            tar_offset: tar,
        });
        tar = tar.checked_add(take).ok_or_else(out_of_range)?;
        remaining -= take;
        covered += take;
    }
    if covered < s.len {
        return Err(ApplyError::AllocationShort { path: show(path) });
    }
    Ok(())
}

/// Reads the segment's bytes from the source and writes them at its file offset, or only
/// reads past them unless `write`.
#[allow(clippy::too_many_arguments)]
fn copy_segment<F: Filesystem, S: EntrySource>(
    fs: &mut F,
    src: &mut S,
    ino: Ino,
    s: &Segment,
    buf: &mut [u8],
    write: bool,
    report: &mut ApplyReport,
    path: &[u8],
) -> Result<(), ApplyError> {
    let mut off = s.file_offset;
    let mut left = s.len;
    while left > 0 {
        let n = usize::try_from(left).map_or(buf.len(), |l| l.min(buf.len()));
        fill(src, &mut buf[..n], path)?;
        if write {
            fs.write(ino, off, &buf[..n]).at(path)?;
            report.bytes_written += n as u64;
        }
        // Cannot overflow: the segment end was checked and n <= left.
        off += n as u64;
        left -= n as u64;
    }
    Ok(())
}

fn fill<S: EntrySource>(src: &mut S, buf: &mut [u8], path: &[u8]) -> Result<(), ApplyError> {
    let mut done = 0;
    while done < buf.len() {
        let n = src.read_data(&mut buf[done..])?;
        if n == 0 {
            return Err(ApplyError::TruncatedData { path: show(path) });
        }
        done += n;
    }
    Ok(())
}

//! Compaction of a layer into the committed (read-only) LSMT byte stream.

use crate::error::Result;
use crate::header::{BLOCK_SIZE, FLAG_DATA, FLAG_HEADER, FLAG_SEALED, Header};
use crate::record::{MAX_LENGTH, Record, SECTOR};
use crate::uuid::Uuid;
use std::io::{self, Write};

/// Commit copies data in pieces of this many sectors, each becoming a record before merging.
pub const COPY_PIECE_SECTORS: u64 = 64;
/// Committed indexes are padded with invalid records to a multiple of this.
pub const INDEX_PAD_RECORDS: usize = 256;
/// Source data is read in runs of up to this many bytes, whatever the record boundaries.
const READ_RUN: u64 = 16 << 20;

/// `overlaybd-commit` options that shape the output.
#[derive(Debug, Clone, Default)]
pub struct CommitOptions {
    /// `--uuid`; `None` writes the null UUID.
    pub uuid: Option<Uuid>,
    /// `--parent-uuid`; `None` falls back to the source header's parent.
    pub parent_uuid: Option<Uuid>,
    /// `-m`; at most 256 bytes.
    pub user_tag: Vec<u8>,
}

/// Figures of a finished commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitSummary {
    /// Sectors of data copied into the output.
    pub data_sectors: u64,
    /// Merged records, padding excluded.
    pub records: u64,
    /// Records written to the index, padding included (the trailer's index_size).
    pub index_size: u64,
    pub index_offset: u64,
    /// Total bytes written.
    pub output_len: u64,
}

/// Something that can be committed: a mapping list plus the data behind it.
pub trait CommitSource {
    /// The header whose virtual size and parent UUID the commit inherits.
    fn source_header(&self) -> &Header;
    /// Sorted, non-overlapping mappings.
    fn commit_records(&self) -> Vec<Record>;
    /// Reads source bytes at `pos` of the file that records with `tag` point into.
    fn read_source(&self, tag: u8, pos: u64, buf: &mut [u8]) -> io::Result<()>;
}

/// Streams the committed form of `src` into `out` (§1.5).
pub fn commit<S: CommitSource + ?Sized, W: Write + ?Sized>(
    src: &S,
    out: &mut W,
    opts: &CommitOptions,
) -> Result<CommitSummary> {
    let source = src.source_header();
    let mut header = Header::new(FLAG_HEADER | FLAG_DATA | FLAG_SEALED, source.virtual_size);
    header.uuid = opts.uuid.unwrap_or(Uuid::NULL);
    header.parent_uuid = opts.parent_uuid.unwrap_or(source.parent_uuid);
    header.set_user_tag(&opts.user_tag)?;
    let records = src.commit_records();
    compact(
        &records,
        |t, p, b| src.read_source(t, p, b),
        out,
        header,
        true,
        |_| false,
    )
}

/// The shared compaction: copy data records in 64-sector pieces, give zeroed records the
/// current position, pass `remote` records through, merge, write index and trailer.
pub(crate) fn compact<W: Write + ?Sized>(
    records: &[Record],
    read: impl Fn(u8, u64, &mut [u8]) -> io::Result<()>,
    out: &mut W,
    mut header: Header,
    pad: bool,
    remote: impl Fn(&Record) -> bool,
) -> Result<CommitSummary> {
    out.write_all(&header.encode())?;
    let mut moff = BLOCK_SIZE as u64 / SECTOR;
    let mut emitted = Vec::with_capacity(records.len() * 2);
    let mut buf = Vec::new();
    let mut i = 0;
    while i < records.len() {
        let m = records[i];
        if remote(&m) {
            emitted.push(m);
            i += 1;
            continue;
        }
        if m.zeroed {
            emitted.push(Record { moffset: moff, ..m });
            i += 1;
            continue;
        }
        // Group data records that are contiguous in the source so it is read in large runs.
        let mut j = i + 1;
        let mut run = u64::from(m.length);
        while let Some(n) = records.get(j) {
            let contiguous = !n.zeroed
                && !remote(n)
                && n.tag == m.tag
                && n.moffset == m.moffset + run
                && (run + u64::from(n.length)) * SECTOR <= READ_RUN;
            if !contiguous {
                break;
            }
            run += u64::from(n.length);
            j += 1;
        }
        buf.resize((run * SECTOR) as usize, 0);
        read(m.tag, m.moffset * SECTOR, &mut buf)?;
        out.write_all(&buf)?;
        for r in &records[i..j] {
            let mut k = 0;
            while k < u64::from(r.length) {
                let n = (u64::from(r.length) - k).min(COPY_PIECE_SECTORS);
                emitted.push(Record {
                    offset: r.offset + k,
                    length: n as u32,
                    moffset: moff + k,
                    zeroed: false,
                    tag: r.tag,
                });
                k += n;
            }
            moff += u64::from(r.length);
        }
        i = j;
    }
    let data_sectors = moff - BLOCK_SIZE as u64 / SECTOR;
    let merged = merge(&emitted);
    let records_n = merged.len();
    let mut index = merged;
    if pad && !index.len().is_multiple_of(INDEX_PAD_RECORDS) {
        let padded = index.len().next_multiple_of(INDEX_PAD_RECORDS);
        index.resize(padded, Record::INVALID);
    }
    let index_offset = moff * SECTOR;
    let bytes: Vec<u8> = index.iter().flat_map(|r| r.encode()).collect();
    out.write_all(&bytes)?;
    header.flags = FLAG_DATA | FLAG_SEALED;
    header.index_offset = index_offset;
    header.index_size = index.len() as u64;
    out.write_all(&header.encode())?;
    Ok(CommitSummary {
        data_sectors,
        records: records_n as u64,
        index_size: index.len() as u64,
        index_offset,
        output_len: index_offset + bytes.len() as u64 + BLOCK_SIZE as u64,
    })
}

/// Greedy coalescing of upstream's compress_raw_index: the combined length must stay
/// strictly below 16383.
pub(crate) fn merge(records: &[Record]) -> Vec<Record> {
    let mut out: Vec<Record> = Vec::with_capacity(records.len());
    for r in records {
        if let Some(last) = out.last_mut()
            && last.end() == r.offset
            && last.mend() == r.moffset
            && last.zeroed == r.zeroed
            && last.tag == r.tag
            && last.length + r.length < MAX_LENGTH
        {
            last.length += r.length;
            continue;
        }
        out.push(*r);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_stops_below_max_length() {
        let pieces: Vec<Record> = (0..300)
            .map(|k| Record::data(k * 64, 64, 8 + k * 64))
            .collect();
        let m = merge(&pieces);
        assert_eq!(m[0].length, 16320);
        assert_eq!(m[1], Record::data(16320, 45 * 64, 8 + 16320));
    }

    #[test]
    fn empty_commit_is_8192_bytes() {
        let mut out = Vec::new();
        let h = Header::new(FLAG_HEADER | FLAG_DATA | FLAG_SEALED, 1 << 30);
        let s = compact(&[], |_, _, _| Ok(()), &mut out, h, true, |_| false).unwrap();
        assert_eq!(out.len(), 8192);
        assert_eq!((s.index_offset, s.index_size), (4096, 0));
        let t = Header::decode(&out[4096..], 4096).unwrap();
        assert_eq!((t.flags, t.index_offset), (6, 4096));
    }
}

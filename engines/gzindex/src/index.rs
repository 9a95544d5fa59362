//! The decoded gzip index and its gzip.meta encoding (spec §4.2).

use crate::error::{Error, Result};
use crate::header::{DICT_LEVEL, ENTRY_SIZE, HEADER_SIZE, Header, MAGIC, RawEntry, WINDOW_SIZE};
use crate::zlib::{zlib_compress, zlib_decompress_exact};

/// A resumable decoder position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Uncompressed offset.
    pub de_pos: u64,
    /// Compressed bytes consumed from the start of the gzip file, header included.
    pub en_pos: u64,
    /// Unused low bits of byte `en_pos - 1` still to be decoded (0..=7).
    pub bits: u8,
    /// The 32768 uncompressed bytes before `de_pos`, zero-padded on the left.
    pub window: Vec<u8>,
}

/// Checkpoints plus the sizes a reader checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GzIndex {
    pub span: u32,
    pub entries: Vec<Checkpoint>,
    /// Size of the whole gzip file, trailing data included.
    pub gzip_file_size: u64,
    /// Size of the uncompressed first member.
    pub uncompress_file_size: u64,
}

fn field(field: &'static str, value: i64) -> Error {
    Error::BadField { field, value }
}

fn to_i64(field_name: &'static str, v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| field(field_name, -1))
}

fn non_negative(field_name: &'static str, v: i64) -> Result<u64> {
    u64::try_from(v).map_err(|_| field(field_name, v))
}

impl GzIndex {
    /// Encodes as upstream writes it: algo 1, zlib level 6 windows, compressed entry table.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let span = i32::try_from(self.span).map_err(|_| Error::BadSpan(self.span.into()))?;
        let mut out = vec![0u8; HEADER_SIZE];
        let mut table = Vec::with_capacity(self.entries.len() * ENTRY_SIZE);
        for (i, cp) in self.entries.iter().enumerate() {
            if cp.window.len() != WINDOW_SIZE {
                return Err(Error::BadWindow { entry: i });
            }
            if cp.bits > 7 {
                return Err(Error::BadEntry {
                    entry: i,
                    reason: "bits is above 7",
                });
            }
            let packed = zlib_compress(DICT_LEVEL.into(), &cp.window)?;
            let raw = RawEntry {
                de_pos: to_i64("de_pos", cp.de_pos)?,
                en_pos: to_i64("en_pos", cp.en_pos)?,
                win_pos: to_i64("win_pos", out.len() as u64)?,
                bits: cp.bits,
                win_len: u32::try_from(packed.len()).map_err(|_| Error::BadWindow { entry: i })?,
            };
            raw.encode_into(&mut table);
            out.extend_from_slice(&packed);
        }
        let index_start = out.len() as u64;
        let packed_table = zlib_compress(DICT_LEVEL.into(), &table)?;
        out.extend_from_slice(&packed_table);
        let mut header = Header {
            magic: MAGIC,
            major_version: 1,
            minor_version: 0,
            dict_compress_algo: 1,
            dict_compress_level: DICT_LEVEL,
            flag: 0,
            span,
            window: WINDOW_SIZE as i32,
            index_size: ENTRY_SIZE as i32,
            index_num: to_i64("index_num", self.entries.len() as u64)?,
            gzip_file_size: to_i64("gzip_file_size", self.gzip_file_size)?,
            index_file_size: to_i64("index_file_size", out.len() as u64)?,
            uncompress_file_size: to_i64("uncompress_file_size", self.uncompress_file_size)?,
            reserve: [0; 256],
            index_start: to_i64("index_start", index_start)?,
            index_area_len: to_i64("index_area_len", packed_table.len() as u64)?,
            crc: 0,
        };
        header.crc = header.computed_crc();
        out[..HEADER_SIZE].copy_from_slice(&header.encode());
        Ok(out)
    }

    /// Parses and validates a gzip.meta file (dict_compress_algo 0 or 1).
    pub fn from_bytes(data: &[u8]) -> Result<Self> {
        let header = parse_header(data)?;
        let stored = header.dict_compress_algo == 0;
        let file_len = data.len() as u64;
        let index_start = non_negative("index_start", header.index_start)?;
        let area_len = non_negative("index_area_len", header.index_area_len)?;
        if index_start < HEADER_SIZE as u64 {
            return Err(field("index_start", header.index_start));
        }
        let end = index_start
            .checked_add(area_len)
            .ok_or(field("index_area_len", header.index_area_len))?;
        if end != file_len {
            return Err(Error::IndexSizeMismatch {
                expected: end,
                actual: file_len,
            });
        }
        // Every entry owns a distinct non-empty window before the table, which bounds the count
        // before anything is allocated.
        let num = non_negative("index_num", header.index_num)?;
        if num > index_start - HEADER_SIZE as u64 {
            return Err(field("index_num", header.index_num));
        }
        let table_len = usize::try_from(num)
            .ok()
            .and_then(|n| n.checked_mul(ENTRY_SIZE))
            .ok_or(field("index_num", header.index_num))?;
        let area = &data[index_start as usize..];
        let table = if stored {
            (area.len() == table_len).then(|| area.to_vec())
        } else {
            zlib_decompress_exact(area, table_len)?
        };
        let table = table.ok_or(Error::BadTable(num))?;

        let mut entries = Vec::with_capacity(num as usize);
        let mut windows_end = HEADER_SIZE as u64;
        for (i, chunk) in table.chunks_exact(ENTRY_SIZE).enumerate() {
            let mut rec = [0u8; ENTRY_SIZE];
            rec.copy_from_slice(chunk);
            let raw = RawEntry::decode(&rec);
            let cp = decode_entry(i, &raw, &header, data, &mut windows_end, index_start)?;
            if entries
                .last()
                .is_some_and(|prev: &Checkpoint| prev.de_pos > cp.de_pos)
            {
                return Err(Error::BadEntry {
                    entry: i,
                    reason: "de_pos goes backwards",
                });
            }
            entries.push(cp);
        }
        Ok(GzIndex {
            span: header.span as u32,
            entries,
            gzip_file_size: non_negative("gzip_file_size", header.gzip_file_size)?,
            uncompress_file_size: non_negative(
                "uncompress_file_size",
                header.uncompress_file_size,
            )?,
        })
    }
}

/// Decodes and checks the fixed header fields (everything but the table and windows).
fn parse_header(data: &[u8]) -> Result<Header> {
    let Some(head) = data.first_chunk::<HEADER_SIZE>() else {
        return Err(Error::IndexTooShort(data.len()));
    };
    let h = Header::decode(head);
    // Upstream compares only the 7 characters before the terminator.
    if h.magic[..7] != MAGIC[..7] {
        return Err(Error::BadMagic);
    }
    let computed = h.computed_crc();
    if computed != h.crc {
        return Err(Error::HeaderCrc {
            stored: h.crc,
            computed,
        });
    }
    if h.major_version != 1 {
        return Err(Error::UnsupportedVersion(h.major_version));
    }
    if h.dict_compress_algo > 1 {
        return Err(Error::UnknownAlgo(h.dict_compress_algo));
    }
    if h.index_size != ENTRY_SIZE as i32 {
        return Err(field("index_size", h.index_size.into()));
    }
    if h.window != WINDOW_SIZE as i32 {
        return Err(field("window", h.window.into()));
    }
    if h.span <= 0 {
        return Err(field("span", h.span.into()));
    }
    if h.index_file_size != data.len() as i64 {
        let expected = u64::try_from(h.index_file_size).unwrap_or(0);
        return Err(Error::IndexSizeMismatch {
            expected,
            actual: data.len() as u64,
        });
    }
    non_negative("gzip_file_size", h.gzip_file_size)?;
    non_negative("uncompress_file_size", h.uncompress_file_size)?;
    Ok(h)
}

fn decode_entry(
    i: usize,
    raw: &RawEntry,
    h: &Header,
    data: &[u8],
    windows_end: &mut u64,
    index_start: u64,
) -> Result<Checkpoint> {
    let bad = |reason| Error::BadEntry { entry: i, reason };
    let de_pos = u64::try_from(raw.de_pos).map_err(|_| bad("de_pos is negative"))?;
    let en_pos = u64::try_from(raw.en_pos).map_err(|_| bad("en_pos is negative"))?;
    let win_pos = u64::try_from(raw.win_pos).map_err(|_| bad("win_pos is negative"))?;
    if raw.bits > 7 {
        return Err(bad("bits is above 7"));
    }
    if raw.bits > 0 && en_pos == 0 {
        return Err(bad("bits are set at compressed offset 0"));
    }
    if en_pos > h.gzip_file_size as u64 {
        return Err(bad("en_pos is past the end of the gzip file"));
    }
    if de_pos > h.uncompress_file_size as u64 {
        return Err(bad("de_pos is past the end of the uncompressed data"));
    }
    let win_end = win_pos
        .checked_add(raw.win_len.into())
        .ok_or(bad("window overflows"))?;
    if raw.win_len == 0 || win_pos < *windows_end || win_end > index_start {
        return Err(bad(
            "window lies outside the window area or overlaps another",
        ));
    }
    *windows_end = win_end;
    let stored = &data[win_pos as usize..win_end as usize];
    let window = if h.dict_compress_algo == 0 {
        (stored.len() == WINDOW_SIZE).then(|| stored.to_vec())
    } else {
        zlib_decompress_exact(stored, WINDOW_SIZE)?
    };
    let window = window.ok_or(Error::BadWindow { entry: i })?;
    Ok(Checkpoint {
        de_pos,
        en_pos,
        bits: raw.bits,
        window,
    })
}

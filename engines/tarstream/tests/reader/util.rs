//! Archive builders and readers shared by the tests.

use tar::{EntryType, Header};
use tarstream::{Entry, TarError, TarReader};

pub const MTIME: u64 = 1_700_000_000;

/// A ustar header with the given type, path and size (checksum set).
pub fn ustar(kind: EntryType, path: &str, size: u64) -> Header {
    let mut h = Header::new_ustar();
    fill(&mut h, kind, path, size);
    h
}

/// An old-GNU-layout header (magic "ustar  ").
pub fn gnu(kind: EntryType, path: &str, size: u64) -> Header {
    let mut h = Header::new_gnu();
    fill(&mut h, kind, path, size);
    h
}

fn fill(h: &mut Header, kind: EntryType, path: &str, size: u64) {
    h.set_entry_type(kind);
    h.set_path(path).unwrap();
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(MTIME);
    h.set_uid(0);
    h.set_gid(0);
    h.set_cksum();
}

/// Sets a raw typeflag (the `tar` crate writes `EntryType::Regular` as '0', never NUL).
pub fn with_typeflag(mut h: Header, typeflag: u8) -> Header {
    h.as_mut_bytes()[156] = typeflag;
    h
}

/// One PAX record, its length prefix computed.
pub fn pax_record(key: &str, value: &[u8]) -> Vec<u8> {
    let rest = key.len() + value.len() + 3;
    let mut len = rest + 1;
    while len.to_string().len() + rest != len {
        len = len.to_string().len() + rest;
    }
    let mut out = format!("{len} {key}=").into_bytes();
    out.extend_from_slice(value);
    out.push(b'\n');
    out
}

pub fn pax_body(records: &[(&str, &[u8])]) -> Vec<u8> {
    records.iter().flat_map(|(k, v)| pax_record(k, v)).collect()
}

/// A tar stream assembled block by block.
#[derive(Default)]
pub struct Tar {
    pub bytes: Vec<u8>,
}

impl Tar {
    pub fn new() -> Self {
        Self::default()
    }

    /// The header as is (its checksum is recomputed), then `data` padded to a block.
    pub fn member(&mut self, mut h: Header, data: &[u8]) -> &mut Self {
        h.set_cksum();
        self.bytes.extend_from_slice(h.as_bytes());
        self.data(data)
    }

    /// Raw block(s) without a checksum update.
    pub fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.bytes.extend_from_slice(bytes);
        self
    }

    pub fn data(&mut self, data: &[u8]) -> &mut Self {
        self.bytes.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.bytes.resize(self.bytes.len() + pad, 0);
        self
    }

    /// An extension member (`x`, `g`, `L`, `K`) with the given body.
    pub fn extension(&mut self, typeflag: u8, body: &[u8]) -> &mut Self {
        let name = if typeflag == b'L' || typeflag == b'K' {
            "././@LongLink"
        } else {
            "PaxHeaders.0/x"
        };
        let h = ustar(EntryType::new(typeflag), name, body.len() as u64);
        self.member(h, body)
    }

    pub fn pax(&mut self, records: &[(&str, &[u8])]) -> &mut Self {
        self.extension(b'x', &pax_body(records))
    }

    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.bytes);
        out.resize(out.len() + 1024, 0);
        out
    }
}

/// Every entry with its stored data, read in odd-sized chunks to exercise streaming.
pub fn read_all(bytes: &[u8]) -> Result<Vec<(Entry, Vec<u8>)>, TarError> {
    let mut r = TarReader::new(bytes);
    let mut out = Vec::new();
    while let Some(e) = r.next_entry()? {
        let mut data = Vec::new();
        let mut buf = [0u8; 777];
        loop {
            let n = r.read_data(&mut buf)?;
            if n == 0 {
                break;
            }
            data.extend_from_slice(&buf[..n]);
        }
        out.push((e, data));
    }
    Ok(out)
}

/// The file content an entry describes: holes as zeros, segments from the stored data.
pub fn logical(e: &Entry, stored: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; e.size as usize];
    let mut at = 0usize;
    for s in &e.segments {
        let (off, len) = (s.file_offset as usize, s.len as usize);
        out[off..off + len].copy_from_slice(&stored[at..at + len]);
        at += len;
    }
    assert_eq!(
        at,
        stored.len(),
        "segments cover all stored data of {:?}",
        e.path
    );
    out
}

/// The raw archive holds each segment's bytes at its `tar_offset`.
pub fn assert_offsets(raw: &[u8], e: &Entry, content: &[u8]) {
    for s in &e.segments {
        let (t, f, len) = (
            s.tar_offset as usize,
            s.file_offset as usize,
            s.len as usize,
        );
        assert_eq!(
            &raw[t..t + len],
            &content[f..f + len],
            "segment {s:?} of {:?}",
            String::from_utf8_lossy(&e.path)
        );
    }
}

/// Deterministic non-zero filler bytes.
pub fn pattern(seed: u8, n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) | 1)
        .collect()
}

pub fn find<'a>(entries: &'a [(Entry, Vec<u8>)], path: &str) -> &'a (Entry, Vec<u8>) {
    entries
        .iter()
        .find(|(e, _)| e.path == path.as_bytes())
        .unwrap_or_else(|| panic!("no entry {path}"))
}

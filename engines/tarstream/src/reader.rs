//! `TarReader`: walks the members of an uncompressed tar stream, folding extension headers
//! into each `Entry` and streaming member data without buffering it.

use crate::entry::{Entry, EntryKind, Segment};
use crate::error::TarError;
use crate::header::{BLOCK_U64, Header, cstr, padding};
use crate::kind;
use crate::pax::{LocalPax, Resolved, merge_global, value_time, value_u32, value_u64};
use crate::source::Source;
use crate::sparse::{MapParser, map_0_1, old_gnu_entries, segments};
use std::collections::BTreeMap;
use std::io::Read;

/// Largest body of a PAX or GNU long-name/long-link header; such bodies are held in memory.
pub const MAX_EXTENSION_SIZE: u64 = 16 << 20;

/// Bytes of map entries in an old GNU sparse extension block, and its continuation flag.
const GNU_EXT_MAP: usize = 504;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Active,
    Ended,
    Failed,
}

/// GNU sparse encodings carried in PAX records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PaxSparse {
    /// 0.0 (offset/numbytes records) and 0.1 (`GNU.sparse.map`): map in the header.
    V0,
    /// 1.0: map as decimal lines at the start of the data area.
    V1,
}

/// Extension headers read so far for the next member.
#[derive(Default)]
struct Pending {
    first_offset: Option<u64>,
    pax: LocalPax,
    long_name: Option<Vec<u8>>,
    long_link: Option<Vec<u8>>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.pax.is_empty() && self.long_name.is_none() && self.long_link.is_none()
    }
}

/// Streaming reader over an uncompressed tar stream.
///
/// Conventions beyond the `Entry` docs: `size` is 0 for every kind but `Regular` and
/// `Unsupported` (the stored size of the skipped data); header-only typeflags (`1`-`6`) never
/// have data whatever their size field says; `header_offset` is the first non-zero block of
/// the member's header sequence, so a PAX global header belongs to the member after it.
/// After an error the reader is unusable: every later call returns `TarError::Poisoned`.
pub struct TarReader<R> {
    src: Source<R>,
    /// PAX global records in force (POSIX: they apply to every later member).
    global: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Stored data bytes of the current member still to be returned by `read_data`.
    data_left: u64,
    /// Bytes to discard before the next header (unreadable data and block padding).
    skip_left: u64,
    state: State,
}

impl<R: Read> TarReader<R> {
    pub fn new(reader: R) -> Self {
        TarReader {
            src: Source::new(reader),
            global: BTreeMap::new(),
            data_left: 0,
            skip_left: 0,
            state: State::Active,
        }
    }

    /// Bytes consumed from the stream so far.
    pub fn position(&self) -> u64 {
        self.src.position()
    }

    pub fn into_inner(self) -> R {
        self.src.into_inner()
    }

    /// The next member, skipping whatever data of the previous one was not read;
    /// `None` at the end of the archive.
    pub fn next_entry(&mut self) -> Result<Option<Entry>, TarError> {
        match self.state {
            State::Ended => return Ok(None),
            State::Failed => return Err(TarError::Poisoned),
            State::Active => {}
        }
        let result = self.advance();
        self.state = match &result {
            Ok(Some(_)) => State::Active,
            Ok(None) => State::Ended,
            Err(_) => State::Failed,
        };
        result
    }

    /// Reads stored data of the current regular file: the bytes of its segments, in tar order.
    /// Returns 0 at the end of that data (and for members without readable data).
    pub fn read_data(&mut self, buf: &mut [u8]) -> Result<usize, TarError> {
        if self.state == State::Failed {
            return Err(TarError::Poisoned);
        }
        let want = usize::try_from(self.data_left)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let Some(chunk) = buf.get_mut(..want).filter(|c| !c.is_empty()) else {
            return Ok(0);
        };
        match self.src.read_some(chunk) {
            Ok(0) => {
                self.state = State::Failed;
                Err(TarError::Truncated {
                    offset: self.src.position(),
                })
            }
            Ok(n) => {
                self.data_left -= n as u64;
                Ok(n)
            }
            Err(e) => {
                self.state = State::Failed;
                Err(e)
            }
        }
    }

    /// Discards the rest of the current member, up to the next header.
    pub fn skip_data(&mut self) -> Result<(), TarError> {
        if self.state == State::Failed {
            return Err(TarError::Poisoned);
        }
        let result = self.skip_rest();
        if result.is_err() {
            self.state = State::Failed;
        }
        result
    }

    fn skip_rest(&mut self) -> Result<(), TarError> {
        let data = std::mem::take(&mut self.data_left);
        self.src.skip(data)?;
        let pad = std::mem::take(&mut self.skip_left);
        self.src.skip(pad)
    }

    fn advance(&mut self) -> Result<Option<Entry>, TarError> {
        self.skip_rest()?;
        let mut pending = Pending::default();
        let mut after_zero = false;
        loop {
            let offset = self.src.position();
            let Some(block) = self.src.block()? else {
                // A clean end at a block boundary (or after one zero block) ends the archive,
                // unless extension headers are waiting for their member.
                if pending.is_empty() {
                    return Ok(None);
                }
                return Err(TarError::Truncated { offset });
            };
            if Header::is_zero(&block) {
                if after_zero {
                    return match pending.first_offset {
                        Some(first) if !pending.is_empty() => {
                            Err(TarError::DanglingExtension { offset: first })
                        }
                        _ => Ok(None),
                    };
                }
                after_zero = true;
                continue;
            }
            after_zero = false;
            let hdr = Header { block, offset };
            if !hdr.checksum_ok() {
                return Err(TarError::BadChecksum { offset });
            }
            let first = *pending.first_offset.get_or_insert(offset);
            match hdr.typeflag() {
                b'x' => {
                    let body = self.extension_body(&hdr)?;
                    pending.pax.add(&body, offset)?;
                }
                b'g' => {
                    let body = self.extension_body(&hdr)?;
                    merge_global(&mut self.global, &body, offset)?;
                }
                b'L' => pending.long_name = Some(cstr(&self.extension_body(&hdr)?).to_vec()),
                b'K' => pending.long_link = Some(cstr(&self.extension_body(&hdr)?).to_vec()),
                _ => return self.member(&hdr, pending, first).map(Some),
            }
        }
    }

    fn extension_body(&mut self, hdr: &Header) -> Result<Vec<u8>, TarError> {
        let size = hdr.size()?;
        if size > MAX_EXTENSION_SIZE {
            return Err(TarError::ExtensionTooLarge {
                offset: hdr.offset,
                size,
                limit: MAX_EXTENSION_SIZE,
            });
        }
        let body = self.src.read_vec(size)?;
        self.src.skip(padding(size))?;
        Ok(body)
    }

    fn member(
        &mut self,
        hdr: &Header,
        pending: Pending,
        header_offset: u64,
    ) -> Result<Entry, TarError> {
        // Errors about records and sparse maps name the member's first header block.
        let offset = header_offset;
        let pax = Resolved {
            local: &pending.pax,
            global: &self.global,
        };
        let typeflag = hdr.typeflag();
        let full_mode = hdr.mode()?;
        let path = match (pax.get(b"path"), pending.long_name) {
            (Some(p), _) => p.to_vec(),
            (None, Some(long)) => long,
            (None, None) if hdr.is_ustar() && !hdr.prefix().is_empty() => {
                [hdr.prefix(), b"/", hdr.name()].concat()
            }
            (None, None) => hdr.name().to_vec(),
        };
        let link_target = match (pax.get(b"linkpath"), pending.long_link) {
            (Some(p), _) => p.to_vec(),
            (None, Some(long)) => long,
            (None, None) => hdr.linkname().to_vec(),
        };
        let uid = match pax.get(b"uid") {
            Some(v) => value_u32(b"uid", v, offset)?,
            None => hdr.uid()?,
        };
        let gid = match pax.get(b"gid") {
            Some(v) => value_u32(b"gid", v, offset)?,
            None => hdr.gid()?,
        };
        let (mtime, mtime_nsec) = match pax.get(b"mtime") {
            Some(v) => value_time(b"mtime", v, offset)?,
            None => (hdr.mtime()?, 0),
        };
        let stored = if kind::has_data(typeflag) {
            match pax.get(b"size") {
                Some(v) => value_u64(b"size", v, offset)?,
                None => hdr.size()?,
            }
        } else {
            0
        };
        let pad = padding(stored);
        let kind = kind::detect(typeflag, full_mode, &path);
        let (dev_major, dev_minor) = match kind {
            EntryKind::CharDevice | EntryKind::BlockDevice => (hdr.devmajor()?, hdr.devminor()?),
            _ => (0, 0),
        };
        let mut entry = Entry {
            path,
            link_target,
            kind,
            mode: full_mode & 0o7777,
            uid,
            gid,
            mtime,
            mtime_nsec,
            size: 0,
            dev_major,
            dev_minor,
            xattrs: pax.xattrs(),
            segments: Vec::new(),
            header_offset,
        };
        if kind == EntryKind::Regular {
            self.skip_left = pad;
            self.regular_data(hdr, &pending.pax, stored, &mut entry)?;
        } else {
            if let EntryKind::Unsupported(_) = kind {
                entry.size = stored;
            }
            self.skip_left = stored.checked_add(pad).ok_or(TarError::NumberOverflow {
                field: "size",
                offset,
            })?;
        }
        Ok(entry)
    }

    /// Sets up the data of a regular member: reads a sparse map if there is one and leaves
    /// the stream at the first stored data byte.
    fn regular_data(
        &mut self,
        hdr: &Header,
        local: &LocalPax,
        stored: u64,
        entry: &mut Entry,
    ) -> Result<(), TarError> {
        let offset = entry.header_offset;
        let (map, real_size, data) = if hdr.typeflag() == b'S' {
            (
                self.old_gnu_map(hdr, offset)?,
                Some(hdr.gnu_realsize()?),
                stored,
            )
        } else {
            match pax_sparse(local, offset)? {
                None => {
                    entry.size = stored;
                    if stored > 0 {
                        entry.segments.push(Segment {
                            file_offset: 0,
                            len: stored,
                            tar_offset: self.src.position(),
                        });
                    }
                    self.data_left = stored;
                    return Ok(());
                }
                Some(version) => {
                    if let Some(name) = local.local(b"GNU.sparse.name") {
                        entry.path = name.to_vec();
                    }
                    let real = sparse_number(local, b"GNU.sparse.realsize", offset)?
                        .or(sparse_number(local, b"GNU.sparse.size", offset)?);
                    match version {
                        PaxSparse::V0 => (map_0_x(local, offset)?, real, stored),
                        PaxSparse::V1 => {
                            let (map, used) = self.map_1_0(stored, offset)?;
                            (map, real, stored - used)
                        }
                    }
                }
            }
        };
        let (segs, size) = segments(&map, real_size, self.src.position(), data, offset)?;
        entry.segments = segs;
        entry.size = size;
        self.data_left = data;
        Ok(())
    }

    /// The map of an old GNU `S` member: header entries, then extension blocks while the
    /// continuation flag is set.
    fn old_gnu_map(&mut self, hdr: &Header, offset: u64) -> Result<Vec<(u64, u64)>, TarError> {
        let mut map = Vec::new();
        old_gnu_entries(hdr.gnu_sparse_area(), &mut map, offset)?;
        let mut extended = hdr.gnu_is_extended();
        while extended {
            let block = self.src.required_block()?;
            let (entries, flag) = block.split_at(GNU_EXT_MAP);
            old_gnu_entries(entries, &mut map, offset)?;
            extended = flag.first().is_some_and(|&b| b != 0);
        }
        Ok(map)
    }

    /// Reads the PAX 1.0 map from the data area; returns it and the bytes it occupied.
    fn map_1_0(&mut self, stored: u64, offset: u64) -> Result<(Vec<(u64, u64)>, u64), TarError> {
        let mut parser = MapParser::default();
        let mut used: u64 = 0;
        loop {
            if stored - used < BLOCK_U64 {
                return Err(TarError::BadSparseMap { offset });
            }
            let block = self.src.required_block()?;
            used += BLOCK_U64;
            if parser.feed(&block, offset)? {
                return Ok((parser.into_map(), used));
            }
        }
    }
}

/// Which PAX sparse encoding a member uses, if any.
fn pax_sparse(local: &LocalPax, offset: u64) -> Result<Option<PaxSparse>, TarError> {
    let major = local.local(b"GNU.sparse.major");
    let minor = local.local(b"GNU.sparse.minor");
    match (major, minor) {
        (None, None) => {
            let v0 = !local.sparse_pairs.is_empty()
                || [
                    &b"GNU.sparse.map"[..],
                    b"GNU.sparse.numblocks",
                    b"GNU.sparse.size",
                ]
                .iter()
                .any(|k| local.local(k).is_some());
            Ok(v0.then_some(PaxSparse::V0))
        }
        (Some(b"1"), Some(b"0") | None) => Ok(Some(PaxSparse::V1)),
        (Some(b"0"), Some(b"0" | b"1") | None) => Ok(Some(PaxSparse::V0)),
        (major, minor) => Err(TarError::UnsupportedSparse {
            offset,
            major: String::from_utf8_lossy(major.unwrap_or_default()).into_owned(),
            minor: String::from_utf8_lossy(minor.unwrap_or_default()).into_owned(),
        }),
    }
}

/// The 0.0/0.1 map: `GNU.sparse.map` if present, else the offset/numbytes records; checked
/// against `GNU.sparse.numblocks` when that is given.
fn map_0_x(local: &LocalPax, offset: u64) -> Result<Vec<(u64, u64)>, TarError> {
    let map = match local.local(b"GNU.sparse.map") {
        Some(text) => map_0_1(text, offset)?,
        None => local.sparse_pairs.clone(),
    };
    if let Some(n) = sparse_number(local, b"GNU.sparse.numblocks", offset)?
        && u64::try_from(map.len()).ok() != Some(n)
    {
        return Err(TarError::BadSparseMap { offset });
    }
    Ok(map)
}

fn sparse_number(local: &LocalPax, key: &[u8], offset: u64) -> Result<Option<u64>, TarError> {
    local
        .local(key)
        .map(|v| value_u64(key, v, offset))
        .transpose()
}

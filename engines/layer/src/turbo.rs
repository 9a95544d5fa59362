//! TurboOCI layers: the meta tar.gz (§4.1) and the warp file over the original blob (§4.4).

use crate::{DynRead, LayerError, open_blob};
use flate2::read::GzDecoder;
use gzindex::{GzIndex, GzIndexReader};
use lsmt::WarpFile;
use std::io::Read;
use tarstream::{EntryKind, TarReader};

/// Meta members are small (metadata only); anything bigger is not a meta layer.
const MAX_MEMBER: u64 = 1 << 30;

/// The members of a `turboOCIv1.tar.gz`.
#[derive(Debug, Clone, Default)]
pub struct TurboMeta {
    /// `ext4` or `erofs`, from the `<fstype>.fs.meta` member name.
    pub fstype: String,
    pub fs_meta: Vec<u8>,
    pub gzip_meta: Option<Vec<u8>>,
    /// Whether the `.turbo.ociv1` marker was present.
    pub marker: bool,
}

/// Unpacks the meta layer blob (a gzip'ed tar).
pub fn read_turbo_meta(blob: impl Read) -> Result<TurboMeta, LayerError> {
    let mut tar = TarReader::new(GzDecoder::new(blob));
    let mut meta = TurboMeta::default();
    let mut fs_meta = None;
    while let Some(entry) = tar.next_entry()? {
        if entry.kind != EntryKind::Regular {
            continue;
        }
        let name = String::from_utf8_lossy(&entry.path)
            .trim_start_matches("./")
            .to_string();
        if name == ".turbo.ociv1" {
            meta.marker = true;
        } else if name == "gzip.meta" {
            meta.gzip_meta = Some(read_member(&mut tar, entry.size)?);
        } else if let Some(fstype) = name.strip_suffix(".fs.meta") {
            meta.fstype = fstype.to_string();
            fs_meta = Some(read_member(&mut tar, entry.size)?);
        }
    }
    meta.fs_meta = fs_meta.ok_or(LayerError::MissingMember("<fstype>.fs.meta"))?;
    Ok(meta)
}

fn read_member<R: Read>(tar: &mut TarReader<R>, size: u64) -> Result<Vec<u8>, LayerError> {
    if size > MAX_MEMBER {
        return Err(LayerError::MemberTooLarge(MAX_MEMBER));
    }
    let mut out = Vec::with_capacity(size as usize);
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = tar.read_data(&mut buf)?;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// Opens a warp layer: `fs_meta` is the (ZFile'd) warp LSMT, `original` the source layer blob
/// as published; with a gzip index its data is read through it, else it is a plain tar.
pub fn open_turbo(
    fs_meta: DynRead,
    gzip_meta: Option<&[u8]>,
    original: DynRead,
) -> Result<WarpFile<DynRead, DynRead>, LayerError> {
    let stream = open_blob(fs_meta)?.stream;
    let target: DynRead = match gzip_meta {
        Some(bytes) => Box::new(GzIndexReader::new(GzIndex::from_bytes(bytes)?, original)?),
        None => original,
    };
    Ok(WarpFile::open(stream, target)?)
}

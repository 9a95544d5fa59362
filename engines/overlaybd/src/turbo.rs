//! TurboOCI: ext4 metadata whose file extents point into the untouched original layer
//! (formats.md §4). One pass over the source inflates it, builds the gzip index and applies the
//! tar in meta-only mode.

use crate::native::{Base, check_vsize};
use crate::source::{Compression, sniff};
use crate::{ConvertError, Zeros};
use blockio::{ReadAt, WriteAt};
use ext4::{Ext4, MkfsOptions};
use gzindex::IndexBuilder;
use lsmt::{LayeredDevice, WarpCreateOptions, WarpLayer};
use ociapply::{ApplyOptions, apply_layer};
use sha2::{Digest, Sha256};
use std::io::{Cursor, Read, Write};
use tarstream::TarReader;

/// Member names of the meta layer, in upstream's order.
pub const FS_META: &str = "ext4.fs.meta";
pub const MARKER: &str = ".turbo.ociv1";
pub const GZIP_META: &str = "gzip.meta";

#[derive(Debug, Clone, Default)]
pub struct TurboOptions {
    pub zfile: zfile::Options,
    /// Number of layers below (upstream stores it as the tag base of the RW index).
    pub lower_count: u8,
}

#[derive(Debug, Clone, Default)]
pub struct TurboReport {
    pub entries: u64,
    pub warnings: Vec<String>,
    /// Remote records (file extents pointing into the original tar).
    pub remote_records: u64,
    pub source_compression: Option<&'static str>,
    pub fs_meta_len: u64,
    pub gzip_meta_len: Option<u64>,
    /// `sha256:` of the uncompressed meta tar: the config's diff_id for this layer.
    pub diff_id: String,
    pub blob_len: u64,
}

/// Converts one layer: `source` is the layer blob as published (gzip or plain tar); `meta` and
/// `index` are scratch files of the warp layer; `out` receives `turboOCIv1.tar.gz`.
pub fn convert_turbo<S, L, D, I, W>(
    source: S,
    base: Base<L>,
    meta: D,
    index: I,
    out: W,
    opts: &TurboOptions,
) -> Result<(TurboReport, W), ConvertError>
where
    S: Read,
    L: ReadAt,
    D: ReadAt + WriteAt,
    I: ReadAt + WriteAt,
    W: Write,
{
    let (lower, mkfs): (Box<dyn ReadAt + '_>, bool) = match base {
        Base::Mkfs { vsize } => {
            check_vsize(vsize)?;
            (Box::new(Zeros(vsize)), true)
        }
        Base::Lower(l) => (Box::new(l), false),
    };
    let vsize = lower.size();
    let warp = WarpLayer::create(
        meta,
        index,
        &WarpCreateOptions {
            virtual_size: vsize,
            tag_base: opts.lower_count,
            ..Default::default()
        },
    )?;
    let device = LayeredDevice::new(lower, warp)?;
    let mut fs = if mkfs {
        Ext4::mkfs(device, &MkfsOptions { size: vsize })?
    } else {
        Ext4::open(device)?
    };

    let (kind, source) = sniff(source)?;
    let meta_only = ApplyOptions { meta_only: true };
    let (applied, gzip_meta) = match kind {
        Compression::Gzip => {
            let mut tar = TarReader::new(IndexBuilder::new(source)?);
            let applied = apply_layer(&mut fs, &mut tar, &meta_only)?;
            let index = tar.into_inner().finish()?;
            (applied, Some(index.to_bytes()?))
        }
        Compression::None => {
            let mut tar = TarReader::new(source);
            let applied = apply_layer(&mut fs, &mut tar, &meta_only)?;
            // Drain what follows the archive so the whole blob was read, as with gzip.
            std::io::copy(&mut tar.into_inner(), &mut std::io::sink())?;
            (applied, None)
        }
        Compression::Zstd => {
            return Err(ConvertError::UnsupportedCompression(
                "zstd: TurboOCI needs a gzip or uncompressed source layer",
            ));
        }
    };

    // Remote records go in before the metadata is flushed: blocks freed during the apply were
    // held back, so no remote record shares a block with anything but metadata written later,
    // and later records win.
    let warp = fs.device_mut().upper_mut();
    for m in &applied.remote {
        warp.add_remote(m.device_offset, m.len, m.tar_offset)?;
    }
    let (_, warp) = fs.into_inner()?.into_parts();
    let mut z = zfile::ZFileWriter::new(Cursor::new(Vec::new()), opts.zfile)?;
    warp.commit(&mut z, None, None)?;
    let fs_meta = z.finish()?.0.into_inner();

    let mut members: Vec<(&str, &[u8])> = vec![(FS_META, &fs_meta), (MARKER, &[])];
    if let Some(g) = &gzip_meta {
        members.push((GZIP_META, g));
    }
    let (diff_id, out, blob_len) = write_meta_tar_gz(&members, out)?;
    let report = TurboReport {
        entries: applied.entries,
        warnings: applied.warnings,
        remote_records: applied.remote.len() as u64,
        source_compression: Some(if gzip_meta.is_some() { "gzip" } else { "none" }),
        fs_meta_len: fs_meta.len() as u64,
        gzip_meta_len: gzip_meta.as_ref().map(|g| g.len() as u64),
        diff_id,
        blob_len,
    };
    Ok((report, out))
}

/// Go `archive/tar`-style USTAR members (name, mode 0644, size only), gzip'ed with no name and
/// mtime 0; returns the digest of the uncompressed tar.
fn write_meta_tar_gz<W: Write>(
    members: &[(&str, &[u8])],
    out: W,
) -> Result<(String, W, u64), ConvertError> {
    let counted = Counted { inner: out, n: 0 };
    let mut gz = flate2::GzBuilder::new()
        .mtime(0)
        .write(counted, flate2::Compression::new(6));
    let mut hash = Sha256::new();
    let mut put = |bytes: &[u8]| -> std::io::Result<()> {
        hash.update(bytes);
        gz.write_all(bytes)
    };
    for (name, data) in members {
        put(&tarwrap::plain_ustar_header(
            name,
            data.len() as u64,
            0o644,
        )?)?;
        put(data)?;
        let pad = (512 - data.len() % 512) % 512;
        put(&vec![0u8; pad])?;
    }
    put(&[0u8; 1024])?;
    let counted = gz.finish()?;
    Ok((
        format!("sha256:{:x}", hash.finalize()),
        counted.inner,
        counted.n,
    ))
}

struct Counted<W> {
    inner: W,
    n: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

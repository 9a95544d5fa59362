//! Native overlaybd: the layer becomes the ext4 blocks it changes, as a committed LSMT layer
//! inside a ZFile inside the `overlaybd.commit` tar (formats.md §1.5, §2.6, §2.9, §3).

use crate::{ConvertError, Zeros};
use blockio::{ReadAt, WriteAt};
use ext4::{Ext4, MkfsOptions};
use lsmt::{CommitOptions, CreateOptions, LayeredDevice, RwLayer, Uuid};
use ociapply::{ApplyOptions, apply_layer};
use std::io::{Read, Seek, Write};
use tarstream::TarReader;

/// Where the filesystem of this layer comes from.
pub enum Base<L> {
    /// The bottom layer: a fresh ext4 of `vsize` bytes.
    Mkfs { vsize: u64 },
    /// The merged device of the converted layers below (a base layer included).
    Lower(L),
}

/// Makes the block codec of a ZFile writer with these options: inline by default, host
/// threads in engines.
pub type CodecFactory = fn(zfile::Options) -> Box<dyn zfile::BlockCodec>;

/// Compresses on the calling thread.
pub fn inline_codec(options: zfile::Options) -> Box<dyn zfile::BlockCodec> {
    Box::new(zfile::InlineCodec::new(options.algorithm))
}

#[derive(Debug, Clone)]
pub struct NativeOptions {
    /// Sparse scratch data (the default) or upstream's append mode (`--disable-sparse`).
    pub sparse: bool,
    pub zfile: zfile::Options,
    pub codec: CodecFactory,
    pub uuid: Option<Uuid>,
    pub parent_uuid: Option<Uuid>,
}

impl Default for NativeOptions {
    fn default() -> Self {
        Self {
            sparse: true,
            zfile: zfile::Options::default(),
            codec: inline_codec,
            uuid: None,
            parent_uuid: None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct NativeReport {
    pub entries: u64,
    pub warnings: Vec<String>,
    /// Bytes of file data the tar carried into the filesystem.
    pub data_bytes: u64,
    /// Sectors of the committed layer's data and its record count.
    pub layer_sectors: u64,
    pub layer_records: u64,
    /// Uncompressed LSMT length, and the blob's length (ZFile plus tar wrapper).
    pub lsmt_len: u64,
    pub blob_len: u64,
}

/// Converts one layer: `tar` is the uncompressed layer tar, `data`/`index` the scratch files
/// of the writable layer (the index is only used in append mode), `out` receives the blob.
pub fn convert_native<T, L, D, I, W>(
    tar: T,
    base: Base<L>,
    data: D,
    index: I,
    out: W,
    opts: &NativeOptions,
) -> Result<(NativeReport, W), ConvertError>
where
    T: Read,
    L: ReadAt,
    D: ReadAt + WriteAt,
    I: ReadAt + WriteAt,
    W: Write + Seek,
{
    let (lower, vsize): (Box<dyn ReadAt + '_>, u64) = match base {
        Base::Mkfs { vsize } => {
            check_vsize(vsize)?;
            (Box::new(Zeros(vsize)), vsize)
        }
        Base::Lower(l) => (Box::new(l), 0),
    };
    let create = CreateOptions {
        virtual_size: vsize,
        sparse: opts.sparse,
        uuid: Uuid::NULL,
        parent_uuid: opts.parent_uuid.unwrap_or(Uuid::NULL),
    };
    let upper = RwLayer::create(data, index, &create)?;
    let device = LayeredDevice::new(lower, upper)?;
    let mut fs = match vsize {
        0 => Ext4::open(device)?,
        size => Ext4::mkfs(device, &MkfsOptions { size })?,
    };
    let applied = apply_layer(
        &mut fs,
        &mut TarReader::new(tar),
        &ApplyOptions { meta_only: false },
    )?;
    let (_, upper) = fs.into_inner()?.into_parts();

    let mut wrap = tarwrap::TarWrapWriter::new(out)?;
    let codec = (opts.codec)(opts.zfile);
    let mut z = zfile::ZFileWriter::with_codec(wrap.inner_mut(), opts.zfile, codec)?;
    let commit = CommitOptions {
        uuid: opts.uuid,
        parent_uuid: opts.parent_uuid,
        user_tag: Vec::new(),
    };
    let summary = lsmt::commit(&upper, &mut z, &commit)?;
    z.finish()?;
    let (out, blob_len) = wrap.finish()?;
    let report = NativeReport {
        entries: applied.entries,
        warnings: applied.warnings,
        data_bytes: applied.bytes_written,
        layer_sectors: summary.data_sectors,
        layer_records: summary.records,
        lsmt_len: summary.output_len,
        blob_len,
    };
    Ok((report, out))
}

pub(crate) fn check_vsize(vsize: u64) -> Result<(), ConvertError> {
    if (1 << 30..=256 << 40).contains(&vsize) {
        Ok(())
    } else {
        Err(ConvertError::BadVirtualSize(vsize))
    }
}

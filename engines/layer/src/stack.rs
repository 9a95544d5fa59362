//! A merged device from layer blobs, bottom first (§1.9, §6).

use crate::{DynRead, LayerError, open_blob, open_turbo};
use lsmt::{Layer, LsmtFile, Stack};

/// One layer of an image as the tools find it.
pub enum LayerSource {
    /// A native overlaybd blob (tar-wrapped, ZFile or plain LSMT).
    Native(DynRead),
    /// A TurboOCI layer: its fs meta, the gzip index if the original is gzip, the original blob.
    Turbo {
        fs_meta: DynRead,
        gzip_meta: Option<Vec<u8>>,
        original: DynRead,
    },
}

impl LayerSource {
    /// A TurboOCI layer from its published meta layer (`turboOCIv1.tar.gz`) and the original
    /// blob it points into.
    pub fn from_meta_layer(tgz: impl std::io::Read, original: DynRead) -> Result<Self, LayerError> {
        let meta = crate::read_turbo_meta(tgz)?;
        Ok(LayerSource::Turbo {
            fs_meta: Box::new(meta.fs_meta),
            gzip_meta: meta.gzip_meta,
            original,
        })
    }
}

pub fn open_stack(layers: Vec<LayerSource>) -> Result<Stack<'static>, LayerError> {
    let mut opened: Vec<Box<dyn Layer>> = Vec::with_capacity(layers.len());
    for source in layers {
        opened.push(match source {
            LayerSource::Native(blob) => Box::new(LsmtFile::open(open_blob(blob)?.stream)?),
            LayerSource::Turbo {
                fs_meta,
                gzip_meta,
                original,
            } => Box::new(open_turbo(fs_meta, gzip_meta.as_deref(), original)?),
        });
    }
    Ok(Stack::new(opened)?)
}

//! The converted layers below the one being converted, served from stored blob files.

use engine_runtime::LowerLayers;
use engine_runtime::wit::LayerInfo;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

/// One published layer and the source blob it was made from. A layer an engine published
/// beside its conversion (the `mkfs=false` base layer) has no source of its own and names
/// itself as its source.
pub struct StoredLayer {
    pub info: LayerInfo,
    pub blob: Arc<File>,
    pub source_info: LayerInfo,
    pub source: Arc<File>,
}

/// A snapshot of the layers published so far, bottom first.
#[derive(Clone, Default)]
pub struct StoredLowers(pub Arc<Vec<Arc<StoredLayer>>>);

impl StoredLowers {
    fn get(&self, index: u32) -> io::Result<&StoredLayer> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.0.get(i))
            .map(|l| l.as_ref())
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("there is no lower layer {index}"),
                )
            })
    }
}

impl LowerLayers for StoredLowers {
    fn count(&self) -> u32 {
        u32::try_from(self.0.len()).unwrap_or(u32::MAX)
    }
    fn info(&self, index: u32) -> Option<LayerInfo> {
        self.get(index).ok().map(|l| l.info.clone())
    }
    fn source_info(&self, index: u32) -> Option<LayerInfo> {
        self.get(index).ok().map(|l| l.source_info.clone())
    }
    fn read(&self, index: u32, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        self.get(index)?.blob.read_at(buf, offset)
    }
    fn read_source(&self, index: u32, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        self.get(index)?.source.read_at(buf, offset)
    }
}

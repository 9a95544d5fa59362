//! The merged device of the layers below the one being converted.

use blockio::ReadAt;
use layer::{DynRead, LayerSource};

use crate::{AssetFile, EngineError, HostFaults, LentLowers, ReadAtStream};

/// The asset holding upstream's `ext4_64` base layer, used when `mkfs` is false.
pub const BASELAYER: &str = "baselayer";

/// Opens `base` (the base layer asset, for the bottom layer of a `mkfs=false` image) and then
/// every lower, bottom first. A lower whose published blob is gzip is a TurboOCI meta layer
/// and reads its data from its source blob; anything else is a native blob (tar-wrapped,
/// ZFile or plain LSMT, like the published base layer). Returns the stack and its depth, or
/// `None` when there is nothing below.
pub fn open_lowers(
    lowers: &LentLowers,
    base: Option<AssetFile>,
    faults: &HostFaults,
) -> Result<Option<(lsmt::Stack<'static>, usize)>, EngineError> {
    let mut sources: Vec<LayerSource> = Vec::new();
    if let Some(asset) = base {
        sources.push(LayerSource::Native(Box::new(asset)));
    }
    for index in 0..lowers.count() {
        let missing = || EngineError::Internal(format!("lower layer {index} vanished"));
        let published = lowers.published(index).ok_or_else(missing)?;
        let mut magic = [0u8; 2];
        let n = published
            .read_at(0, &mut magic)
            .map_err(|err| faults.or(EngineError::Io(err.to_string())))?;
        if n == 2 && magic == [0x1f, 0x8b] {
            let original: DynRead = Box::new(lowers.source(index).ok_or_else(missing)?);
            sources.push(
                LayerSource::from_meta_layer(ReadAtStream::new(published), original)
                    .map_err(|err| super::layer_error(err, faults))?,
            );
        } else {
            sources.push(LayerSource::Native(Box::new(published)));
        }
    }
    if sources.is_empty() {
        return Ok(None);
    }
    let depth = sources.len();
    let stack = layer::open_stack(sources).map_err(|err| super::layer_error(err, faults))?;
    Ok(Some((stack, depth)))
}

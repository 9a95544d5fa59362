//! The converted image config.

use super::OutputLayer;
use crate::gojson::Image;

/// The source config with `rootfs.diff_ids` replaced by the output layers' diff_ids. History
/// and every field the Go struct knows are kept; `source_layers` is the source manifest's layer
/// count. Upstream overwrites `diff_ids[i]` per converted layer (and prepends a base layer), so
/// surplus source diff_ids past the last source layer survive; so do they here.
pub fn new_config(source: &Image, source_layers: usize, layers: &[OutputLayer]) -> Image {
    let mut config = source.clone();
    if layers.is_empty() {
        return config;
    }
    let surplus = source.diff_ids().get(source_layers..).unwrap_or_default();
    let diff_ids = layers
        .iter()
        .map(|l| l.diff_id.clone())
        .chain(surplus.iter().cloned())
        .collect();
    config.rootfs.diff_ids = Some(diff_ids);
    config
}

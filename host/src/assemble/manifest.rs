//! The converted manifest, and config + manifest serialized together.

use super::{AssembleOptions, AssembledImage, Document, OutputLayer, new_config};
use crate::gojson::{self, Descriptor, Image, Manifest};

/// The source manifest with `config`, `layers` and `mediaType` replaced. `annotations`,
/// `artifactType` and `subject` stay as in the source unless referrer mode sets `artifactType`
/// and `subject` (media type, digest and size of `source_desc`).
pub fn new_manifest(
    source: &Manifest,
    source_desc: &Descriptor,
    config: &Descriptor,
    layers: &[OutputLayer],
    opts: &AssembleOptions,
) -> Manifest {
    let mut m = source.clone();
    m.config = config.bare();
    if !layers.is_empty() {
        m.layers = Some(layers.iter().map(|l| l.descriptor.clone()).collect());
    }
    m.media_type = opts.family.manifest().to_string();
    if let Some(at) = &opts.referrer_artifact_type {
        m.artifact_type = at.clone();
        m.subject = Some(source_desc.bare());
    }
    m
}

/// Serializes the converted config and manifest for one source manifest.
pub fn assemble_image(
    source_desc: &Descriptor,
    source_manifest: &Manifest,
    source_config: &Image,
    layers: &[OutputLayer],
    opts: &AssembleOptions,
) -> AssembledImage {
    let cfg = new_config(source_config, source_manifest.layers().len(), layers);
    let config = Document::new(opts.family.config(), gojson::to_vec(&cfg));
    let man = new_manifest(
        source_manifest,
        source_desc,
        &config.descriptor,
        layers,
        opts,
    );
    let manifest = Document::new(opts.family.manifest(), gojson::to_vec(&man));
    AssembledImage { config, manifest }
}

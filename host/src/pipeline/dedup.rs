//! The pipeline's dedup hooks: a target's session (database, store, variant) and an image
//! whose converted manifest the store already holds, reported without converting anything.

use super::engines::LoadedEngine;
use super::image::{TargetCtx, layer_label};
use super::report::{ImageReport, LayerReport, layer_line};
use super::store::hash_file;
use crate::cli::Options;
use crate::dedup::{ManifestHit, Variant, VariantInputs};
use crate::image::{ImageNode, MediaFamily};
use anyhow::Result;
use std::path::Path;
use std::time::Instant;

/// What decides this target's output bytes besides the source: the engine's identity, the
/// options the run passes it, the family, referrer mode, the engine's asset files and the
/// annotations every output manifest gets.
pub fn variant(engine: &LoadedEngine, opts: &Options) -> Result<Variant> {
    let id = engine.handle.identity();
    let assets = engine
        .assets
        .iter()
        .map(|(name, path)| Ok((name.clone(), hash_file(path)?.0)))
        .collect::<Result<Vec<_>>>()?;
    let referrer = opts.referrer.then_some(engine.info.artifact_type.as_str());
    let annotations: Vec<(String, String)> = engine
        .manifest_annotations
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(Variant::new(&VariantInputs {
        engine_name: &id.name,
        engine_version: &id.version,
        engine_sha256: &id.sha256,
        options: &engine.options,
        family: match opts.family {
            MediaFamily::Oci => "oci",
            MediaFamily::Docker => "docker",
        },
        referrer,
        assets: &assets,
        manifest_annotations: &annotations,
    }))
}

/// The report of an image reused whole: its layers map onto the source layers bottom-up, any
/// extra output (the `--mkfs=false` base layer) going to the first.
pub fn reused_image(
    ctx: &TargetCtx<'_>,
    image_dir: &Path,
    node: &ImageNode,
    platform: String,
    hit: ManifestHit,
    start: Instant,
) -> Result<ImageReport> {
    let sources = node.manifest.layers();
    let outputs = hit.parsed.layers();
    let extra = outputs.len().saturating_sub(sources.len());
    let mut layers = Vec::with_capacity(sources.len());
    let mut next = outputs.iter();
    for (index, source) in sources.iter().enumerate() {
        let take = if index == 0 { extra + 1 } else { 1 };
        let report = LayerReport {
            index,
            source: source.bare(),
            outputs: next.by_ref().take(take).cloned().collect(),
            seconds: 0.0,
            reused: true,
        };
        if let Some(events) = ctx.events {
            let line = layer_line(ctx.engine.format, &platform, sources.len(), &report);
            let label = layer_label(ctx, &platform, index, sources.len());
            events.layer_ended(&label, Some(&line));
        }
        layers.push(report);
    }
    let mut dumped = Vec::new();
    if ctx.dump {
        let config = ctx
            .store
            .read_blob(&hit.parsed.config.digest, crate::layout::Verify::Yes)?;
        dumped.push(ctx.work.dump(image_dir, "config.json", &config)?);
        dumped.push(ctx.work.dump(image_dir, "manifest.json", &hit.bytes)?);
    } else {
        ctx.work.discard(image_dir);
    }
    Ok(ImageReport {
        source: node.source.bare(),
        platform,
        manifest: hit.manifest,
        config: hit.parsed.config.bare(),
        layers,
        seconds: start.elapsed().as_secs_f64(),
        dumped,
        reused: true,
    })
}

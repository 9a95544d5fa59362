//! One manifest: its layers bottom-up through the engine, then its config and manifest.

use super::engines::LoadedEngine;
use super::layer::{LayerInput, convert_layer};
use super::report::{ImageReport, LayerReport, layer_line};
use super::verify::{SourceLayer, VerifiedSources};
use super::workdir::WorkDir;
use crate::assemble::{AssembleOptions, OutputLayer, assemble_image};
use crate::image::{ImageNode, chain_ids, format_platform};
use crate::layout::Layout;
use anyhow::{Result, bail};
use engine_runtime::LogFn;
use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Everything the images of one target share.
pub struct TargetCtx<'a> {
    pub engine: &'a LoadedEngine,
    /// Where source blobs are read.
    pub source: &'a Layout,
    /// Where outputs are stored: the source layout, or a scratch one with `--no-upload`.
    pub store: &'a Layout,
    pub verified: &'a Arc<VerifiedSources>,
    pub work: &'a WorkDir,
    pub assemble: AssembleOptions,
    pub dump: bool,
    /// Set when any image failed: the others stop before their next layer.
    pub cancel: &'a AtomicBool,
    /// Hears of each layer as it starts, progresses and ends.
    pub events: Option<&'a dyn super::Events>,
    pub log: LogFn,
    /// Layer and manifest dedup, when a database is configured.
    pub dedup: Option<&'a crate::dedup::Session<'a>>,
    /// Brings an image's source layers into `source` first, when they are fetched on demand.
    pub fetch_layers: Option<super::FetchLayers<'a>>,
}

/// Why an image stopped early: another one failed first.
#[derive(Debug, thiserror::Error)]
#[error("stopped because another image failed")]
pub struct Cancelled;

/// Converts the `n`th image of the run (see `WorkDir::image_dir`).
pub fn convert_image(ctx: &TargetCtx<'_>, n: usize, node: &ImageNode) -> Result<ImageReport> {
    let image_dir = ctx.work.image_dir(n, &node.source)?;
    let result = convert_in(ctx, &image_dir, node);
    if result.is_err() {
        ctx.work.discard(&image_dir);
    }
    result
}

fn convert_in(ctx: &TargetCtx<'_>, image_dir: &Path, node: &ImageNode) -> Result<ImageReport> {
    let start = Instant::now();
    let platform = node
        .source
        .platform
        .as_ref()
        .map(format_platform)
        .unwrap_or_default();
    if let Some(d) = ctx.dedup
        && let Some(hit) = d.find_manifest(&node.source.digest, ctx.assemble.family.manifest())?
    {
        return super::dedup::reused_image(ctx, image_dir, node, platform, hit, start);
    }
    let source_layers = node.manifest.layers();
    if let Some(fetch) = ctx.fetch_layers {
        fetch(source_layers)?;
    }
    let diff_ids = node.config.diff_ids();
    let checks: Vec<SourceLayer> = source_layers
        .iter()
        .zip(diff_ids)
        .map(|(desc, diff_id)| SourceLayer {
            desc: desc.clone(),
            diff_id: diff_id.clone(),
        })
        .collect();
    let stop = AtomicBool::new(false);
    let (verified, source) = (ctx.verified, ctx.source);
    let (outputs, reports) = std::thread::scope(|s| {
        s.spawn(|| verified.check_ahead(source, &checks, &stop));
        let converted = convert_layers(ctx, image_dir, node, &platform, &checks);
        stop.store(true, Ordering::Relaxed);
        verified.wake(&checks);
        converted
    })?;
    // A reused layer skips its source's check (its record was made from the same verified
    // blobs); once any layer was converted over it, every source is checked as usual.
    if reports.iter().any(|r| !r.reused) {
        for c in &checks {
            ctx.verified.wait(ctx.source, c)?;
        }
    }

    // The engine's identity rides on the source manifest's annotations into the output.
    let mut source_manifest = Cow::Borrowed(&node.manifest);
    if !ctx.engine.manifest_annotations.is_empty() {
        source_manifest
            .to_mut()
            .annotations
            .extend(ctx.engine.manifest_annotations.clone());
    }
    let doc = assemble_image(
        &node.source,
        &source_manifest,
        &node.config,
        &outputs,
        &ctx.assemble,
    );
    ctx.store
        .put_document(&doc.config.descriptor.media_type, &doc.config.bytes)?;
    ctx.store
        .put_document(&doc.manifest.descriptor.media_type, &doc.manifest.bytes)?;
    if let Some(d) = ctx.dedup {
        d.record_manifest(&node.source.digest, &doc.manifest.descriptor);
    }
    let mut dumped = Vec::new();
    if ctx.dump {
        dumped.push(ctx.work.dump(image_dir, "config.json", &doc.config.bytes)?);
        dumped.push(
            ctx.work
                .dump(image_dir, "manifest.json", &doc.manifest.bytes)?,
        );
    } else {
        ctx.work.discard(image_dir);
    }
    Ok(ImageReport {
        source: node.source.bare(),
        platform,
        manifest: doc.manifest.descriptor,
        config: doc.config.descriptor,
        layers: reports,
        seconds: start.elapsed().as_secs_f64(),
        dumped,
        reused: false,
    })
}

/// The image's layers bottom-up through the engine: the output layers and one report each.
fn convert_layers(
    ctx: &TargetCtx<'_>,
    image_dir: &Path,
    node: &ImageNode,
    platform: &str,
    checks: &[SourceLayer],
) -> Result<(Vec<OutputLayer>, Vec<LayerReport>)> {
    let source_layers = node.manifest.layers();
    if let Some(fetch) = ctx.fetch_layers {
        fetch(source_layers)?;
    }
    let diff_ids = node.config.diff_ids();
    let chain = chain_ids(diff_ids);
    let mut lowers = Vec::new();
    let mut outputs = Vec::new();
    let mut reports = Vec::new();
    for (i, desc) in source_layers.iter().enumerate() {
        if ctx.cancel.load(Ordering::Relaxed) {
            return Err(Cancelled.into());
        }
        crate::interrupt::check()?;
        let (Some(diff_id), Some(chain_id)) = (diff_ids.get(i), chain.get(i)) else {
            bail!(
                "manifest {} has no diff_id for layer {i}",
                node.source.digest
            );
        };
        let input = LayerInput {
            index: i,
            desc,
            sources: checks.get(..=i).unwrap_or_default(),
            diff_id,
            chain_id,
            parent_chain_id: i
                .checked_sub(1)
                .and_then(|p| chain.get(p))
                .map(String::as_str),
        };
        let label = layer_label(ctx, platform, i, source_layers.len());
        let total = u64::try_from(desc.size).unwrap_or(0);
        let progress = ctx.events.and_then(|e| e.layer_started(&label, total));
        let converted = convert_layer(ctx, image_dir, &input, &mut lowers, progress);
        let (out, report) = match converted {
            Ok(done) => done,
            Err(e) => {
                if let Some(events) = ctx.events {
                    events.layer_ended(&label, None);
                }
                return Err(e);
            }
        };
        if let Some(events) = ctx.events {
            let line = layer_line(ctx.engine.format, platform, source_layers.len(), &report);
            events.layer_ended(&label, Some(&line));
            events.layer_stored(&report.outputs);
        }
        outputs.extend(out);
        reports.push(report);
    }
    Ok((outputs, reports))
}

/// "overlaybd linux/amd64 layer 2/5": names a layer in progress displays.
pub fn layer_label(ctx: &TargetCtx<'_>, platform: &str, index: usize, layers: usize) -> String {
    let platform = if platform.is_empty() {
        String::new()
    } else {
        format!("{platform} ")
    };
    format!(
        "{} {platform}layer {}/{layers}",
        ctx.engine.format.name(),
        index + 1
    )
}

//! One source layer through the engine: parameters, the call, placeholder substitution and
//! storing what it published.

use super::image::TargetCtx;
use super::lowers::{StoredLayer, StoredLowers};
use super::report::LayerReport;
use super::store::store_file;
use super::verify::SourceLayer;
use crate::assemble::OutputLayer;
use crate::gojson::{Annotations, Descriptor};
use crate::image::MediaFamily;
use anyhow::{Context, Result, anyhow, bail};
use engine_runtime::wit::{self, LayerInfo, LayerParams};
use engine_runtime::{LayerIo, ProgressFn, PublishedLayer, SourceStreams};
use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Where a source layer sits in its image.
pub struct LayerInput<'a> {
    pub index: usize,
    pub desc: &'a Descriptor,
    /// The image's source layers up to and including this one.
    pub sources: &'a [SourceLayer],
    pub diff_id: &'a str,
    pub chain_id: &'a str,
    pub parent_chain_id: Option<&'a str>,
}

/// Annotation values the engine leaves for the host (wit/engine.wit, `published-layer`).
const DIGEST_PLACEHOLDER: &str = "{digest}";
const SIZE_PLACEHOLDER: &str = "{size}";

/// Converts one layer on top of `lowers` (the layers published so far, extended here) and
/// returns the image's new layers.
pub fn convert_layer(
    ctx: &TargetCtx<'_>,
    image_dir: &Path,
    input: &LayerInput<'_>,
    lowers: &mut Vec<Arc<StoredLayer>>,
    progress: Option<ProgressFn>,
) -> Result<(Vec<OutputLayer>, LayerReport)> {
    let start = Instant::now();
    let engine = ctx.engine;
    let desc = input.desc;
    if !engine.accepts(&desc.media_type) {
        bail!(
            "the {} engine does not accept layer media type {:?}",
            engine.info.name,
            desc.media_type
        );
    }
    let source_path = ctx.verified.path(ctx.source, desc)?;
    let checked = SourceLayer {
        desc: desc.clone(),
        diff_id: input.diff_id.to_string(),
    };
    let source_info = LayerInfo {
        media_type: desc.media_type.clone(),
        digest: desc.digest.clone(),
        size: u64::try_from(desc.size)
            .map_err(|_| anyhow!("layer {} has a negative size", desc.digest))?,
        diff_id: input.diff_id.to_string(),
        annotations: desc
            .annotations
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    };
    let source_file = Arc::new(open(&source_path)?);
    let source_digests: Vec<&str> = input
        .sources
        .iter()
        .map(|s| s.desc.digest.as_str())
        .collect();
    if let Some(d) = ctx.dedup
        && let Some(outputs) = d.find_layer(input.chain_id, &source_digests)?
    {
        ctx.verified.ended(&checked);
        for (i, o) in outputs.iter().enumerate() {
            let path = d.local_file(&o.descriptor.digest)?;
            let blob = Arc::new(open(&path)?);
            let last = i + 1 == outputs.len();
            push_lower(lowers, o, blob, last, &source_info, &source_file)?;
        }
        let report = LayerReport {
            index: input.index,
            source: desc.bare(),
            outputs: outputs.iter().map(|o| o.descriptor.clone()).collect(),
            seconds: start.elapsed().as_secs_f64(),
            reused: true,
        };
        return Ok((outputs, report));
    }
    let params = LayerParams {
        index: u32::try_from(input.index).context("too many layers")?,
        chain_id: input.chain_id.to_string(),
        parent_chain_id: input.parent_chain_id.map(str::to_string),
        family: match ctx.assemble.family {
            MediaFamily::Oci => wit::MediaFamily::Oci,
            MediaFamily::Docker => wit::MediaFamily::Docker,
        },
        options: engine.options.clone(),
    };
    let layer_dir = ctx.work.layer_dir(image_dir, input.index, &desc.digest)?;
    let io = LayerIo {
        work_dir: layer_dir.clone(),
        assets: engine.assets.clone(),
        log: Some(ctx.log.clone()),
        progress,
    };
    let blob = open(&source_path)?;
    let (verified, layer) = (ctx.verified.clone(), checked.clone());
    let tar_progress = io.progress.clone();
    let source = SourceStreams {
        // The layer's check runs beside an engine reading the blob...
        blob: Box::new(Released {
            inner: blob,
            release: Some(Box::new(move || verified.reading_blob(&layer))),
        }),
        // ...and is the stream of one reading the tar.
        tar: Some({
            let (verified, layer, path) = (ctx.verified.clone(), checked.clone(), source_path);
            Box::new(move || verified.open_tar(path, layer, tar_progress))
        }),
    };
    let result = engine
        .handle
        .convert_layer(
            &params,
            source,
            source_info.clone(),
            StoredLowers(Arc::new(lowers.clone())),
            &io,
        )
        .map_err(anyhow::Error::new)
        .with_context(|| format!("failed to convert layer {} ({})", input.index, desc.digest));
    // A bad source explains an engine failure better than the engine can.
    ctx.verified.ended(&checked);
    ctx.verified.wait(ctx.source, &checked)?;
    let result = result?;
    if result.layers.is_empty() {
        bail!(
            "the {} engine published nothing for layer {} ({})",
            engine.info.name,
            input.index,
            desc.digest
        );
    }

    let count = result.layers.len();
    let mut outputs = Vec::with_capacity(count);
    for (i, p) in result.layers.into_iter().enumerate() {
        let movable = p.blob_path.starts_with(&layer_dir);
        let stored = store_file(ctx.store, &p.blob_path, &p.digest, movable)?;
        let out = OutputLayer {
            descriptor: descriptor(&p)?,
            diff_id: p.diff_id,
        };
        let blob = Arc::new(open(&stored)?);
        push_lower(
            lowers,
            &out,
            blob,
            i + 1 == count,
            &source_info,
            &source_file,
        )?;
        outputs.push(out);
    }
    if let Some(d) = ctx.dedup {
        // The record vouches for the sources below too, whose checks a reused layer skipped.
        for lower in input.sources {
            ctx.verified.wait(ctx.source, lower)?;
        }
        d.record_layer(input.chain_id, &source_digests, &outputs)?;
    }
    ctx.work.discard(&layer_dir);
    let report = LayerReport {
        index: input.index,
        source: desc.bare(),
        outputs: outputs.iter().map(|o| o.descriptor.clone()).collect(),
        seconds: start.elapsed().as_secs_f64(),
        reused: false,
    };
    Ok((outputs, report))
}

fn open(path: &Path) -> Result<File> {
    File::open(path).with_context(|| format!("failed to open {}", path.display()))
}

/// Adds a stored output layer to the lowers of the layers above. The last layer a call
/// publishes is the conversion of its source; any before it (the base layer) stands on its own.
fn push_lower(
    lowers: &mut Vec<Arc<StoredLayer>>,
    out: &OutputLayer,
    blob: Arc<File>,
    last: bool,
    source_info: &LayerInfo,
    source_file: &Arc<File>,
) -> Result<()> {
    let d = &out.descriptor;
    let info = LayerInfo {
        media_type: d.media_type.clone(),
        digest: d.digest.clone(),
        size: u64::try_from(d.size).context("negative layer size")?,
        diff_id: out.diff_id.clone(),
        annotations: d
            .annotations
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    };
    let (src_info, src_file) = if last {
        (source_info.clone(), source_file.clone())
    } else {
        (info.clone(), blob.clone())
    };
    lowers.push(Arc::new(StoredLayer {
        info,
        blob,
        source_info: src_info,
        source: src_file,
    }));
    Ok(())
}

/// The layer descriptor: the engine's media type and annotations (placeholders filled in)
/// with the stored blob's digest and size.
fn descriptor(p: &PublishedLayer) -> Result<Descriptor> {
    let size = i64::try_from(p.size).context("published blob too large")?;
    let mut d = Descriptor::new(&p.media_type, &p.digest, size);
    d.annotations = substitute(&p.annotations, &p.digest, p.size);
    Ok(d)
}

/// Replaces `{digest}` and `{size}` in annotation values. Later duplicates of a key win.
pub fn substitute(annotations: &[(String, String)], digest: &str, size: u64) -> Annotations {
    annotations
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.replace(DIGEST_PLACEHOLDER, digest)
                    .replace(SIZE_PLACEHOLDER, &size.to_string()),
            )
        })
        .collect()
}

/// The source blob, telling the checks on its first read that the engine is reading it.
struct Released {
    inner: File,
    release: Option<Box<dyn FnOnce() + Send>>,
}

impl std::io::Read for Released {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(release) = self.release.take() {
            release();
        }
        self.inner.read(buf)
    }
}

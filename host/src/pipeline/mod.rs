//! The conversion of an OCI image layout (`-r oci:DIR`): for each output format (native first,
//! then TurboOCI) every image of the source graph is converted layer by layer through the
//! format's engine component, its config and manifest (and the indexes above it) are assembled
//! and stored as blobs, and only when every target succeeded are the output tags written.

mod dedup;
mod engines;
mod events;
mod graph;
mod image;
mod layer;
mod locate;
mod lowers;
mod report;
mod spool;
mod store;
mod tarfeed;
mod verify;
mod workdir;

pub use engines::{
    ANNOTATION_ENGINE_ABI, ANNOTATION_ENGINE_DIGEST, ANNOTATION_ENGINE_NAME,
    ANNOTATION_ENGINE_VERSION, LoadedEngine, engine_options,
};
pub use events::Events;
pub use layer::substitute;
pub use locate::{DEFAULT_BASELAYER, baselayer_path, cache_dir, engine_path, target_engine_path};
pub use report::{ImageReport, LayerReport, RunReport, SandboxReport, TargetReport, layer_line};
pub use workdir::WorkDir;

use crate::assemble::AssembleOptions;
use crate::cli::{Dedup, Options, Target};
use crate::dedup::{BlobSite, ConversionDb, LayoutSite, Session};
use crate::gojson::Descriptor;
use crate::image::{Graph, OCI_INDEX};
use crate::layout::Layout;
use crate::plan::Plan;
use anyhow::{Context, Result};
use engine_runtime::wit::LogLevel;
use engine_runtime::{LogFn, Runtime, RuntimeConfig};
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

/// Converts the planned source of `layout` into every target of `opts`. `events` hears of each
/// layer as it starts, progresses and ends. The report's warnings are the
/// graph walk's (the caller prints those) and the run's own (printed on stderr here).
pub fn convert_layout(
    layout: &Layout,
    plan: &Plan,
    opts: &Options,
    events: Option<&dyn Events>,
) -> Result<RunReport> {
    // Records name stores outputs stay in: not a --no-upload scratch layout.
    let mut warnings = Vec::new();
    let db = if opts.no_upload && !matches!(opts.dedup, Dedup::None) {
        let w = "the dedup database is not used with --no-upload".to_string();
        eprintln!("warning: {w}");
        warnings.push(w);
        None
    } else {
        crate::dedup::open(&opts.dedup).context("failed to open the dedup database")?
    };
    let site = match db {
        Some(_) => Some(LayoutSite::new(layout)?),
        None => None,
    };
    let with_db = match (&db, &site) {
        (Some(db), Some(site)) => Some((db.as_ref(), site as &dyn BlobSite)),
        _ => None,
    };
    let supplied = Supplied {
        dedup: with_db,
        fetch_layers: None,
        warnings,
    };
    convert_layout_with(layout, plan, opts, events, supplied)
}

/// Fetches source layers into the source layout before an image reads them.
pub type FetchLayers<'a> = &'a (dyn Fn(&[Descriptor]) -> Result<()> + Sync);

/// What a caller other than the layout path supplies (a registry run).
pub struct Supplied<'a> {
    /// The dedup database and store.
    pub dedup: Option<(&'a dyn ConversionDb, &'a dyn BlobSite)>,
    /// Source layers are fetched on demand, so an image reused whole needs none of them.
    pub fetch_layers: Option<FetchLayers<'a>>,
    /// The caller's warnings so far.
    pub warnings: Vec<String>,
}

/// [`convert_layout`] with what `supplied` holds instead of the layout's own.
pub fn convert_layout_with(
    layout: &Layout,
    plan: &Plan,
    opts: &Options,
    events: Option<&dyn Events>,
    supplied: Supplied<'_>,
) -> Result<RunReport> {
    let mut report = RunReport {
        warnings: plan.graph.warnings.clone(),
        ..RunReport::default()
    };
    report.warnings.extend(supplied.warnings);
    let with_db = supplied.dedup;
    let config = runtime_config(opts);
    report.sandbox = Some(SandboxReport {
        memory_bytes: config.memory_limit_bytes as u64,
        timeout_secs: config.layer_deadline.as_secs(),
        output_ratio: config.output_cap_ratio,
        output_min_bytes: config.output_cap_min_bytes,
        instances: config.max_instances,
    });
    let runtime = Runtime::new(config)?;
    // Every engine is loaded before any work, so a missing component fails fast.
    let engines = opts
        .targets
        .iter()
        .map(|t| LoadedEngine::load(&runtime, t, opts))
        .collect::<Result<Vec<_>>>()?;
    let work = WorkDir {
        root: opts.work_dir.clone(),
        reserve: opts.reserve,
    };
    std::fs::create_dir_all(&work.root)
        .with_context(|| format!("failed to create work directory {}", work.root.display()))?;
    let verified = std::sync::Arc::new(verify::VerifiedSources::new(work.root.clone()));
    let images = plan.graph.root.images();
    let mut first_n = 1;
    for (target, engine) in opts.targets.iter().zip(&engines) {
        let scratch;
        let store = if opts.no_upload {
            scratch = Layout::open_or_create(work.root.join(format!("no-upload-{}", target.tag)))?;
            &scratch
        } else {
            layout
        };
        let session = match with_db {
            Some((db, site)) => Some(Session::new(db, site, dedup::variant(engine, opts)?)),
            None => None,
        };
        let cancel = AtomicBool::new(false);
        let ctx = image::TargetCtx {
            engine,
            source: layout,
            store,
            verified: &verified,
            work: &work,
            assemble: AssembleOptions {
                family: opts.family,
                referrer_artifact_type: opts.referrer.then(|| engine.info.artifact_type.clone()),
            },
            dump: opts.dump_manifest,
            cancel: &cancel,
            events,
            log: engine_log(&engine.info.name, opts.verbose),
            dedup: session.as_ref(),
            fetch_layers: supplied.fetch_layers,
        };
        let t = convert_target(&ctx, target, &plan.graph, &images, first_n, opts)
            .with_context(|| format!("{} conversion failed", target.label()))?;
        first_n += images.len();
        if let Some(s) = &session {
            report.warnings.extend(s.warnings());
        }
        if opts.no_upload {
            work.discard(store.root());
        }
        report.targets.push(t);
    }
    if !opts.no_upload {
        for t in &mut report.targets {
            layout.tag(&t.tag, &tag_entry(&plan.root, &t.root))?;
            t.tagged = true;
        }
    }
    Ok(report)
}

fn convert_target(
    ctx: &image::TargetCtx<'_>,
    target: &Target,
    graph: &Graph,
    images: &[&crate::image::ImageNode],
    first_n: usize,
    opts: &Options,
) -> Result<TargetReport> {
    let start = Instant::now();
    let reports = graph::convert_images(ctx, images, first_n, opts.concurrency)?;
    let mut indexes = Vec::new();
    let root = graph::assemble_node(ctx, &graph.root, &mut reports.iter(), &mut indexes)?;
    let id = ctx.engine.handle.identity();
    Ok(TargetReport {
        format: target.format,
        tag: target.tag.clone(),
        engine_name: id.name.clone(),
        engine_version: id.version.clone(),
        engine_sha256: id.sha256.clone(),
        root,
        images: reports,
        indexes,
        seconds: start.elapsed().as_secs_f64(),
        tagged: false,
    })
}

/// The sandbox of every engine call, from `--engine-memory` and friends.
fn runtime_config(opts: &Options) -> RuntimeConfig {
    let l = &opts.engine_limits;
    let instances = match l.instances {
        0 => std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
        n => n,
    };
    RuntimeConfig {
        memory_limit_bytes: usize::try_from(l.memory_mib.saturating_mul(1 << 20))
            .unwrap_or(usize::MAX),
        layer_deadline: Duration::from_secs(l.timeout_secs),
        output_cap_ratio: l.output_ratio,
        max_instances: instances,
        cache_dir: cache_dir(),
        ..RuntimeConfig::default()
    }
}

/// The `index.json` entry of an output: its descriptor with the source entry's platform. An
/// index whose Docker-mode media type is empty (an OCI source index without `mediaType`) is
/// still entered as an OCI index, so the layout stays readable.
fn tag_entry(source_root: &Descriptor, converted: &Descriptor) -> Descriptor {
    let mut d = converted.bare();
    if d.media_type.is_empty() {
        d.media_type = OCI_INDEX.to_string();
    }
    d.platform = source_root.platform.clone();
    d
}

/// Engine log lines on stderr: warnings always, the rest with `--verbose`.
fn engine_log(engine: &str, verbose: bool) -> LogFn {
    let engine = engine.to_string();
    Arc::new(move |level, message| {
        let label = match level {
            LogLevel::Warn => "warning",
            LogLevel::Info if verbose => "info",
            LogLevel::Debug if verbose => "debug",
            _ => return,
        };
        eprintln!("{label}: {engine}: {message}");
    })
}

//! What a run made: per target, per image, per layer; printed as lines or as JSON.

use crate::cli::Format;
use crate::gojson::Descriptor;
use serde_json::{Value, json};
use std::path::PathBuf;

/// One source layer and what its conversion published.
#[derive(Debug, Clone)]
pub struct LayerReport {
    pub index: usize,
    pub source: Descriptor,
    /// Usually one layer; the bottom layer of a `--mkfs=false` image also publishes the base.
    pub outputs: Vec<Descriptor>,
    pub seconds: f64,
    /// Taken from the dedup database instead of converted.
    pub reused: bool,
}

/// One converted manifest.
#[derive(Debug, Clone)]
pub struct ImageReport {
    pub source: Descriptor,
    /// `os/arch[/variant]` of the index entry, empty for a top-level manifest.
    pub platform: String,
    pub manifest: Descriptor,
    pub config: Descriptor,
    pub layers: Vec<LayerReport>,
    pub seconds: f64,
    /// Files `--dump-manifest` wrote.
    pub dumped: Vec<PathBuf>,
    /// The whole converted manifest was taken from the dedup database.
    pub reused: bool,
}

/// One output format of the run.
#[derive(Debug, Clone)]
pub struct TargetReport {
    pub format: Format,
    pub tag: String,
    pub engine_name: String,
    pub engine_version: String,
    pub engine_sha256: String,
    /// The descriptor tagged in the layout.
    pub root: Descriptor,
    pub images: Vec<ImageReport>,
    /// Converted indexes, children before parents (the root last).
    pub indexes: Vec<Descriptor>,
    pub seconds: f64,
    /// Whether the outputs were stored and tagged (not `--no-upload`).
    pub tagged: bool,
}

impl TargetReport {
    /// Source layers whose outputs came from the dedup database.
    pub fn layers_reused(&self) -> usize {
        self.all_layers().filter(|l| l.reused).count()
    }
    /// Source layers the engine converted.
    pub fn layers_converted(&self) -> usize {
        self.all_layers().filter(|l| !l.reused).count()
    }
    fn all_layers(&self) -> impl Iterator<Item = &LayerReport> {
        self.images.iter().flat_map(|i| i.layers.iter())
    }
}

/// The whole run.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    pub targets: Vec<TargetReport>,
    pub warnings: Vec<String>,
    /// The limits every engine call ran under.
    pub sandbox: Option<SandboxReport>,
}

/// The engine sandbox of a run, as resolved from `--engine-memory` and friends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxReport {
    pub memory_bytes: u64,
    pub timeout_secs: u64,
    pub output_ratio: u64,
    pub output_min_bytes: u64,
    pub instances: usize,
}

fn desc(d: &Descriptor) -> Value {
    let mut v = json!({ "mediaType": d.media_type, "digest": d.digest, "size": d.size });
    if !d.annotations.is_empty() {
        v["annotations"] = json!(d.annotations);
    }
    v
}

fn round3(s: f64) -> f64 {
    (s * 1000.0).round() / 1000.0
}

impl RunReport {
    /// The `--json` document.
    pub fn to_json(&self) -> Value {
        let targets: Vec<Value> = self
            .targets
            .iter()
            .map(|t| {
                let images: Vec<Value> = t
                    .images
                    .iter()
                    .map(|i| {
                        let layers: Vec<Value> = i
                            .layers
                            .iter()
                            .map(|l| {
                                json!({
                                    "index": l.index,
                                    "source": desc(&l.source),
                                    "outputs": l.outputs.iter().map(desc).collect::<Vec<_>>(),
                                    "seconds": round3(l.seconds),
                                    "reused": l.reused,
                                })
                            })
                            .collect();
                        json!({
                            "source": desc(&i.source),
                            "platform": i.platform,
                            "manifest": desc(&i.manifest),
                            "config": desc(&i.config),
                            "layers": layers,
                            "seconds": round3(i.seconds),
                            "dumped": i.dumped,
                            "reused": i.reused,
                        })
                    })
                    .collect();
                json!({
                    "format": t.format.name(),
                    "tag": t.tag,
                    "tagged": t.tagged,
                    "engine": {
                        "name": t.engine_name,
                        "version": t.engine_version,
                        "sha256": t.engine_sha256,
                    },
                    "descriptor": desc(&t.root),
                    "images": images,
                    "indexes": t.indexes.iter().map(desc).collect::<Vec<_>>(),
                    "seconds": round3(t.seconds),
                    "dedup": {
                        "layersReused": t.layers_reused(),
                        "layersConverted": t.layers_converted(),
                        "imagesReused": t.images.iter().filter(|i| i.reused).count(),
                    },
                })
            })
            .collect();
        let mut doc = json!({ "targets": targets, "warnings": self.warnings });
        if let Some(s) = &self.sandbox {
            doc["sandbox"] = json!({
                "memoryBytes": s.memory_bytes,
                "timeoutSeconds": s.timeout_secs,
                "outputRatio": s.output_ratio,
                "outputMinBytes": s.output_min_bytes,
                "instances": s.instances,
            });
        }
        doc
    }

    /// The closing lines of plain output: one per target.
    pub fn summary_lines(&self) -> Vec<String> {
        self.targets
            .iter()
            .map(|t| {
                let what = if t.tagged {
                    format!("tagged {}", t.tag)
                } else {
                    format!("built (not stored, --no-upload) for {}", t.tag)
                };
                let reused = match t.layers_reused() {
                    0 => String::new(),
                    n => format!(", {n} layer(s) reused"),
                };
                format!(
                    "{}: {what} -> {} {} ({} bytes; {} image(s) in {:.2} s{reused})",
                    t.format.name(),
                    t.root.media_type,
                    t.root.digest,
                    t.root.size,
                    t.images.len(),
                    t.seconds
                )
            })
            .collect()
    }
}

/// The plain-output line of one converted layer.
pub fn layer_line(format: Format, platform: &str, layers: usize, l: &LayerReport) -> String {
    let outputs: Vec<String> = l
        .outputs
        .iter()
        .map(|o| format!("{} ({} bytes)", o.digest, o.size))
        .collect();
    format!(
        "{} {}layer {}/{layers} {} -> {} in {:.2} s{}",
        format.name(),
        if platform.is_empty() {
            String::new()
        } else {
            format!("{platform} ")
        },
        l.index + 1,
        l.source.digest,
        outputs.join(" + "),
        l.seconds,
        if l.reused { " (reused)" } else { "" }
    )
}

//! The engine of each output: loaded once (after its digest pin is checked), described, and
//! given the CLI's options.

use super::locate;
use crate::cli::{Format, FsType, Options, Target, tag_addresses};
use crate::gojson::Annotations;
use anyhow::{Context, Result, bail};
use engine_runtime::wit::EngineInfo;
use engine_runtime::{EngineHandle, Runtime};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Manifest annotations naming the engine that made an output, for outputs of user-supplied
/// components (built-in formats keep upstream's manifests). Documented in
/// docs/engine-authors.md.
pub const ANNOTATION_ENGINE_NAME: &str = "dev.convertor.engine.name";
pub const ANNOTATION_ENGINE_VERSION: &str = "dev.convertor.engine.version";
/// `sha256:<hex>` of the component file.
pub const ANNOTATION_ENGINE_DIGEST: &str = "dev.convertor.engine.digest";
/// The `convertor:engine` version the component was built against.
pub const ANNOTATION_ENGINE_ABI: &str = "dev.convertor.engine.abi";

/// A loaded engine with everything every `convert_layer` call of a run passes it.
pub struct LoadedEngine {
    pub format: Format,
    pub path: PathBuf,
    pub handle: EngineHandle,
    pub info: EngineInfo,
    /// Engine options derived from the command line, in the engine's option names.
    pub options: Vec<(String, String)>,
    /// Named files the engine may open (the base layer with `--mkfs=false`).
    pub assets: BTreeMap<String, PathBuf>,
    /// Added to every output manifest (the engine's identity, for user-supplied components).
    pub manifest_annotations: Annotations,
}

impl LoadedEngine {
    /// Finds, checks against its `--engine-digest` pin, compiles (or takes from the cache) and
    /// describes the engine of `target`.
    pub fn load(runtime: &Runtime, target: &Target, opts: &Options) -> Result<LoadedEngine> {
        let format = target.format;
        let label = target.label();
        let path = locate::target_engine_path(target, &opts.engines)?;
        // Hash and load the same bytes, so the file cannot change between check and use.
        let wasm =
            std::fs::read(&path).with_context(|| format!("failed to read {}", path.display()))?;
        let digest = format!("sha256:{}", hex::encode(Sha256::digest(&wasm)));
        if let Some((_, pinned)) = opts
            .engine_digests
            .iter()
            .find(|(tag, _)| tag_addresses(tag, target))
            && *pinned != digest
        {
            bail!(
                "the {label} engine {} has digest {digest}, not {pinned} as --engine-digest \
                 requires; refusing to run it",
                path.display()
            );
        }
        let handle = runtime
            .load_bytes(&wasm)
            .with_context(|| format!("failed to load the {label} engine {}", path.display()))?;
        let info = handle
            .describe()
            .with_context(|| format!("the {label} engine failed to describe itself"))?;
        let mut options = engine_options(format, opts, &info)?;
        for o in opts
            .engine_options
            .iter()
            .filter(|o| tag_addresses(&o.tag, target))
        {
            if !info.options.iter().any(|spec| spec.name == o.name) {
                let declared: Vec<&str> = info.options.iter().map(|s| s.name.as_str()).collect();
                bail!(
                    "the {label} engine ({}) has no option `{}` (it declares: {})",
                    info.name,
                    o.name,
                    if declared.is_empty() {
                        "none".to_string()
                    } else {
                        declared.join(", ")
                    }
                );
            }
            options.push((o.name.clone(), o.value.clone()));
        }
        let mut assets = BTreeMap::new();
        if !opts.mkfs && format != Format::Engine {
            assets.insert("baselayer".to_string(), locate::baselayer_path()?);
        }
        let user_supplied = opts.engines.iter().any(|o| tag_addresses(&o.tag, target));
        let id = handle.identity();
        let manifest_annotations = if user_supplied {
            [
                (ANNOTATION_ENGINE_NAME, id.name.clone()),
                (ANNOTATION_ENGINE_VERSION, id.version.clone()),
                (ANNOTATION_ENGINE_DIGEST, digest),
                (ANNOTATION_ENGINE_ABI, id.abi.to_string()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
        } else {
            Annotations::new()
        };
        Ok(LoadedEngine {
            format,
            path,
            handle,
            info,
            options,
            assets,
            manifest_annotations,
        })
    }

    /// Whether the engine takes layers of `media_type`.
    pub fn accepts(&self, media_type: &str) -> bool {
        self.info.accepts.iter().any(|a| a == media_type)
    }
}

/// The CLI's settings as engine options. An option the engine does not declare is left out when
/// the user kept its neutral value, and is an error otherwise (the engine could not honour it).
pub fn engine_options(
    format: Format,
    opts: &Options,
    info: &EngineInfo,
) -> Result<Vec<(String, String)>> {
    // (option, value, neutral value, flag that set it)
    let mut wanted: Vec<(&str, String, String, &str)> = vec![
        ("vsize", opts.vsize_gib.to_string(), "64".into(), "--vsize"),
        ("mkfs", opts.mkfs.to_string(), "true".into(), "--mkfs"),
        (
            "algorithm",
            opts.algorithm.clone(),
            "lz4".into(),
            "--algorithm",
        ),
        ("bs", opts.block_kib.to_string(), "4".into(), "--bs"),
    ];
    match format {
        // --disable-sparse is native only; TurboOCI always builds sparse.
        Format::Overlaybd => wanted.push((
            "sparse",
            (!opts.disable_sparse).to_string(),
            "true".into(),
            "--disable-sparse",
        )),
        // --fstype is TurboOCI only.
        Format::TurboOci => wanted.push((
            "fstype",
            match opts.fstype {
                FsType::Ext4 => "ext4".into(),
                FsType::Erofs => "erofs".into(),
            },
            "ext4".into(),
            "--fstype",
        )),
        // Third-party engines get the format flags they declare and may ignore the rest.
        Format::Engine => {}
    }
    let mut out = Vec::new();
    for (name, value, neutral, flag) in wanted {
        if info.options.iter().any(|o| o.name == name) {
            out.push((name.to_string(), value));
        } else if value != neutral && format != Format::Engine {
            bail!(
                "the {} engine ({}) has no `{name}` option, so {flag}={value} cannot be honoured",
                format.name(),
                info.name
            );
        }
    }
    Ok(out)
}

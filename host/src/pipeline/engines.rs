//! The engine of each output format: loaded once, described, and given the CLI's options.

use super::locate;
use crate::cli::{Format, FsType, Options};
use anyhow::{Context, Result, bail};
use engine_runtime::wit::EngineInfo;
use engine_runtime::{EngineHandle, Runtime};
use std::collections::BTreeMap;
use std::path::PathBuf;

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
}

impl LoadedEngine {
    /// Finds, compiles (or takes from the cache) and describes the engine of `format`.
    pub fn load(runtime: &Runtime, format: Format, opts: &Options) -> Result<LoadedEngine> {
        let path = locate::engine_path(format, &opts.engines)?;
        let handle = runtime
            .load(&path)
            .with_context(|| format!("failed to load the {} engine", format.name()))?;
        let info = handle
            .describe()
            .with_context(|| format!("the {} engine failed to describe itself", format.name()))?;
        let options = engine_options(format, opts, &info)?;
        let mut assets = BTreeMap::new();
        if !opts.mkfs {
            assets.insert("baselayer".to_string(), locate::baselayer_path()?);
        }
        Ok(LoadedEngine {
            format,
            path,
            handle,
            info,
            options,
            assets,
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
    }
    let mut out = Vec::new();
    for (name, value, neutral, flag) in wanted {
        if info.options.iter().any(|o| o.name == name) {
            out.push((name.to_string(), value));
        } else if value != neutral {
            bail!(
                "the {} engine ({}) has no `{name}` option, so {flag}={value} cannot be honoured",
                format.name(),
                info.name
            );
        }
    }
    Ok(out)
}

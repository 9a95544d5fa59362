//! Where the engine components, the `mkfs=false` base layer and the compiled-code cache live.
//!
//! The engine of an output tag that is not a built-in format (`--engine TAG=PATH`) is PATH.
//! A built-in format's engine component is looked up, first match wins:
//! 1. `--engine TAG=PATH`, where TAG is the format (`overlaybd`, `turboOCI`) or the engine's
//!    name (`turbooci`), case-insensitively;
//! 2. the environment: `OVERLAYBD_WASM` or `TURBOOCI_WASM`;
//! 3. beside the executable: `<exe dir>/<file>`, then the cargo target layout
//!    `<exe dir>/../wasm32-wasip2/release/<file>` where `just engines` builds them (and one level
//!    further up, for binaries under `target/<profile>/deps`).

use crate::cli::{EngineOverride, Format, Target};
use anyhow::{Result, bail};
use std::path::{Path, PathBuf};

/// The base layer upstream installs for `--mkfs=false`; `CONVERTOR_BASELAYER` overrides it.
pub const DEFAULT_BASELAYER: &str = "/opt/overlaybd/baselayers/ext4_64";

/// How one built-in engine is found.
struct Builtin {
    file: &'static str,
    env: &'static str,
    names: &'static [&'static str],
}

fn builtin(format: Format) -> Option<Builtin> {
    Some(match format {
        Format::Overlaybd => Builtin {
            file: "overlaybd_engine.wasm",
            env: "OVERLAYBD_WASM",
            names: &["overlaybd"],
        },
        Format::TurboOci => Builtin {
            file: "turbooci_engine.wasm",
            env: "TURBOOCI_WASM",
            names: &["turbooci", "fastoci"],
        },
        Format::Engine => return None,
    })
}

/// The component of `target`: its `--engine` file, or the built-in format's.
pub fn target_engine_path(target: &Target, overrides: &[EngineOverride]) -> Result<PathBuf> {
    if target.format != Format::Engine {
        return engine_path(target.format, overrides);
    }
    let Some(o) = overrides.iter().find(|o| o.tag == target.tag) else {
        bail!("output tag {} has no --engine component", target.tag);
    };
    if !o.path.is_file() {
        bail!("--engine {}={}: no such file", o.tag, o.path.display());
    }
    Ok(o.path.clone())
}

/// The engine component for `format`, or an error that says how to get one.
pub fn engine_path(format: Format, overrides: &[EngineOverride]) -> Result<PathBuf> {
    let Some(b) = builtin(format) else {
        bail!("third-party engines have no built-in component; pass --engine TAG=PATH");
    };
    let wanted = |tag: &str| {
        tag.eq_ignore_ascii_case(format.name())
            || b.names.iter().any(|n| tag.eq_ignore_ascii_case(n))
    };
    if let Some(o) = overrides.iter().find(|o| wanted(&o.tag)) {
        if !o.path.is_file() {
            bail!("--engine {}={}: no such file", o.tag, o.path.display());
        }
        return Ok(o.path.clone());
    }
    if let Some(p) = std::env::var_os(b.env).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        if !p.is_file() {
            bail!("{}={}: no such file", b.env, p.display());
        }
        return Ok(p);
    }
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf));
    let candidates = exe_dir.map(|d| candidates(&d, b.file)).unwrap_or_default();
    if let Some(found) = candidates.iter().find(|p| p.is_file()) {
        return Ok(found.clone());
    }
    let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
    bail!(
        "the {} engine component {} was not found (looked in: {}); build it with `just engines`, \
         or pass --engine {}=PATH or set {}",
        format.name(),
        b.file,
        if looked.is_empty() {
            "nowhere".to_string()
        } else {
            looked.join(", ")
        },
        format.name(),
        b.env
    )
}

fn candidates(exe_dir: &Path, file: &str) -> Vec<PathBuf> {
    let mut out = vec![exe_dir.join(file)];
    let mut up = exe_dir.parent();
    for _ in 0..2 {
        let Some(dir) = up else { break };
        out.push(dir.join("wasm32-wasip2").join("release").join(file));
        up = dir.parent();
    }
    out
}

/// The `ext4_64` base layer for `--mkfs=false`.
pub fn baselayer_path() -> Result<PathBuf> {
    let p = std::env::var_os("CONVERTOR_BASELAYER")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_BASELAYER));
    if !p.is_file() {
        bail!(
            "--mkfs=false needs the ext4_64 base layer at {} (set CONVERTOR_BASELAYER to use another path)",
            p.display()
        );
    }
    Ok(p)
}

/// Where compiled engines are cached: `CONVERTOR_CACHE_DIR`, else `$XDG_CACHE_HOME/convertor`,
/// else `~/.cache/convertor`; `None` (compile every run) when none can be created. The runtime
/// loads cached code as trusted, so this must be a directory only the user can write.
pub fn cache_dir() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let dir = env("CONVERTOR_CACHE_DIR")
        .or_else(|| env("XDG_CACHE_HOME").map(|d| d.join("convertor")))
        .or_else(|| env("HOME").map(|d| d.join(".cache").join("convertor")))?;
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir)
}

//! Which components the host agrees to run: the `convertor:engine` ABI versions it supports and
//! the WASI interfaces an engine may import. Checked on the component's type, before anything
//! is instantiated.
//!
//! wasmtime's linker resolves versioned imports by semver compatibility (`@1.2.0` finds a
//! `@1.1.0` definition, and 0.x versions match on the minor), so a component built for a future
//! minor version whose imports happen to type-check would run against an older host. The
//! explicit check here refuses it with both versions named instead.

use wasmtime::Engine;
use wasmtime::component::Component;

/// The `convertor:engine` package the host implements (its bindings come from `wit/`).
pub const ABI_PACKAGE: &str = "convertor:engine";
/// The version of `wit/engine.wit`.
pub const ABI_VERSION: AbiVersion = AbiVersion {
    major: 1,
    minor: 2,
    patch: 0,
};
/// The oldest minor version of the current major the host still runs: every one so far, since a
/// minor version only adds imports (`wit/previous/` keeps 1.0.0 for the tests).
pub const OLDEST_MINOR: u64 = 0;

/// WASI interfaces Rust's std imports on wasm32-wasip2. The host gives deterministic versions of
/// some of them (see `wasi`); the others (stdin, terminals) trap when called. Any other import
/// (filesystem, sockets, http...) is a capability engines do not get.
const ALLOWED_WASI: &[&str] = &[
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:clocks/monotonic-clock",
    "wasi:clocks/wall-clock",
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
];

/// A semantic version as it appears after `@` in an import name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct AbiVersion {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
}

impl std::fmt::Display for AbiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl AbiVersion {
    fn parse(s: &str) -> Option<AbiVersion> {
        let mut parts = s.split('.').map(|p| p.parse::<u64>().ok());
        let v = AbiVersion {
            major: parts.next()??,
            minor: parts.next()??,
            patch: parts.next()??,
        };
        parts.next().is_none().then_some(v)
    }

    /// Whether the host runs engines built for this version (any patch level).
    pub fn is_supported(self) -> bool {
        self.major == ABI_VERSION.major && (OLDEST_MINOR..=ABI_VERSION.minor).contains(&self.minor)
    }
}

/// The versions the host runs, for messages: `convertor:engine@1.0.x or @1.1.x`.
pub fn supported_versions() -> String {
    let minors: Vec<String> = (OLDEST_MINOR..=ABI_VERSION.minor)
        .map(|minor| format!("@{}.{minor}.x", ABI_VERSION.major))
        .collect();
    format!("{ABI_PACKAGE}{}", minors.join(" or "))
}

/// Why a component was refused before it ran.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AbiError {
    /// The component was built against a `convertor:engine` version the host does not run.
    #[error(
        "the engine was built for {ABI_PACKAGE}@{found}, which this host does not support (it runs {})",
        supported_versions()
    )]
    UnsupportedVersion { found: String },
    /// The component imports `convertor:engine` interfaces of two different versions.
    #[error("the engine imports two versions of {ABI_PACKAGE} ({0} and {1})")]
    MixedVersions(String, String),
    /// The component does not import `convertor:engine` at all, so it is not an engine.
    #[error("the component does not import {ABI_PACKAGE} (it is not a convertor engine)")]
    NotAnEngine,
    /// The component imports an interface the sandbox does not provide.
    #[error(
        "the engine imports {0}, a capability the host does not grant (engines get no filesystem, network or other host access beyond {ABI_PACKAGE})"
    )]
    ForbiddenImport(String),
}

/// Checks the component's imports; returns the ABI version it was built for.
pub fn check(engine: &Engine, component: &Component) -> Result<AbiVersion, AbiError> {
    let mut version: Option<(String, AbiVersion)> = None;
    for (name, _) in component.component_type().imports(engine) {
        let (base, ver) = name.split_once('@').unwrap_or((name, ""));
        if let Some(rest) = base.strip_prefix(ABI_PACKAGE)
            && (rest.is_empty() || rest.starts_with('/'))
        {
            let parsed = AbiVersion::parse(ver)
                .filter(|v| v.is_supported())
                .ok_or_else(|| AbiError::UnsupportedVersion {
                    found: if ver.is_empty() { "(unversioned)" } else { ver }.to_string(),
                })?;
            match &version {
                Some((seen, _)) if seen != ver => {
                    return Err(AbiError::MixedVersions(seen.clone(), ver.to_string()));
                }
                _ => version = Some((ver.to_string(), parsed)),
            }
        } else if !ALLOWED_WASI.contains(&base) && !is_root_resource(name) {
            return Err(AbiError::ForbiddenImport(name.to_string()));
        }
    }
    version.map(|(_, v)| v).ok_or(AbiError::NotAnEngine)
}

/// The world's `use host.{source-layer, lower-layers}` also imports both types at the root.
fn is_root_resource(name: &str) -> bool {
    matches!(name, "source-layer" | "lower-layers")
}

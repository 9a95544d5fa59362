//! Validated options: upstream's precedence rules (upstream-convertor.md §1.1), with every flag
//! error rejected instead of upstream's exit-0-on-parse-error.

use super::args::Args;
use crate::image::{ImageError, MediaFamily, PlatformFilter, PlatformSpec, sha256_hex};
use std::num::NonZeroUsize;
use std::path::PathBuf;

/// A command line that cannot run. Each message is one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    #[error("required flag \"repository\" [-r] not set")]
    MissingRepository,
    #[error("repository {0:?} is not host[:port]/path or oci:DIR")]
    BadRepository(String),
    #[error("one of input-tag [-i] or input-digest [-g] is required")]
    MissingInput,
    #[error("output-tag is required, you can specify it by [-o|--overlaybd|--turboOCI]")]
    MissingOutput,
    #[error("{flag} {value:?} is not a valid tag ([A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})")]
    BadTag { flag: &'static str, value: String },
    #[error("input-digest: {0}")]
    BadDigest(ImageError),
    #[error("--overlaybd and --turboOCI name the same output tag {0:?}")]
    SameOutputTag(String),
    #[error("fstype {0:?} is not supported, use ext4 or erofs")]
    BadFsType(String),
    #[error("vsize must be a positive number of GiB, got {0}")]
    BadVsize(i64),
    #[error("algorithm {0:?} is not supported, use lz4 or zstd")]
    BadAlgorithm(String),
    #[error("bs must be a ZFile block size in KiB (4, 8, 16, 32 or 64), got {0}")]
    BadBlockSize(i64),
    #[error("concurrency-limit must be 0 (unlimited) or positive, got {0}")]
    BadConcurrency(i64),
    #[error("client-cert {0:?}: invalid format, expected certfile:keyfile")]
    BadClientCert(String),
    #[error("invalid db-str: missing the slash separating the database name")]
    BadDbStr,
    #[error("engine {0:?} must be TAG=PATH")]
    BadEngine(String),
    #[error("engine tag {0:?} is given more than once")]
    DuplicateEngine(String),
    #[error("engine tag {0:?} is also the tag of another output")]
    EngineTagTaken(String),
    #[error("engine-digest {0:?} must be TAG=sha256:<64 hex digits>")]
    BadEngineDigest(String),
    #[error("engine-option {0:?} must be TAG:NAME=VALUE")]
    BadEngineOption(String),
    #[error("{flag} names tag {tag:?}, but no engine converts to it")]
    UnknownEngineTag { flag: &'static str, tag: String },
    #[error("{flag} must be positive, got 0")]
    ZeroLimit { flag: &'static str },
    #[error("{0}")]
    BadPlatform(ImageError),
    #[error("output-repository {0:?} is not host[:port]/path")]
    BadOutputRepository(String),
    #[error("--output-repository needs a registry --repository, not an OCI layout")]
    OutputRepositoryNeedsRegistry,
}

/// Where source and outputs live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repository {
    /// `host[:port]/path`; `host` includes the port, as upstream keys it.
    Registry { host: String, path: String },
    /// `oci:DIR`.
    Layout(PathBuf),
}

/// Which source manifest or index to convert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Tag(String),
    Digest(String),
}

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Overlaybd,
    TurboOci,
    /// Whatever the user-supplied engine of the target's tag (`--engine TAG=PATH`) makes.
    Engine,
}

impl Format {
    /// `artifactType` of this format's outputs in referrer mode.
    pub fn artifact_type(self) -> &'static str {
        match self {
            Format::Overlaybd => "application/vnd.containerd.overlaybd.native.v1+json",
            Format::TurboOci => "application/vnd.containerd.overlaybd.turbo.v1+json",
            // The engine names its own (`engine-info.artifact-type`).
            Format::Engine => "",
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Format::Overlaybd => "overlaybd",
            Format::TurboOci => "turboOCI",
            Format::Engine => "engine",
        }
    }

    /// The built-in format an `--engine` TAG names (case-insensitively: its flag name or its
    /// engine's name), if any.
    pub fn builtin_for_tag(tag: &str) -> Option<Format> {
        [
            (Format::Overlaybd, "overlaybd"),
            (Format::TurboOci, "turbooci"),
            (Format::TurboOci, "fastoci"),
        ]
        .into_iter()
        .find(|(_, name)| tag.eq_ignore_ascii_case(name))
        .map(|(format, _)| format)
    }
}

/// One requested build; builds run in order, native first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub format: Format,
    pub tag: String,
}

impl Target {
    /// How messages name the target: the format, or `--engine TAG` for a third-party engine.
    pub fn label(&self) -> String {
        match self.format {
            Format::Engine => format!("--engine {}", self.tag),
            builtin => builtin.name().to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsType {
    Ext4,
    Erofs,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dedup {
    None,
    /// `--db-type mysql`: go-sql-driver DSN or `mysql://` URL.
    Mysql {
        dsn: String,
    },
    /// `--db-type sqlite`: a database file (created when missing).
    Sqlite {
        path: PathBuf,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

impl Credentials {
    /// `-u USER:PASS`, split at the first colon; none without a colon or a user.
    pub fn from_flag(flag: &str) -> Option<Credentials> {
        let (user, password) = flag.split_once(':')?;
        (!user.is_empty()).then(|| Credentials {
            user: user.to_string(),
            password: password.to_string(),
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    pub cert_dirs: Vec<PathBuf>,
    pub root_cas: Vec<PathBuf>,
    /// `(certfile, keyfile)` pairs.
    pub client_certs: Vec<(PathBuf, PathBuf)>,
    pub insecure: bool,
}

impl TlsOptions {
    /// From the TLS flags; `client_certs` are `certfile:keyfile`.
    pub fn from_flags(
        cert_dirs: Vec<PathBuf>,
        root_cas: Vec<PathBuf>,
        client_certs: &[String],
        insecure: bool,
    ) -> Result<TlsOptions, UsageError> {
        let client_certs = client_certs
            .iter()
            .map(|c| match c.split(':').collect::<Vec<_>>().as_slice() {
                [cert, key] if !cert.is_empty() && !key.is_empty() => {
                    Ok((PathBuf::from(cert), PathBuf::from(key)))
                }
                _ => Err(UsageError::BadClientCert(c.clone())),
            })
            .collect::<Result<_, _>>()?;
        Ok(TlsOptions {
            cert_dirs,
            root_cas,
            client_certs,
            insecure,
        })
    }
}

/// A user-supplied engine component: for a built-in format's tag, or for an output tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineOverride {
    pub tag: String,
    pub path: PathBuf,
}

/// `--engine-option TAG:NAME=VALUE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineOption {
    pub tag: String,
    pub name: String,
    pub value: String,
}

/// The sandbox limits every engine call runs under (`--engine-memory` and friends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineLimits {
    pub memory_mib: u64,
    pub timeout_secs: u64,
    pub output_ratio: u64,
    /// 0: one per CPU.
    pub instances: usize,
}

/// Everything a run needs, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub repository: Repository,
    /// `--output-repository`: where outputs are pushed, when not to `repository`.
    pub output_repository: Option<Repository>,
    pub source: Selector,
    pub targets: Vec<Target>,
    /// `None` is anonymous access.
    pub credentials: Option<Credentials>,
    pub plain_http: bool,
    pub verbose: bool,
    pub work_dir: PathBuf,
    /// OCI when `--oci` or `--referrer`.
    pub family: MediaFamily,
    pub fstype: FsType,
    pub mkfs: bool,
    /// GiB; 64 whenever `--mkfs=false`.
    pub vsize_gib: u32,
    /// ZFile codec, `lz4` or `zstd`.
    pub algorithm: String,
    /// ZFile block size in KiB.
    pub block_kib: u32,
    pub dedup: Dedup,
    /// `None` is unlimited.
    pub concurrency: Option<NonZeroUsize>,
    pub disable_sparse: bool,
    pub referrer: bool,
    pub tls: TlsOptions,
    pub reserve: bool,
    pub no_upload: bool,
    pub dump_manifest: bool,
    pub json: bool,
    pub engines: Vec<EngineOverride>,
    /// `--engine-digest TAG=sha256:...`: the component of TAG must have this digest.
    pub engine_digests: Vec<(String, String)>,
    pub engine_options: Vec<EngineOption>,
    pub engine_limits: EngineLimits,
    pub platforms: PlatformFilter,
    /// Flags that were accepted but ignored or overridden, one line each.
    pub warnings: Vec<String>,
}

impl Options {
    /// Checks `args` and applies upstream's precedence rules.
    pub fn from_args(a: Args) -> Result<Options, UsageError> {
        let mut warnings = Vec::new();
        let repository = parse_repository(a.repository.as_deref())?;
        let output_repository = match a.output_repository.as_deref() {
            None | Some("") => None,
            Some(r) => match parse_repository(Some(r)) {
                Ok(out @ Repository::Registry { .. }) => Some(out),
                _ => return Err(UsageError::BadOutputRepository(r.to_string())),
            },
        };
        if output_repository.is_some() && matches!(repository, Repository::Layout(_)) {
            return Err(UsageError::OutputRepositoryNeedsRegistry);
        }

        let source = if !a.input_tag.is_empty() {
            check_tag("input-tag", &a.input_tag)?;
            if !a.input_digest.is_empty() {
                warnings.push("both input-tag and input-digest given: using the tag".to_string());
            }
            Selector::Tag(a.input_tag.clone())
        } else if !a.input_digest.is_empty() {
            sha256_hex(&a.input_digest).map_err(UsageError::BadDigest)?;
            Selector::Digest(a.input_digest.clone())
        } else {
            return Err(UsageError::MissingInput);
        };

        let turbo_tag = if !a.turbo_oci.is_empty() {
            if !a.fastoci.is_empty() {
                warnings.push("both --turboOCI and --fastoci given: using --turboOCI".to_string());
            }
            a.turbo_oci.clone()
        } else {
            a.fastoci.clone()
        };
        let engines = parse_engines(&a.engine)?;
        let custom: Vec<&EngineOverride> = engines
            .iter()
            .filter(|e| Format::builtin_for_tag(&e.tag).is_none())
            .collect();
        let mut overlaybd_tag = a.overlaybd.clone();
        if overlaybd_tag.is_empty() && turbo_tag.is_empty() {
            if a.output_tag.is_empty() && custom.is_empty() {
                return Err(UsageError::MissingOutput);
            }
            overlaybd_tag = a.output_tag.clone();
        } else if !a.output_tag.is_empty() {
            warnings.push(
                "output-tag [-o] is ignored because --overlaybd/--turboOCI/--fastoci is set"
                    .to_string(),
            );
        }
        let mut targets = Vec::new();
        if !overlaybd_tag.is_empty() {
            check_tag("overlaybd tag", &overlaybd_tag)?;
            targets.push(Target {
                format: Format::Overlaybd,
                tag: overlaybd_tag.clone(),
            });
        }
        if !turbo_tag.is_empty() {
            check_tag("turboOCI tag", &turbo_tag)?;
            if turbo_tag == overlaybd_tag {
                return Err(UsageError::SameOutputTag(turbo_tag));
            }
            targets.push(Target {
                format: Format::TurboOci,
                tag: turbo_tag.clone(),
            });
        }
        for e in custom {
            check_tag("engine tag", &e.tag)?;
            if e.tag == overlaybd_tag || e.tag == turbo_tag {
                return Err(UsageError::EngineTagTaken(e.tag.clone()));
            }
            targets.push(Target {
                format: Format::Engine,
                tag: e.tag.clone(),
            });
        }
        let engine_digests = parse_engine_digests(&a.engine_digest, &targets)?;
        let engine_options = parse_engine_options(&a.engine_option, &targets)?;
        let engine_limits = EngineLimits {
            memory_mib: nonzero("--engine-memory", a.engine_memory)?,
            timeout_secs: nonzero("--engine-timeout", a.engine_timeout)?,
            output_ratio: a.engine_output_ratio,
            instances: a.engine_instances,
        };

        let credentials = Credentials::from_flag(&a.username);
        if credentials.is_none() && !a.username.is_empty() {
            warnings.push("username has no user:password form: connecting anonymously".to_string());
        }

        let fstype = match a.fstype.as_str() {
            "ext4" => FsType::Ext4,
            "erofs" => FsType::Erofs,
            other => return Err(UsageError::BadFsType(other.to_string())),
        };
        let vsize_gib = match u32::try_from(a.vsize) {
            Ok(v) if v > 0 => v,
            _ => return Err(UsageError::BadVsize(a.vsize)),
        };
        let vsize_gib = if a.mkfs {
            vsize_gib
        } else {
            if vsize_gib != 64 {
                warnings.push(
                    "vsize is ignored with --mkfs=false: the base layer is 64 GiB".to_string(),
                );
            }
            64
        };
        if !matches!(a.algorithm.as_str(), "lz4" | "zstd") {
            return Err(UsageError::BadAlgorithm(a.algorithm));
        }
        let block_kib = match a.bs {
            4 | 8 | 16 | 32 | 64 => a.bs as u32,
            other => return Err(UsageError::BadBlockSize(other)),
        };
        let concurrency = match usize::try_from(a.concurrency_limit) {
            Ok(n) => NonZeroUsize::new(n),
            Err(_) => return Err(UsageError::BadConcurrency(a.concurrency_limit)),
        };

        let dedup = match a.db_type.as_str() {
            "" => {
                if !a.db_str.is_empty() {
                    warnings
                        .push("db-str is ignored without --db-type mysql or sqlite".to_string());
                }
                Dedup::None
            }
            "mysql" | "sqlite" if a.db_str.is_empty() => {
                warnings
                    .push("no db-str was provided, falling back to no deduplication".to_string());
                Dedup::None
            }
            "mysql" => {
                if !a.db_str.contains('/') {
                    return Err(UsageError::BadDbStr);
                }
                Dedup::Mysql {
                    dsn: a.db_str.clone(),
                }
            }
            "sqlite" => Dedup::Sqlite {
                path: PathBuf::from(&a.db_str),
            },
            other => {
                warnings.push(format!(
                    "db-type {other:?} is not one of known db types. Available: mysql, sqlite; deduplication is off"
                ));
                Dedup::None
            }
        };

        let tls = TlsOptions::from_flags(a.cert_dir, a.root_ca, &a.client_cert, a.insecure)?;

        let platforms = a
            .platform
            .iter()
            .filter(|p| !p.is_empty())
            .map(|p| PlatformSpec::parse(p))
            .collect::<Result<Vec<_>, _>>()
            .map_err(UsageError::BadPlatform)?;

        Ok(Options {
            repository,
            output_repository,
            source,
            targets,
            credentials,
            plain_http: a.plain,
            verbose: a.verbose,
            work_dir: a.dir,
            family: if a.oci || a.referrer {
                MediaFamily::Oci
            } else {
                MediaFamily::Docker
            },
            fstype,
            mkfs: a.mkfs,
            vsize_gib,
            algorithm: a.algorithm,
            block_kib,
            dedup,
            concurrency,
            disable_sparse: a.disable_sparse,
            referrer: a.referrer,
            tls,
            reserve: a.reserve,
            no_upload: a.no_upload,
            dump_manifest: a.dump_manifest,
            json: a.json,
            engines,
            engine_digests,
            engine_options,
            engine_limits,
            platforms: PlatformFilter(platforms),
            warnings,
        })
    }
}

fn parse_engines(args: &[String]) -> Result<Vec<EngineOverride>, UsageError> {
    let mut engines: Vec<EngineOverride> = Vec::new();
    for e in args {
        let (tag, path) = e
            .split_once('=')
            .filter(|(t, p)| !t.is_empty() && !p.is_empty())
            .ok_or_else(|| UsageError::BadEngine(e.clone()))?;
        if engines.iter().any(|x| x.tag == tag) {
            return Err(UsageError::DuplicateEngine(tag.to_string()));
        }
        engines.push(EngineOverride {
            tag: tag.to_string(),
            path: PathBuf::from(path),
        });
    }
    Ok(engines)
}

/// Whether `tag`, as `--engine-digest`/`--engine-option` give it, addresses `target`.
pub fn tag_addresses(tag: &str, target: &Target) -> bool {
    match target.format {
        Format::Engine => tag == target.tag,
        builtin => Format::builtin_for_tag(tag) == Some(builtin),
    }
}

fn check_engine_tag(flag: &'static str, tag: &str, targets: &[Target]) -> Result<(), UsageError> {
    if targets.iter().any(|t| tag_addresses(tag, t)) {
        Ok(())
    } else {
        Err(UsageError::UnknownEngineTag {
            flag,
            tag: tag.to_string(),
        })
    }
}

fn parse_engine_digests(
    args: &[String],
    targets: &[Target],
) -> Result<Vec<(String, String)>, UsageError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for a in args {
        let (tag, digest) = a
            .split_once('=')
            .filter(|(t, d)| !t.is_empty() && sha256_hex(d).is_ok())
            .ok_or_else(|| UsageError::BadEngineDigest(a.clone()))?;
        check_engine_tag("engine-digest", tag, targets)?;
        if out.iter().any(|(t, _)| t == tag) {
            return Err(UsageError::DuplicateEngine(tag.to_string()));
        }
        out.push((tag.to_string(), digest.to_string()));
    }
    Ok(out)
}

fn parse_engine_options(
    args: &[String],
    targets: &[Target],
) -> Result<Vec<EngineOption>, UsageError> {
    let mut out = Vec::new();
    for a in args {
        let (tag, rest) = a
            .split_once(':')
            .ok_or_else(|| UsageError::BadEngineOption(a.clone()))?;
        let (name, value) = rest
            .split_once('=')
            .filter(|(n, _)| !tag.is_empty() && !n.is_empty())
            .ok_or_else(|| UsageError::BadEngineOption(a.clone()))?;
        check_engine_tag("engine-option", tag, targets)?;
        out.push(EngineOption {
            tag: tag.to_string(),
            name: name.to_string(),
            value: value.to_string(),
        });
    }
    Ok(out)
}

fn nonzero(flag: &'static str, value: u64) -> Result<u64, UsageError> {
    if value == 0 {
        Err(UsageError::ZeroLimit { flag })
    } else {
        Ok(value)
    }
}

fn parse_repository(r: Option<&str>) -> Result<Repository, UsageError> {
    let r = r
        .filter(|r| !r.is_empty())
        .ok_or(UsageError::MissingRepository)?;
    let bad = || UsageError::BadRepository(r.to_string());
    if let Some(dir) = r.strip_prefix("oci:") {
        if dir.is_empty() {
            return Err(bad());
        }
        return Ok(Repository::Layout(PathBuf::from(dir)));
    }
    let (host, path) = r.split_once('/').ok_or_else(bad)?;
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b':' | b'[' | b']'));
    if !host_ok
        || !path
            .split('/')
            .all(crate::registry::reference::valid_component)
    {
        return Err(bad());
    }
    Ok(Repository::Registry {
        host: host.to_string(),
        path: path.to_string(),
    })
}

/// Docker tag grammar: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn check_tag(flag: &'static str, tag: &str) -> Result<(), UsageError> {
    let b = tag.as_bytes();
    let ok = (1..=128).contains(&b.len())
        && b.first()
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(UsageError::BadTag {
            flag,
            value: tag.to_string(),
        })
    }
}

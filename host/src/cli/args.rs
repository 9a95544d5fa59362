//! The raw command line, flag for flag as upstream's cobra command declares it (same names,
//! shorts and defaults, same order in `--help`), plus our `--json`, `--engine*`, `--platform`.
//! Boolean flags take values the way pflag does: `--oci`, `--oci=true`, `--mkfs=false`, never
//! a separate `--mkfs false`.

use super::gobool::parse_go_bool;
use clap::{ArgAction, Parser};
use std::path::PathBuf;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "convertor",
    version,
    about = "Convert OCI/Docker images into overlaybd formats (native overlaybd and TurboOCIv1)",
    after_help = concat!(
        "Source and outputs live in one repository: a registry repository (host[:port]/path) or \
         an OCI image layout (oci:DIR).\n\n",
        "Examples:\n",
        "  convertor -r registry.example.com/library/redis -i 7.2.3 -o 7.2.3_obd\n",
        "  convertor -r oci:./layout -i amd64 --overlaybd amd64_obd --turboOCI amd64_turbo --oci\n\n",
        "Engine components are found through --engine TAG=PATH, else $OVERLAYBD_WASM / \
         $TURBOOCI_WASM, else beside the executable or in <target>/wasm32-wasip2/release \
         (`just engines` builds them there). Any component of the convertor:engine@1 world can \
         be given as --engine TAG=PATH to write output tag TAG; its manifests are annotated \
         with dev.convertor.engine.{name,version,digest,abi} (docs/engine-authors.md). Compiled engines are cached in $CONVERTOR_CACHE_DIR \
         (default ~/.cache/convertor). --mkfs=false reads the base layer from \
         $CONVERTOR_BASELAYER (default /opt/overlaybd/baselayers/ext4_64).\n\n",
        "Version: ", env!("CARGO_PKG_VERSION")
    )
)]
pub struct Args {
    /// Repository holding source and outputs: host[:port]/path, or oci:DIR for an OCI layout
    #[arg(short = 'r', long, value_name = "REPO")]
    pub repository: Option<String>,

    /// Credentials as user:password (split at the first ':'); anything else means anonymous
    #[arg(
        short = 'u',
        long,
        value_name = "USER:PASS",
        default_value = "",
        hide_default_value = true
    )]
    pub username: String,

    /// Use plain HTTP for every registry host
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", hide_default_value = true,
          default_missing_value = "true", value_parser = parse_go_bool, value_name = "BOOL", action = ArgAction::Set)]
    pub plain: bool,

    /// Debug logging
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", hide_default_value = true,
          default_missing_value = "true", value_parser = parse_go_bool, value_name = "BOOL", action = ArgAction::Set)]
    pub verbose: bool,

    /// Source tag (wins over --input-digest)
    #[arg(
        short = 'i',
        long = "input-tag",
        value_name = "TAG",
        default_value = "",
        hide_default_value = true
    )]
    pub input_tag: String,

    /// Source digest (sha256:...)
    #[arg(
        short = 'g',
        long = "input-digest",
        value_name = "DIGEST",
        default_value = "",
        hide_default_value = true
    )]
    pub input_digest: String,

    /// Output tag for overlaybd when none of --overlaybd/--turboOCI/--fastoci is given
    #[arg(
        short = 'o',
        long = "output-tag",
        value_name = "TAG",
        default_value = "",
        hide_default_value = true
    )]
    pub output_tag: String,

    /// Work directory
    #[arg(short = 'd', long, value_name = "DIR", default_value = "tmp_conv")]
    pub dir: PathBuf,

    /// Emit OCI media types (default: Docker schema2)
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", hide_default_value = true,
          default_missing_value = "true", value_parser = parse_go_bool, value_name = "BOOL", action = ArgAction::Set)]
    pub oci: bool,

    /// Filesystem of TurboOCI layers: ext4 or erofs
    #[arg(long, value_name = "FS", default_value = "ext4")]
    pub fstype: String,

    /// Make a fresh ext4 in the bottom layer; --mkfs=false uses the prebuilt 64 GiB base layer
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "true",
          default_missing_value = "true", value_parser = parse_go_bool, value_name = "BOOL", action = ArgAction::Set)]
    pub mkfs: bool,

    /// Virtual block-device size in GiB (only with --mkfs)
    #[arg(
        long,
        value_name = "GIB",
        default_value_t = 64,
        allow_negative_numbers = true
    )]
    pub vsize: i64,

    /// Deprecated name of --turboOCI
    #[arg(
        long,
        value_name = "TAG",
        default_value = "",
        hide_default_value = true
    )]
    pub fastoci: String,

    /// ZFile codec of the converted layers: lz4 or zstd (beyond upstream)
    #[arg(long, value_name = "CODEC", default_value = "lz4")]
    pub algorithm: String,

    /// ZFile block size in KiB: 4, 8, 16, 32 or 64 (beyond upstream)
    #[arg(
        long,
        value_name = "KIB",
        default_value_t = 4,
        allow_negative_numbers = true
    )]
    pub bs: i64,

    /// Output tag for the TurboOCIv1 format
    #[arg(
        long = "turboOCI",
        value_name = "TAG",
        default_value = "",
        hide_default_value = true
    )]
    pub turbo_oci: String,

    /// Output tag for the native overlaybd format
    #[arg(
        long,
        value_name = "TAG",
        default_value = "",
        hide_default_value = true
    )]
    pub overlaybd: String,

    /// Dedup database DSN, e.g. user:pass@tcp(127.0.0.1:3306)/conversioncache
    #[arg(
        long = "db-str",
        value_name = "DSN",
        default_value = "",
        hide_default_value = true
    )]
    pub db_str: String,

    /// Dedup database type: mysql (native builds only)
    #[arg(
        long = "db-type",
        value_name = "TYPE",
        default_value = "",
        hide_default_value = true
    )]
    pub db_type: String,

    /// Manifests built at once; 0 means unlimited
    #[arg(
        long = "concurrency-limit",
        value_name = "N",
        default_value_t = 4,
        allow_negative_numbers = true
    )]
    pub concurrency_limit: i64,

    /// Do not create sparse writable layers (native overlaybd only)
    #[arg(long = "disable-sparse", num_args = 0..=1, require_equals = true, default_value = "false", hide_default_value = true,
          default_missing_value = "true", value_parser = parse_go_bool, value_name = "BOOL", action = ArgAction::Set)]
    pub disable_sparse: bool,

    /// Push outputs with subject and artifactType (implies --oci)
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", hide_default_value = true,
          default_missing_value = "true", value_parser = parse_go_bool, value_name = "BOOL", action = ArgAction::Set)]
    pub referrer: bool,

    /// Directory of *.crt root CAs and *.cert/*.key client pairs (repeatable)
    #[arg(long = "cert-dir", value_name = "DIR")]
    pub cert_dir: Vec<PathBuf>,

    /// PEM root CA file added to the system pool (repeatable)
    #[arg(long = "root-ca", value_name = "FILE")]
    pub root_ca: Vec<PathBuf>,

    /// Client certificate as certfile:keyfile (repeatable)
    #[arg(long = "client-cert", value_name = "CERT:KEY")]
    pub client_cert: Vec<String>,

    /// Skip TLS certificate verification
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", hide_default_value = true,
          default_missing_value = "true", value_parser = parse_go_bool, value_name = "BOOL", action = ArgAction::Set)]
    pub insecure: bool,

    /// Keep temporary data (debug)
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", hide_default_value = true,
          default_missing_value = "true", value_parser = parse_go_bool, value_name = "BOOL", action = ArgAction::Set)]
    pub reserve: bool,

    /// Do not upload layers and manifests (debug)
    #[arg(long = "no-upload", num_args = 0..=1, require_equals = true, default_value = "false", hide_default_value = true,
          default_missing_value = "true", value_parser = parse_go_bool, value_name = "BOOL", action = ArgAction::Set)]
    pub no_upload: bool,

    /// Write the resulting manifest, config and index JSON into the work dir (debug)
    #[arg(long = "dump-manifest", num_args = 0..=1, require_equals = true, default_value = "false", hide_default_value = true,
          default_missing_value = "true", value_parser = parse_go_bool, value_name = "BOOL", action = ArgAction::Set)]
    pub dump_manifest: bool,

    /// Print the result as JSON on stdout
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", hide_default_value = true,
          default_missing_value = "true", value_parser = parse_go_bool, value_name = "BOOL", action = ArgAction::Set)]
    pub json: bool,

    /// Use the engine component at PATH.wasm: TAG overlaybd or turboOCI replaces that format's
    /// engine; any other TAG is an output tag converted by this engine (repeatable)
    #[arg(long, value_name = "TAG=PATH.wasm")]
    pub engine: Vec<String>,

    /// Run the engine of TAG only if its component file has this digest (repeatable)
    #[arg(long = "engine-digest", value_name = "TAG=sha256:HEX")]
    pub engine_digest: Vec<String>,

    /// Pass option NAME=VALUE to the engine of TAG, which must declare it (repeatable)
    #[arg(long = "engine-option", value_name = "TAG:NAME=VALUE")]
    pub engine_option: Vec<String>,

    /// Memory limit of each engine instance, in MiB
    #[arg(long = "engine-memory", value_name = "MIB", default_value_t = 1024)]
    pub engine_memory: u64,

    /// Deadline of one layer conversion by an engine, in seconds
    #[arg(
        long = "engine-timeout",
        value_name = "SECONDS",
        default_value_t = 1800
    )]
    pub engine_timeout: u64,

    /// Output cap of one layer: its blobs may hold RATIO times the source layer's size plus
    /// 64 MiB
    #[arg(
        long = "engine-output-ratio",
        value_name = "RATIO",
        default_value_t = 4
    )]
    pub engine_output_ratio: u64,

    /// Engine instances running at once, across images (0: one per CPU)
    #[arg(long = "engine-instances", value_name = "N", default_value_t = 0)]
    pub engine_instances: usize,

    /// Convert only these platforms, os/arch[/variant] (repeatable or comma-separated)
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", value_delimiter = ',')]
    pub platform: Vec<String>,

    /// Push outputs to this registry repository, host[:port]/path, instead of --repository's
    /// (-u applies to it too, unless its host has its own Docker config entry)
    #[arg(long = "output-repository", value_name = "REPO")]
    pub output_repository: Option<String>,
}

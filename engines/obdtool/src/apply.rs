//! `obdtool apply`: convert one layer tar onto mkfs or the given lower layers, like upstream's
//! overlaybd-create + overlaybd-apply + overlaybd-commit (or turboOCI-apply) in one step.

use crate::flatten::open_layers;
use crate::staged::Staged;
use anyhow::{Context, Result, bail};
use lsmt::Uuid;
use overlaybd::native::{Base, NativeOptions, convert_native};
use overlaybd::turbo::{TurboOptions, convert_turbo};
use std::fs::{File, OpenOptions};
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// Make a fresh ext4 first (the bottom layer); otherwise --lower layers are required.
    #[arg(long)]
    mkfs: bool,
    /// Virtual size in GiB of the fresh filesystem.
    #[arg(long, default_value_t = 64)]
    vsize: u64,
    /// Lower layers, bottom first (native blobs, the ext4_64 base layer, TurboOCI meta layers).
    #[arg(long = "lower")]
    lowers: Vec<PathBuf>,
    /// Original blob of a TurboOCI lower (repeat per TurboOCI lower, in order).
    #[arg(long = "lower-target")]
    lower_targets: Vec<PathBuf>,
    /// Gzip index of a TurboOCI lower whose meta is a bare fs.meta.
    #[arg(long = "lower-gzip-index")]
    lower_indexes: Vec<PathBuf>,
    /// TurboOCI: write the fs meta (a ZFile'd warp LSMT) to -o instead of a native layer.
    #[arg(long)]
    turbo: bool,
    /// TurboOCI: where to write the gzip index of a gzip source.
    #[arg(long = "gzip-index", requires = "turbo")]
    gzip_index: Option<PathBuf>,
    /// TurboOCI: also write the whole meta layer (turboOCIv1.tar.gz) here.
    #[arg(long = "meta-layer", requires = "turbo")]
    meta_layer: Option<PathBuf>,
    /// LSMT uuid and parent uuid of the committed layer (native).
    #[arg(long)]
    uuid: Option<String>,
    #[arg(long = "parent-uuid")]
    parent_uuid: Option<String>,
    /// Keep scratch data in append mode instead of a sparse file (native).
    #[arg(long = "disable-sparse")]
    disable_sparse: bool,
    /// ZFile codec (lz4 or zstd) and block size in KiB.
    #[arg(long, default_value = "lz4")]
    algorithm: String,
    #[arg(long, default_value_t = 4)]
    bs: u32,
    /// The layer: a tar, gzip'ed tar or zstd'ed tar (TurboOCI: gzip or plain only).
    layer: PathBuf,
    #[arg(short, long)]
    output: PathBuf,
}

pub fn run(args: Args) -> Result<()> {
    if args.mkfs != args.lowers.is_empty() {
        bail!("give either --mkfs (bottom layer) or the --lower layers");
    }
    let zopts = zfile::Options {
        algorithm: match args.algorithm.as_str() {
            "lz4" => zfile::Algorithm::Lz4,
            "zstd" => zfile::Algorithm::Zstd,
            other => bail!("unknown algorithm {other:?}: use lz4 or zstd"),
        },
        block_size: args.bs * 1024,
        ..zfile::Options::default()
    };
    let stack = if args.lowers.is_empty() {
        None
    } else {
        Some(open_layers(
            &args.lowers,
            &args.lower_targets,
            &args.lower_indexes,
        )?)
    };
    let base = match &stack {
        Some(s) => Base::Lower(s),
        None => Base::Mkfs {
            vsize: args.vsize << 30,
        },
    };
    let source = BufReader::with_capacity(
        1 << 20,
        File::open(&args.layer).with_context(|| format!("opening {}", args.layer.display()))?,
    );
    let scratch = Scratch::new(&args.output)?;
    let mut staged = Staged::default();
    let started = Instant::now();
    if args.turbo {
        let opts = TurboOptions {
            zfile: zopts,
            lower_count: args.lowers.len().min(255) as u8,
        };
        let (report, tgz) = convert_turbo(
            source,
            base,
            scratch.file(0)?,
            scratch.file(1)?,
            Vec::new(),
            &opts,
        )
        .context("converting the layer (TurboOCI)")?;
        let meta = layer::read_turbo_meta(tgz.as_slice())?;
        staged.write(&args.output, &meta.fs_meta)?;
        if let Some(g) = &meta.gzip_meta {
            let path = args
                .gzip_index
                .as_ref()
                .context("the source is gzip: give --gzip-index PATH")?;
            staged.write(path, g)?;
        }
        if let Some(path) = &args.meta_layer {
            staged.write(path, &tgz)?;
        }
        staged.commit()?;
        warn(&report.warnings);
        println!(
            "{}: {} entries, {} remote records, fs meta {} bytes, gzip index {} bytes, meta layer {} bytes (diff_id {}), {:.2}s",
            args.output.display(),
            report.entries,
            report.remote_records,
            report.fs_meta_len,
            report.gzip_meta_len.unwrap_or(0),
            report.blob_len,
            report.diff_id,
            started.elapsed().as_secs_f64()
        );
    } else {
        let opts = NativeOptions {
            sparse: !args.disable_sparse,
            zfile: zopts,
            codec: overlaybd::native::inline_codec,
            uuid: parse_uuid(args.uuid.as_deref())?,
            parent_uuid: parse_uuid(args.parent_uuid.as_deref())?,
        };
        let tar = overlaybd::source::decompress(source).context("reading the layer")?;
        let out = staged.create(&args.output)?;
        let (report, _) = convert_native(tar, base, scratch.file(0)?, scratch.file(1)?, out, &opts)
            .context("converting the layer")?;
        staged.commit()?;
        warn(&report.warnings);
        println!(
            "{}: {} entries, {} bytes of file data, layer {} records / {} bytes of blocks, LSMT {} bytes, blob {} bytes, {:.2}s",
            args.output.display(),
            report.entries,
            report.data_bytes,
            report.layer_records,
            report.layer_sectors * 512,
            report.lsmt_len,
            report.blob_len,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn warn(warnings: &[String]) {
    for w in warnings {
        eprintln!("obdtool: warning: {w}");
    }
}

fn parse_uuid(s: Option<&str>) -> Result<Option<Uuid>> {
    s.map(|s| Uuid::parse(s).with_context(|| format!("bad uuid {s:?}")))
        .transpose()
}

/// Scratch files beside the output, removed when done (also on failure).
struct Scratch {
    paths: Vec<PathBuf>,
}

impl Scratch {
    fn new(output: &Path) -> Result<Self> {
        let stem = output.to_string_lossy();
        Ok(Self {
            paths: vec![
                format!("{stem}.scratch-data").into(),
                format!("{stem}.scratch-index").into(),
            ],
        })
    }

    fn file(&self, i: usize) -> Result<File> {
        let path = &self.paths[i];
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .with_context(|| format!("creating scratch file {}", path.display()))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for p in &self.paths {
            let _ = std::fs::remove_file(p);
        }
    }
}

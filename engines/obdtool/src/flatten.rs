//! `obdtool flatten LAYER... -o RAW`: the merged device as a sparse raw image.

use crate::staged::Staged;
use anyhow::{Context, Result, bail};
use layer::{DynRead, LayerSource, flatten, open_stack, read_turbo_meta};
use lsmt::Stack;
use std::fs::File;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// Layer blobs, bottom first. A TurboOCI layer (its meta tar.gz, or a bare `*.fs.meta`)
    /// takes the next --turbo-target and, unless its tar carries one, the next --gzip-index.
    #[arg(required_unless_present = "layout", conflicts_with = "layout")]
    layers: Vec<PathBuf>,
    /// Flatten the converted image tagged --tag in this OCI layout instead (either format;
    /// TurboOCI layers read their original blobs from the same layout).
    #[arg(long, requires = "tag")]
    layout: Option<PathBuf>,
    #[arg(long)]
    tag: Option<String>,
    /// With --layout, the platform to take from an index (os/arch[/variant]).
    #[arg(long)]
    platform: Option<String>,
    /// The original layer blob a TurboOCI layer points into (repeat once per TurboOCI layer).
    #[arg(long = "turbo-target")]
    turbo_targets: Vec<PathBuf>,
    /// The gzip index of that original blob (repeat as needed).
    #[arg(long = "gzip-index")]
    gzip_indexes: Vec<PathBuf>,
    /// The raw image to write (created or truncated; sparse).
    #[arg(short, long)]
    output: PathBuf,
}

pub fn run(args: Args) -> Result<()> {
    let (layers, targets) = match (&args.layout, &args.tag) {
        (Some(layout), Some(tag)) => {
            let image = crate::layout::image_layers(layout, tag, args.platform.as_deref())?;
            (image.layers, image.targets)
        }
        _ => (args.layers.clone(), args.turbo_targets.clone()),
    };
    let stack = open_layers(&layers, &targets, &args.gzip_indexes)?;
    let mut staged = Staged::default();
    let mut out = staged.create(&args.output)?;
    out.set_len(stack.virtual_size())?;
    let written = flatten(&stack, &mut out).context("writing the merged device")?;
    drop(out);
    staged.commit()?;
    println!(
        "{}: {} bytes virtual, {} bytes of data from {} layers",
        args.output.display(),
        stack.virtual_size(),
        written,
        layers.len()
    );
    Ok(())
}

/// Opens layer blobs bottom first; each TurboOCI layer takes the next target and, unless its
/// meta tar carries one, the next gzip index.
pub fn open_layers(
    layers: &[PathBuf],
    targets: &[PathBuf],
    indexes: &[PathBuf],
) -> Result<Stack<'static>> {
    let mut targets = targets.iter();
    let mut indexes = indexes.iter();
    let mut sources = Vec::with_capacity(layers.len());
    for path in layers {
        let file = open(path)?;
        let mut magic = [0u8; 2];
        blockio::ReadAt::read_zero_fill(&file, 0, &mut magic)?;
        let bare_meta = path.to_string_lossy().ends_with(".fs.meta");
        if magic != [0x1f, 0x8b] && !bare_meta {
            sources.push(LayerSource::Native(Box::new(file)));
            continue;
        }
        let (fs_meta, mut gzip_meta): (DynRead, _) = if bare_meta {
            (Box::new(file), None)
        } else {
            let meta = read_turbo_meta(&file)
                .with_context(|| format!("reading TurboOCI meta layer {}", path.display()))?;
            (Box::new(meta.fs_meta), meta.gzip_meta)
        };
        let Some(target) = targets.next() else {
            bail!(
                "{} is a TurboOCI layer: give its original blob with --turbo-target",
                path.display()
            );
        };
        if gzip_meta.is_none() && is_gzip(target)? {
            let index = indexes.next().with_context(|| {
                format!(
                    "{} is gzip: give its index with --gzip-index",
                    target.display()
                )
            })?;
            gzip_meta =
                Some(std::fs::read(index).with_context(|| format!("reading {}", index.display()))?);
        }
        sources.push(LayerSource::Turbo {
            fs_meta,
            gzip_meta,
            original: Box::new(open(target)?),
        });
    }
    open_stack(sources).context("opening the layer stack")
}

fn open(path: &Path) -> Result<File> {
    File::open(path).with_context(|| format!("opening {}", path.display()))
}

fn is_gzip(path: &Path) -> Result<bool> {
    let mut magic = [0u8; 2];
    blockio::ReadAt::read_zero_fill(&open(path)?, 0, &mut magic)?;
    Ok(magic == [0x1f, 0x8b])
}

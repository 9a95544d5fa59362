//! Converting every layer of an image with the library engines, bottom-up, as the pipeline
//! does: each layer is converted on top of the stack of the layers converted before it.

use crate::image::LayerBlob;
use anyhow::{Context, Result, bail};
use layer::LayerSource;
use overlaybd::native::{Base, NativeOptions, convert_native};
use overlaybd::turbo::{TurboOptions, convert_turbo};
use std::fs::{File, OpenOptions};
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// One converted layer.
pub struct Converted {
    /// The published blob: the native layer, or the TurboOCI meta layer (tar.gz).
    pub blob: PathBuf,
    /// TurboOCI: the original layer the meta layer points into.
    pub original: Option<PathBuf>,
    /// Bytes of ext4 blocks the native layer carries, or TurboOCI remote records.
    pub detail: String,
    pub blob_len: u64,
}

pub fn scratch(work: &Path, name: &str) -> Result<File> {
    let p = work.join(name);
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&p)
        .with_context(|| format!("creating {}", p.display()))
}

/// The merged stack of converted layers.
pub fn open_converted(layers: &[Converted]) -> Result<lsmt::Stack<'static>> {
    let sources = layers
        .iter()
        .map(|c| {
            let blob = File::open(&c.blob)?;
            Ok(match &c.original {
                None => LayerSource::Native(Box::new(blob)),
                Some(orig) => {
                    LayerSource::from_meta_layer(BufReader::new(blob), Box::new(File::open(orig)?))?
                }
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(layer::open_stack(sources)?)
}

pub fn convert_image_native(
    layers: &[LayerBlob],
    vsize: u64,
    out: &Path,
) -> Result<Vec<Converted>> {
    let mut done: Vec<Converted> = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let stack = if done.is_empty() {
            None
        } else {
            Some(open_converted(&done)?)
        };
        let base = stack.as_ref().map_or(Base::Mkfs { vsize }, Base::Lower);
        let blob = out.join(format!("layer-{i}.commit"));
        let tar = overlaybd::source::decompress(BufReader::new(File::open(&l.path)?))?;
        let (report, _) = convert_native(
            tar,
            base,
            scratch(out, "scratch-data")?,
            scratch(out, "scratch-index")?,
            File::create(&blob)?,
            &NativeOptions::default(),
        )
        .with_context(|| format!("converting layer {i}"))?;
        done.push(Converted {
            blob,
            original: None,
            detail: format!("{} KiB of ext4 blocks", report.layer_sectors / 2),
            blob_len: report.blob_len,
        });
    }
    cleanup(out);
    Ok(done)
}

pub fn convert_image_turbo(layers: &[LayerBlob], vsize: u64, out: &Path) -> Result<Vec<Converted>> {
    if let Some(l) = layers.iter().find(|l| !l.gzip) {
        bail!(
            "{} is not gzip: TurboOCI needs gzip layers",
            l.path.display()
        );
    }
    let mut done: Vec<Converted> = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let stack = if done.is_empty() {
            None
        } else {
            Some(open_converted(&done)?)
        };
        let base = stack.as_ref().map_or(Base::Mkfs { vsize }, Base::Lower);
        let blob = out.join(format!("layer-{i}.turbo.tar.gz"));
        let opts = TurboOptions {
            lower_count: done.len() as u8,
            ..Default::default()
        };
        let (report, _) = convert_turbo(
            BufReader::new(File::open(&l.path)?),
            base,
            scratch(out, "scratch-meta")?,
            scratch(out, "scratch-index")?,
            File::create(&blob)?,
            &opts,
        )
        .with_context(|| format!("converting layer {i}"))?;
        done.push(Converted {
            blob,
            original: Some(l.path.clone()),
            detail: format!("{} remote records", report.remote_records),
            blob_len: report.blob_len,
        });
    }
    cleanup(out);
    Ok(done)
}

fn cleanup(out: &Path) {
    for name in ["scratch-data", "scratch-index", "scratch-meta"] {
        let _ = std::fs::remove_file(out.join(name));
    }
}

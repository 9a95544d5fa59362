//! Benchmark stages over the layers of an OCI image (see the `bench` binary).

use crate::convert::{convert_image_native, convert_image_turbo, scratch};
use crate::image::{LayerBlob, image_layers};
use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    Codec,
    ZFile,
    WasmZFile,
    GzIndex,
    WasmGzIndex,
    Apply,
    WasmApply,
    Native,
    WasmNative,
    Turbo,
    WasmTurbo,
    CliNative,
    CliTurbo,
}

impl Stage {
    pub const ALL: [Stage; 13] = [
        Stage::Codec,
        Stage::ZFile,
        Stage::WasmZFile,
        Stage::GzIndex,
        Stage::WasmGzIndex,
        Stage::Apply,
        Stage::WasmApply,
        Stage::Native,
        Stage::WasmNative,
        Stage::Turbo,
        Stage::WasmTurbo,
        Stage::CliNative,
        Stage::CliTurbo,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Codec => "codec",
            Stage::ZFile => "zfile",
            Stage::WasmZFile => "wasm-zfile",
            Stage::GzIndex => "gzindex",
            Stage::WasmGzIndex => "wasm-gzindex",
            Stage::Apply => "apply",
            Stage::WasmApply => "wasm-apply",
            Stage::Native => "native",
            Stage::WasmNative => "wasm-native",
            Stage::Turbo => "turbo",
            Stage::WasmTurbo => "wasm-turbo",
            Stage::CliNative => "cli-native",
            Stage::CliTurbo => "cli-turbo",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Stage::Codec => "bare inflate+LZ4+SHA-256 (codec)",
            Stage::ZFile => "ZFile LZ4 4 KiB compress",
            Stage::GzIndex => "gzip index build (inflate)",
            Stage::Apply => "ext4 mkfs+apply per layer",
            Stage::Native => "overlaybd convert, all layers",
            Stage::Turbo => "TurboOCI convert, all layers",
            Stage::WasmNative => "  same, overlaybd engine (wasm)",
            Stage::WasmTurbo => "  same, turbooci engine (wasm)",
            Stage::WasmZFile | Stage::WasmGzIndex | Stage::WasmApply => "  same, in wasm",
            Stage::CliNative => "convertor --overlaybd, layout→layout",
            Stage::CliTurbo => "convertor --turboOCI, layout→layout",
        }
    }

    /// The native stage a wasm stage is compared with.
    pub fn native_twin(self) -> Option<Stage> {
        match self {
            Stage::WasmZFile => Some(Stage::ZFile),
            Stage::WasmGzIndex => Some(Stage::GzIndex),
            Stage::WasmApply => Some(Stage::Apply),
            Stage::WasmNative => Some(Stage::Native),
            Stage::WasmTurbo => Some(Stage::Turbo),
            _ => None,
        }
    }
}

impl std::str::FromStr for Stage {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Self> {
        Stage::ALL
            .into_iter()
            .find(|st| st.name() == s)
            .with_context(|| format!("unknown stage {s:?}"))
    }
}

#[derive(Debug, serde::Serialize)]
pub struct StageResult {
    /// Uncompressed layer bytes processed.
    pub bytes: u64,
    pub seconds: f64,
    pub peak_rss_kib: u64,
    pub note: Option<String>,
}

const VSIZE: u64 = 64 << 30;

pub fn run_stage(stage: Stage, layout: &Path, tag: &str, work: &Path) -> Result<StageResult> {
    let layers = image_layers(layout, tag)?;
    // Uncompressed tars are prepared outside the timed part of stages that do not inflate.
    // Uncompressed tars are written out before the clock starts for stages that do not inflate.
    let tars: Vec<std::path::PathBuf> = match stage {
        Stage::ZFile | Stage::WasmZFile => layers
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let p = work.join(format!("layer-{i}.tar"));
                let mut tar = overlaybd::source::decompress(BufReader::new(File::open(&l.path)?))?;
                std::io::copy(&mut tar, &mut File::create(&p)?)?;
                Ok(p)
            })
            .collect::<Result<_>>()?,
        _ => Vec::new(),
    };
    // Components are compiled (or loaded from the cache) before the clock starts too.
    let engine = match stage {
        Stage::WasmZFile | Stage::WasmGzIndex | Stage::WasmApply => {
            Some(crate::wasm::load("bench_engine")?)
        }
        Stage::WasmNative => Some(crate::wasm::load("overlaybd_engine")?),
        Stage::WasmTurbo => Some(crate::wasm::load("turbooci_engine")?),
        _ => None,
    };
    let bytes: u64 = layers.iter().map(|l| l.diff_size).sum();
    let start = Instant::now();
    let note = match stage {
        Stage::Codec => {
            for l in &layers {
                codec_pass(l)?;
            }
            None
        }
        Stage::ZFile => {
            let mut out_len = 0;
            for t in &tars {
                let out = File::create(work.join("out.zfile"))?;
                let mut z = zfile::ZFileWriter::new(out, zfile::Options::default())?;
                std::io::copy(&mut BufReader::new(File::open(t)?), &mut z)?;
                out_len += z.finish()?.1.compressed_len;
            }
            Some(format!("ratio {:.2}", bytes as f64 / out_len.max(1) as f64))
        }
        Stage::WasmZFile | Stage::WasmGzIndex | Stage::WasmApply => {
            let engine = engine.as_ref().context("bench engine")?;
            let kernel = &stage.name()["wasm-".len()..];
            for (i, l) in layers.iter().enumerate() {
                if stage == Stage::WasmGzIndex && !l.gzip {
                    continue;
                }
                let source = if stage == Stage::WasmZFile {
                    tars[i].clone()
                } else {
                    l.path.clone()
                };
                crate::wasm::run_kernel(engine, kernel, &source, l, work)?;
            }
            None
        }
        Stage::WasmNative | Stage::WasmTurbo => {
            let engine = engine.as_ref().context("engine")?;
            crate::wasm::convert_image(engine, &layers, work)?;
            None
        }
        Stage::GzIndex => {
            for l in layers.iter().filter(|l| l.gzip) {
                let mut b = gzindex::IndexBuilder::new(BufReader::new(File::open(&l.path)?))?;
                std::io::copy(&mut b, &mut std::io::sink())?;
                b.finish()?;
            }
            None
        }
        Stage::Apply => Some(apply_only(&layers, work)?),
        Stage::Native => Some(native(&layers, work)?),
        Stage::Turbo => Some(turbo(&layers, work)?),
        Stage::CliNative | Stage::CliTurbo => {
            let seconds = crate::cli::convert(layout, tag, stage == Stage::CliTurbo, work)?;
            return Ok(StageResult {
                bytes,
                seconds,
                // The convertor process, not this one.
                peak_rss_kib: crate::cli::children_peak_rss_kib(),
                note: Some("the real binary: verify, engine, store, tag".into()),
            });
        }
    };
    Ok(StageResult {
        bytes,
        seconds: start.elapsed().as_secs_f64(),
        peak_rss_kib: peak_rss_kib(),
        note,
    })
}

fn codec_pass(l: &LayerBlob) -> Result<()> {
    let mut r = overlaybd::source::decompress(BufReader::new(File::open(&l.path)?))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut out = vec![0u8; lz4_flex::block::get_maximum_output_size(4096)];
    let mut hash = Sha256::new();
    loop {
        let n = read_full(&mut r, &mut buf)?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
        for chunk in buf[..n].chunks(4096) {
            lz4_flex::block::compress_into(chunk, &mut out).map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    std::hint::black_box(hash.finalize());
    Ok(())
}

fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// mkfs + apply + flush of every layer on one sparse raw device, no commit: the filesystem
/// work alone. Reports the metadata blocks each layer wrote.
fn apply_only(layers: &[LayerBlob], work: &Path) -> Result<String> {
    let dev = scratch(work, "apply.raw")?;
    dev.set_len(VSIZE)?;
    let mut fs = ext4::Ext4::mkfs(dev, &ext4::MkfsOptions { size: VSIZE })?;
    fs.flush()?;
    let mut per_layer = Vec::new();
    for l in layers {
        let before = fs.stats().metadata_blocks_written;
        let tar = overlaybd::source::decompress(BufReader::new(File::open(&l.path)?))?;
        ociapply::apply_layer(
            &mut fs,
            &mut tarstream::TarReader::new(tar),
            &Default::default(),
        )?;
        fs.flush()?;
        per_layer.push((fs.stats().metadata_blocks_written - before).to_string());
    }
    Ok(format!(
        "metadata blocks per layer: {}",
        per_layer.join(" ")
    ))
}

fn native(layers: &[LayerBlob], work: &Path) -> Result<String> {
    let done = convert_image_native(layers, VSIZE, work)?;
    let sizes: Vec<String> = done.iter().map(|c| c.detail.clone()).collect();
    Ok(format!("per layer: {}", sizes.join(", ")))
}

fn turbo(layers: &[LayerBlob], work: &Path) -> Result<String> {
    let done = convert_image_turbo(layers, VSIZE, work)?;
    let sizes: Vec<String> = done
        .iter()
        .map(|c| format!("{} KiB", c.blob_len / 1024))
        .collect();
    Ok(format!("meta layers: {}", sizes.join(" ")))
}

/// Peak resident set of this process (VmHWM), in KiB.
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

//! Running the engine components through the runtime over an image's layers, for the benchmark
//! and the tests that set wasm against the native library.

use crate::image::LayerBlob;
use anyhow::{Context, Result};
use engine_runtime::wit::{LayerInfo, LayerParams, MediaFamily};
use engine_runtime::{EngineHandle, LayerIo, LowerLayers, Runtime, RuntimeConfig};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where `just engines` / `just bench` put the components.
pub fn component(name: &str) -> Result<PathBuf> {
    let dir = std::env::var_os("ENGINE_WASM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::repo_root().join("target/wasm32-wasip2/release"));
    let path = dir.join(format!("{name}.wasm"));
    anyhow::ensure!(
        path.is_file(),
        "{} is missing: run `just engines`",
        path.display()
    );
    Ok(path)
}

pub fn load(name: &str) -> Result<EngineHandle> {
    let cache = crate::repo_root().join("target/engine-cache");
    let runtime = Runtime::new(RuntimeConfig {
        cache_dir: Some(cache),
        ..RuntimeConfig::default()
    })?;
    runtime.load(component(name)?)
}

pub fn info(l: &LayerBlob) -> LayerInfo {
    LayerInfo {
        media_type: l.media_type.clone(),
        digest: l.digest.clone(),
        size: std::fs::metadata(&l.path).map(|m| m.len()).unwrap_or(0),
        diff_id: l.diff_id.clone(),
        annotations: vec![],
    }
}

pub fn params(index: u32, chain: &[String], options: &[(&str, &str)]) -> LayerParams {
    LayerParams {
        index,
        chain_id: chain[index as usize].clone(),
        parent_chain_id: index.checked_sub(1).map(|p| chain[p as usize].clone()),
        family: MediaFamily::Oci,
        options: options
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

/// Converted layers below the current one, read from files.
#[derive(Clone, Default)]
pub struct FileLowers(Arc<Vec<(LayerInfo, PathBuf, LayerInfo, PathBuf)>>);

impl FileLowers {
    pub fn push(
        &mut self,
        published: LayerInfo,
        blob: PathBuf,
        source: LayerInfo,
        original: PathBuf,
    ) {
        Arc::make_mut(&mut self.0).push((published, blob, source, original));
    }
}

fn read_file(path: &Path, off: u64, buf: &mut [u8]) -> std::io::Result<usize> {
    std::fs::File::open(path)?.read_at(buf, off)
}

impl LowerLayers for FileLowers {
    fn count(&self) -> u32 {
        self.0.len() as u32
    }
    fn info(&self, i: u32) -> Option<LayerInfo> {
        self.0.get(i as usize).map(|l| l.0.clone())
    }
    fn source_info(&self, i: u32) -> Option<LayerInfo> {
        self.0.get(i as usize).map(|l| l.2.clone())
    }
    fn read(&self, i: u32, off: u64, buf: &mut [u8]) -> std::io::Result<usize> {
        let l = self.0.get(i as usize).ok_or(std::io::ErrorKind::NotFound)?;
        read_file(&l.1, off, buf)
    }
    fn read_source(&self, i: u32, off: u64, buf: &mut [u8]) -> std::io::Result<usize> {
        let l = self.0.get(i as usize).ok_or(std::io::ErrorKind::NotFound)?;
        read_file(&l.3, off, buf)
    }
}

/// Converts every layer with `engine` bottom-up; returns the published blobs in order.
pub fn convert_image(
    engine: &EngineHandle,
    layers: &[LayerBlob],
    work: &Path,
) -> Result<Vec<PathBuf>> {
    let chain =
        overlaybd::chain::chain_ids(&layers.iter().map(|l| l.diff_id.clone()).collect::<Vec<_>>());
    let mut lowers = FileLowers::default();
    let mut out = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let io = LayerIo {
            work_dir: work.to_path_buf(),
            ..LayerIo::default()
        };
        let result = engine
            .convert_layer(
                &params(i as u32, &chain, &[]),
                std::fs::File::open(&l.path)?,
                info(l),
                lowers.clone(),
                &io,
            )
            .with_context(|| format!("layer {i}"))?;
        let p = result
            .layers
            .last()
            .context("the engine published nothing")?;
        let published = LayerInfo {
            media_type: p.media_type.clone(),
            digest: p.digest.clone(),
            size: p.size,
            diff_id: p.diff_id.clone(),
            annotations: p.annotations.clone(),
        };
        lowers.push(published, p.blob_path.clone(), info(l), l.path.clone());
        out.push(p.blob_path.clone());
    }
    Ok(out)
}

/// Runs the `bench` component's `kernel` over one source file.
pub fn run_kernel(
    engine: &EngineHandle,
    kernel: &str,
    source: &Path,
    l: &LayerBlob,
    work: &Path,
) -> Result<()> {
    let io = LayerIo {
        work_dir: work.to_path_buf(),
        ..LayerIo::default()
    };
    let chain = vec![l.diff_id.clone()];
    let sized = LayerInfo {
        size: std::fs::metadata(source)?.len(),
        ..info(l)
    };
    engine
        .convert_layer(
            &params(0, &chain, &[("kernel", kernel)]),
            std::fs::File::open(source)?,
            sized,
            FileLowers::default(),
            &io,
        )
        .with_context(|| format!("kernel {kernel}"))?;
    Ok(())
}

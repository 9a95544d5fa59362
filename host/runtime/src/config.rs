//! Limits and settings shared by every engine a [`Runtime`](crate::Runtime) runs.

use std::path::PathBuf;
use std::time::Duration;

/// Settings of a [`Runtime`](crate::Runtime); `Default` gives the production values.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Largest linear memory an engine instance may grow to.
    pub memory_limit_bytes: usize,
    /// Wall-clock budget of one `convert-layer` call (and of `describe`).
    pub layer_deadline: Duration,
    /// Sinks may hold at most `source size * output_cap_ratio + output_cap_min_bytes` bytes in
    /// total.
    pub output_cap_ratio: u64,
    /// See `output_cap_ratio`.
    pub output_cap_min_bytes: u64,
    /// Scratch files one conversion may create.
    pub max_scratch_files: u32,
    /// Sinks one conversion may create.
    pub max_sinks: u32,
    /// Block compressors one conversion may create.
    pub max_compressors: u32,
    /// Threads each block compressor runs.
    pub codec_threads: usize,
    /// Live handles (hashers, sinks, scratch files, assets) an engine may hold at once; each
    /// costs host memory the guest's memory limit does not cover.
    pub max_handles: u32,
    /// Engine calls (`convert_layer`) running at once across all threads; others wait for a
    /// slot before their store is created, so waiting does not count against the deadline.
    /// 0 is unlimited.
    pub max_instances: usize,
    /// Where compiled engines are cached (`<sha256>-<config>.cwasm`); `None` compiles on every
    /// load. Only the host user may be able to write here: cached code is loaded as trusted.
    pub cache_dir: Option<PathBuf>,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            memory_limit_bytes: 1 << 30,
            layer_deadline: Duration::from_secs(30 * 60),
            output_cap_ratio: 4,
            output_cap_min_bytes: 64 << 20,
            max_scratch_files: 16,
            max_sinks: 64,
            max_compressors: 4,
            codec_threads: std::thread::available_parallelism().map_or(2, |n| n.get().min(8)),
            max_handles: 4096,
            max_instances: 0,
            cache_dir: None,
        }
    }
}

impl RuntimeConfig {
    /// Total bytes the sinks of a conversion may hold for a source of `source_size` bytes.
    pub fn output_cap(&self, source_size: u64) -> u64 {
        source_size
            .saturating_mul(self.output_cap_ratio)
            .saturating_add(self.output_cap_min_bytes)
    }
}

//! What a Store holds for one call: the resource table, limits and the conversion's files.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};

use crate::bindings::convertor::engine::host::LogLevel;
use crate::config::RuntimeConfig;
use crate::error::LimitHit;
use crate::resources::sink::SinkFile;
use crate::wasi::WasiState;

/// Receives the engine's log lines.
pub type LogFn = Arc<dyn Fn(LogLevel, &str) + Send + Sync>;
/// Receives the bytes of the source consumed so far.
pub type ProgressFn = Arc<dyn Fn(u64) + Send + Sync>;

pub(crate) struct HostState {
    pub table: ResourceTable,
    pub limiter: Limiter,
    pub config: Arc<RuntimeConfig>,
    /// The first limit hit; the call fails with it whatever the engine does afterwards.
    pub limit_hit: Option<LimitHit>,
    pub work_dir: Option<PathBuf>,
    pub assets: BTreeMap<String, PathBuf>,
    /// Sinks by name. They live here, not in the table, so they outlive the guest's handles.
    pub sinks: BTreeMap<String, SinkFile>,
    pub output_cap: u64,
    pub output_written: u64,
    pub scratch_files: u32,
    pub compressors: u32,
    pub live_handles: u32,
    pub log: Option<LogFn>,
    pub progress: Option<ProgressFn>,
    pub wasi: WasiState,
}

impl HostState {
    pub fn new(config: Arc<RuntimeConfig>) -> Self {
        Self {
            table: ResourceTable::new(),
            limiter: Limiter::new(config.memory_limit_bytes),
            limit_hit: None,
            work_dir: None,
            assets: BTreeMap::new(),
            sinks: BTreeMap::new(),
            output_cap: config.output_cap_min_bytes,
            output_written: 0,
            scratch_files: 0,
            compressors: 0,
            live_handles: 0,
            log: None,
            progress: None,
            wasi: WasiState::default(),
            config,
        }
    }

    /// Records a limit (keeping the first) and returns the message the guest gets.
    pub fn hit(&mut self, hit: LimitHit) -> String {
        let msg = crate::error::ConvertError::from(hit.clone()).to_string();
        self.limit_hit.get_or_insert(hit);
        msg
    }

    /// Counts a new guest-visible handle against `max_handles`.
    pub fn take_handle(&mut self) -> Result<(), String> {
        if self.live_handles >= self.config.max_handles {
            let max = self.config.max_handles;
            return Err(self.hit(LimitHit::Resource(format!("more than {max} live handles"))));
        }
        self.live_handles += 1;
        Ok(())
    }

    pub fn release_handle(&mut self) {
        self.live_handles = self.live_handles.saturating_sub(1);
    }
}

/// `StoreLimits` with `trap_on_grow_failure`, remembering a memory-limit hit so the failure can
/// be reported as such rather than as a bare trap.
pub(crate) struct Limiter {
    inner: StoreLimits,
    limit: usize,
    pub hit: Option<usize>,
}

impl Limiter {
    fn new(limit: usize) -> Self {
        let inner = StoreLimitsBuilder::new()
            .memory_size(limit)
            .instances(16)
            .memories(16)
            .tables(64)
            .trap_on_grow_failure(true)
            .build();
        Self {
            inner,
            limit,
            hit: None,
        }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let res = self.inner.memory_growing(current, desired, maximum);
        if !matches!(res, Ok(true)) {
            self.hit.get_or_insert(desired);
        }
        res
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.inner.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.inner.instances()
    }

    fn tables(&self) -> usize {
        self.inner.tables()
    }

    fn memories(&self) -> usize {
        self.inner.memories()
    }
}

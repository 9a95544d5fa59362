//! `sink`: an output blob, a temp file in the work directory until the host publishes it.

use std::os::unix::fs::FileExt;

use tempfile::NamedTempFile;
use wasmtime::component::Resource;

use crate::bindings::convertor::engine::host::HostSink;
use crate::error::LimitHit;
use crate::state::HostState;

/// Longest sink name; names end up in logs and error messages.
const MAX_NAME: usize = 255;

/// The guest's handle to a sink; the file itself stays in `HostState::sinks`.
pub struct SinkHandle {
    name: String,
}

pub(crate) struct SinkFile {
    pub file: NamedTempFile,
    pub size: u64,
}

pub(crate) fn create(state: &mut HostState, name: String) -> Result<Resource<SinkHandle>, String> {
    if name.is_empty() || name.len() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(format!("{name:?} is not a valid sink name"));
    }
    if state.sinks.contains_key(&name) {
        return Err(format!("sink {name:?} already exists"));
    }
    if state.sinks.len() >= state.config.max_sinks as usize {
        let max = state.config.max_sinks;
        return Err(state.hit(LimitHit::Resource(format!("more than {max} sinks"))));
    }
    let Some(dir) = &state.work_dir else {
        return Err("this call has no work directory".into());
    };
    let file = tempfile::Builder::new()
        .prefix("sink-")
        .tempfile_in(dir)
        .map_err(|err| format!("creating sink {name:?}: {err}"))?;
    state.take_handle()?;
    state.sinks.insert(name.clone(), SinkFile { file, size: 0 });
    state
        .table
        .push(SinkHandle { name })
        .map_err(|err| err.to_string())
}

impl HostState {
    fn sink_file(&mut self, this: &Resource<SinkHandle>) -> wasmtime::Result<&mut SinkFile> {
        let name = &self.table.get(this)?.name;
        self.sinks
            .get_mut(name)
            .ok_or_else(|| wasmtime::format_err!("sink {name:?} has no file"))
    }
}

impl HostSink for HostState {
    fn append(
        &mut self,
        this: Resource<SinkHandle>,
        data: Vec<u8>,
    ) -> wasmtime::Result<Result<(), String>> {
        let len = data.len() as u64;
        let total = self.output_written.saturating_add(len);
        if total > self.output_cap {
            let cap = self.output_cap;
            // An engine that ignores the first refusal would spin until the deadline.
            if matches!(self.limit_hit, Some(LimitHit::Output { .. })) {
                wasmtime::bail!("the engine kept writing past the output cap of {cap} bytes");
            }
            return Ok(Err(self.hit(LimitHit::Output { cap })));
        }
        let sink = self.sink_file(&this)?;
        if let Err(err) = sink.file.as_file().write_all_at(&data, sink.size) {
            return Ok(Err(format!("writing the sink: {err}")));
        }
        sink.size += len;
        self.output_written = total;
        Ok(Ok(()))
    }

    fn patch(
        &mut self,
        this: Resource<SinkHandle>,
        offset: u64,
        data: Vec<u8>,
    ) -> wasmtime::Result<Result<(), String>> {
        let sink = self.sink_file(&this)?;
        let in_range = offset
            .checked_add(data.len() as u64)
            .is_some_and(|end| end <= sink.size);
        if !in_range {
            let size = sink.size;
            return Ok(Err(format!(
                "patch of {} bytes at {offset} is past the size {size}",
                data.len()
            )));
        }
        Ok(sink
            .file
            .as_file()
            .write_all_at(&data, offset)
            .map_err(|err| format!("patching the sink: {err}")))
    }

    fn size(&mut self, this: Resource<SinkHandle>) -> wasmtime::Result<u64> {
        Ok(self.sink_file(&this)?.size)
    }

    fn drop(&mut self, this: Resource<SinkHandle>) -> wasmtime::Result<()> {
        // The file stays: dropping the handle does not unpublish it.
        self.table.delete(this)?;
        self.release_handle();
        Ok(())
    }
}

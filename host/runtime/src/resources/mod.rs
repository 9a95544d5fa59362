//! Host resources and free functions of the `convertor:engine/host` interface.

pub mod asset;
pub mod compressor;
pub mod hasher;
pub mod lowers;
pub mod scratch;
pub mod sink;
pub mod source;

use std::fs::File;
use std::os::unix::fs::FileExt;

use wasmtime::component::Resource;

use crate::bindings::convertor::engine::host::{self, LogLevel};
use crate::error::LimitHit;
use crate::state::HostState;

/// Largest `len` one read call may ask for; bigger requests would make the host allocate on the
/// guest's behalf beyond its memory limit.
pub const MAX_READ: u32 = 16 << 20;

/// Reads up to `len` bytes at `offset`, fewer only at the end of the file.
pub(crate) fn read_file_at(file: &File, offset: u64, len: u32) -> Result<Vec<u8>, String> {
    read_full(len, offset, |at, buf| file.read_at(buf, at))
}

/// Fills a buffer of `len` bytes through `read`, short only at the end of the data.
pub(crate) fn read_full(
    len: u32,
    offset: u64,
    mut read: impl FnMut(u64, &mut [u8]) -> std::io::Result<usize>,
) -> Result<Vec<u8>, String> {
    if len > MAX_READ {
        return Err(format!(
            "a read may ask for at most {MAX_READ} bytes, not {len}"
        ));
    }
    let mut buf = vec![0u8; len as usize];
    let mut filled = 0;
    while filled < buf.len() {
        let at = offset
            .checked_add(filled as u64)
            .ok_or_else(|| "read offset overflows".to_string())?;
        match read(at, &mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err.to_string()),
        }
    }
    buf.truncate(filled);
    Ok(buf)
}

/// The `types` interface has no functions; bindgen still wants it implemented.
impl crate::bindings::convertor::engine::types::Host for HostState {}

impl host::Host for HostState {
    fn create_scratch(&mut self) -> wasmtime::Result<Result<Resource<scratch::Scratch>, String>> {
        if self.scratch_files >= self.config.max_scratch_files {
            let max = self.config.max_scratch_files;
            return Ok(Err(self.hit(LimitHit::Resource(format!(
                "more than {max} scratch files"
            )))));
        }
        let Some(dir) = &self.work_dir else {
            return Ok(Err("this call has no work directory".into()));
        };
        let file = match tempfile::tempfile_in(dir) {
            Ok(file) => file,
            Err(err) => return Ok(Err(format!("creating a scratch file: {err}"))),
        };
        if let Err(msg) = self.take_handle() {
            return Ok(Err(msg));
        }
        self.scratch_files += 1;
        Ok(Ok(self.table.push(scratch::Scratch::new(file))?))
    }

    fn create_sink(
        &mut self,
        name: String,
    ) -> wasmtime::Result<Result<Resource<sink::SinkHandle>, String>> {
        Ok(sink::create(self, name))
    }

    fn open_asset(
        &mut self,
        name: String,
    ) -> wasmtime::Result<Result<Resource<asset::Asset>, String>> {
        Ok(asset::open(self, name))
    }

    fn limits(&mut self) -> wasmtime::Result<host::SandboxLimits> {
        let config = &self.config;
        Ok(host::SandboxLimits {
            memory_bytes: config.memory_limit_bytes as u64,
            deadline_ms: u64::try_from(config.layer_deadline.as_millis()).unwrap_or(u64::MAX),
            output_cap_bytes: self.output_cap,
            max_read: MAX_READ,
        })
    }

    fn log(&mut self, level: LogLevel, message: String) -> wasmtime::Result<()> {
        if let Some(log) = &self.log {
            log(level, &message);
        }
        Ok(())
    }

    fn progress(&mut self, done: u64) -> wasmtime::Result<()> {
        if let Some(progress) = &self.progress {
            progress(done);
        }
        Ok(())
    }
}

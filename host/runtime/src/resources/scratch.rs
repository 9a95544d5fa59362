//! `scratch`: a sparse temp file private to one conversion.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;

use wasmtime::component::Resource;

use crate::bindings::convertor::engine::host::HostScratch;
use crate::resources::read_file_at;
use crate::state::HostState;

pub struct Scratch {
    file: File,
    size: u64,
}

impl Scratch {
    pub(crate) fn new(file: File) -> Self {
        Self { file, size: 0 }
    }

    fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), String> {
        let end = offset
            .checked_add(data.len() as u64)
            .ok_or_else(|| "write offset overflows".to_string())?;
        self.file
            .write_all_at(data, offset)
            .map_err(|e| e.to_string())?;
        self.size = self.size.max(end);
        Ok(())
    }

    fn punch(&mut self, offset: u64, len: u64) -> Result<(), String> {
        let end = offset
            .checked_add(len)
            .ok_or_else(|| "punch range overflows".to_string())?;
        // Holes past the end would grow the file; only the written part needs zeroing.
        let end = end.min(self.size);
        if offset >= end {
            return Ok(());
        }
        let (Ok(start), Ok(count)) = (i64::try_from(offset), i64::try_from(end - offset)) else {
            return Err("punch range is too large".into());
        };
        // SAFETY: fallocate only reads its integer arguments and acts on our own descriptor.
        let rc = unsafe {
            libc::fallocate(
                self.file.as_raw_fd(),
                libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
                start,
                count,
            )
        };
        if rc == 0 {
            return Ok(());
        }
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EOPNOTSUPP) {
            return Err(format!("punching a hole: {err}"));
        }
        // Filesystems without hole punching still get the zeros the interface promises.
        let zeros = vec![0u8; 1 << 20];
        let mut at = offset;
        while at < end {
            let n = (end - at).min(zeros.len() as u64) as usize;
            self.file
                .write_all_at(&zeros[..n], at)
                .map_err(|e| e.to_string())?;
            at += n as u64;
        }
        Ok(())
    }

    fn set_size(&mut self, size: u64) -> Result<(), String> {
        self.file.set_len(size).map_err(|e| e.to_string())?;
        self.size = size;
        Ok(())
    }
}

impl HostScratch for HostState {
    fn size(&mut self, this: Resource<Scratch>) -> wasmtime::Result<u64> {
        Ok(self.table.get(&this)?.size)
    }

    fn read(
        &mut self,
        this: Resource<Scratch>,
        offset: u64,
        len: u32,
    ) -> wasmtime::Result<Result<Vec<u8>, String>> {
        let scratch = self.table.get(&this)?;
        let in_range = offset
            .checked_add(u64::from(len))
            .is_some_and(|end| end <= scratch.size);
        if !in_range {
            return Ok(Err(format!(
                "read of {len} bytes at {offset} is past the size {}",
                scratch.size
            )));
        }
        Ok(read_file_at(&scratch.file, offset, len))
    }

    fn write(
        &mut self,
        this: Resource<Scratch>,
        offset: u64,
        data: Vec<u8>,
    ) -> wasmtime::Result<Result<(), String>> {
        Ok(self.table.get_mut(&this)?.write(offset, &data))
    }

    fn punch(
        &mut self,
        this: Resource<Scratch>,
        offset: u64,
        len: u64,
    ) -> wasmtime::Result<Result<(), String>> {
        Ok(self.table.get_mut(&this)?.punch(offset, len))
    }

    fn set_size(
        &mut self,
        this: Resource<Scratch>,
        size: u64,
    ) -> wasmtime::Result<Result<(), String>> {
        Ok(self.table.get_mut(&this)?.set_size(size))
    }

    fn drop(&mut self, this: Resource<Scratch>) -> wasmtime::Result<()> {
        self.table.delete(this)?;
        self.release_handle();
        Ok(())
    }
}

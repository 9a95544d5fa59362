//! `lower-blob` from `open-asset`: a read-only file the user supplied by name.

use std::fs::File;
use wasmtime::component::Resource;

use crate::bindings::convertor::engine::host::HostLowerBlob;
use crate::resources::read_file_at;
use crate::state::HostState;

pub struct Asset {
    file: File,
    size: u64,
}

pub(crate) fn open(state: &mut HostState, name: String) -> Result<Resource<Asset>, String> {
    let Some(path) = state.assets.get(&name) else {
        return Err(format!("there is no asset named {name:?}"));
    };
    let file = File::open(path).map_err(|err| format!("opening asset {name:?}: {err}"))?;
    let size = file
        .metadata()
        .map_err(|err| format!("opening asset {name:?}: {err}"))?
        .len();
    state.take_handle()?;
    state
        .table
        .push(Asset { file, size })
        .map_err(|err| err.to_string())
}

impl HostLowerBlob for HostState {
    fn size(&mut self, this: Resource<Asset>) -> wasmtime::Result<u64> {
        Ok(self.table.get(&this)?.size)
    }

    fn read(
        &mut self,
        this: Resource<Asset>,
        offset: u64,
        len: u32,
    ) -> wasmtime::Result<Result<Vec<u8>, String>> {
        Ok(read_file_at(&self.table.get(&this)?.file, offset, len))
    }

    fn drop(&mut self, this: Resource<Asset>) -> wasmtime::Result<()> {
        self.table.delete(this)?;
        self.release_handle();
        Ok(())
    }
}

//! `source-layer`: the blob being converted, read front to back.

use std::io::Read;

use wasmtime::component::Resource;

use crate::bindings::convertor::engine::host::HostSourceLayer;
use crate::bindings::convertor::engine::types::LayerInfo;
use crate::resources::MAX_READ;
use crate::state::HostState;

pub struct SourceLayer {
    reader: Box<dyn Read + Send>,
    info: LayerInfo,
    done: u64,
}

impl SourceLayer {
    pub(crate) fn new(reader: Box<dyn Read + Send>, info: LayerInfo) -> Self {
        Self {
            reader,
            info,
            done: 0,
        }
    }
}

impl HostSourceLayer for HostState {
    fn info(&mut self, this: Resource<SourceLayer>) -> wasmtime::Result<LayerInfo> {
        Ok(self.table.get(&this)?.info.clone())
    }

    fn read(
        &mut self,
        this: Resource<SourceLayer>,
        max: u32,
    ) -> wasmtime::Result<Result<Vec<u8>, String>> {
        let source = self.table.get_mut(&this)?;
        let mut buf = vec![0u8; max.min(MAX_READ) as usize];
        let n = loop {
            match source.reader.read(&mut buf) {
                Ok(n) => break n,
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                Err(err) => return Ok(Err(format!("reading the source layer: {err}"))),
            }
        };
        buf.truncate(n);
        source.done += n as u64;
        // A source longer than its descriptor says would let an engine dodge the output cap.
        if source.done > source.info.size {
            let size = source.info.size;
            return Ok(Err(format!(
                "the source layer is longer than its size of {size} bytes"
            )));
        }
        Ok(Ok(buf))
    }

    fn drop(&mut self, this: Resource<SourceLayer>) -> wasmtime::Result<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

//! `source-layer`: the blob being converted, read front to back, and its uncompressed tar.

use std::io::Read;

use wasmtime::component::Resource;

use crate::bindings::convertor::engine::host::HostSourceLayer;
use crate::bindings::convertor::engine::types::LayerInfo;
use crate::resources::MAX_READ;
use crate::state::HostState;

/// Opens the uncompressed tar of the source layer, the first time an engine asks for it.
pub type TarOpener = Box<dyn FnOnce() -> std::io::Result<Box<dyn Read + Send>> + Send>;

/// What an engine can read of its source layer: the blob as published and, through
/// `read-tar`, its uncompressed tar.
pub struct SourceStreams {
    pub blob: Box<dyn Read + Send>,
    /// Opens the tar stream; without it the host decodes `blob` itself, which then serves
    /// only one of the two streams.
    pub tar: Option<TarOpener>,
}

impl<R: Read + Send + 'static> From<R> for SourceStreams {
    fn from(blob: R) -> Self {
        SourceStreams {
            blob: Box::new(blob),
            tar: None,
        }
    }
}

enum Tar {
    Unopened(Option<TarOpener>),
    Open(Box<dyn Read + Send>),
    Failed(String),
}

pub struct SourceLayer {
    blob: Option<Box<dyn Read + Send>>,
    tar: Tar,
    info: LayerInfo,
    done: u64,
}

impl SourceLayer {
    pub(crate) fn new(streams: SourceStreams, info: LayerInfo) -> Self {
        Self {
            blob: Some(streams.blob),
            tar: Tar::Unopened(streams.tar),
            info,
            done: 0,
        }
    }

    fn tar(&mut self) -> Result<&mut Box<dyn Read + Send>, String> {
        if let Tar::Unopened(opener) = &mut self.tar {
            let opened = match opener.take() {
                Some(open) => open(),
                None if self.done == 0 => match self.blob.take() {
                    Some(blob) => tarstream::compression::decompress(blob)
                        .map(|tar| Box::new(tar) as Box<dyn Read + Send>),
                    None => Err(std::io::Error::other("the source layer is gone")),
                },
                None => Err(std::io::Error::other(
                    "the source layer's blob was read already, so its tar is not available",
                )),
            };
            self.tar = match opened {
                Ok(r) => Tar::Open(r),
                Err(err) => Tar::Failed(format!("decompressing the source layer: {err}")),
            };
        }
        match &mut self.tar {
            Tar::Open(r) => Ok(r),
            Tar::Failed(msg) => Err(msg.clone()),
            Tar::Unopened(_) => Err("the source layer's tar did not open".into()),
        }
    }
}

/// One read of at most `max` bytes (fewer only at the end).
fn read_some(r: &mut dyn Read, max: u32) -> Result<Vec<u8>, std::io::Error> {
    let mut buf = vec![0u8; max.min(MAX_READ) as usize];
    let n = loop {
        match r.read(&mut buf) {
            Ok(n) => break n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    };
    buf.truncate(n);
    Ok(buf)
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
        let Some(blob) = source.blob.as_mut() else {
            return Ok(Err(
                "the source layer's tar was read, so its blob is not available".into(),
            ));
        };
        let buf = match read_some(blob, max) {
            Ok(buf) => buf,
            Err(err) => return Ok(Err(format!("reading the source layer: {err}"))),
        };
        source.done += buf.len() as u64;
        // A source longer than its descriptor says would let an engine dodge the output cap.
        if source.done > source.info.size {
            let size = source.info.size;
            return Ok(Err(format!(
                "the source layer is longer than its size of {size} bytes"
            )));
        }
        Ok(Ok(buf))
    }

    fn read_tar(
        &mut self,
        this: Resource<SourceLayer>,
        max: u32,
    ) -> wasmtime::Result<Result<Vec<u8>, String>> {
        let source = self.table.get_mut(&this)?;
        let tar = match source.tar() {
            Ok(tar) => tar,
            Err(msg) => return Ok(Err(msg)),
        };
        Ok(read_some(tar, max).map_err(|err| format!("decompressing the source layer: {err}")))
    }

    fn drop(&mut self, this: Resource<SourceLayer>) -> wasmtime::Result<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

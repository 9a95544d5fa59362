//! `lower-layers`: the converted layers below the current one, served by the caller.

use std::io;
use std::sync::Arc;

use wasmtime::component::Resource;

use crate::bindings::convertor::engine::host::HostLowerLayers;
use crate::bindings::convertor::engine::types::LayerInfo;
use crate::resources::read_full;
use crate::state::HostState;

/// The layers below the one being converted, bottom first, as the caller knows them.
pub trait LowerLayers: Send {
    fn count(&self) -> u32;
    /// The published descriptor of lower `index`; `None` when out of range.
    fn info(&self, index: u32) -> Option<LayerInfo>;
    /// The source descriptor lower `index` was converted from; `None` when out of range.
    fn source_info(&self, index: u32) -> Option<LayerInfo>;
    /// Reads the published blob at `offset`; returns fewer bytes than `buf` holds only at its end.
    fn read(&self, index: u32, offset: u64, buf: &mut [u8]) -> io::Result<usize>;
    /// Reads the source blob at `offset`, like `read`.
    fn read_source(&self, index: u32, offset: u64, buf: &mut [u8]) -> io::Result<usize>;
}

/// No layers below: the bottom layer of an image.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoLowers;

impl LowerLayers for NoLowers {
    fn count(&self) -> u32 {
        0
    }
    fn info(&self, _index: u32) -> Option<LayerInfo> {
        None
    }
    fn source_info(&self, _index: u32) -> Option<LayerInfo> {
        None
    }
    fn read(&self, index: u32, _offset: u64, _buf: &mut [u8]) -> io::Result<usize> {
        Err(out_of_range(index))
    }
    fn read_source(&self, index: u32, _offset: u64, _buf: &mut [u8]) -> io::Result<usize> {
        Err(out_of_range(index))
    }
}

impl<T: LowerLayers + Sync + ?Sized> LowerLayers for Arc<T> {
    fn count(&self) -> u32 {
        (**self).count()
    }
    fn info(&self, index: u32) -> Option<LayerInfo> {
        (**self).info(index)
    }
    fn source_info(&self, index: u32) -> Option<LayerInfo> {
        (**self).source_info(index)
    }
    fn read(&self, index: u32, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        (**self).read(index, offset, buf)
    }
    fn read_source(&self, index: u32, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        (**self).read_source(index, offset, buf)
    }
}

fn out_of_range(index: u32) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("there is no lower layer {index}"),
    )
}

pub struct LowerLayersRes(Box<dyn LowerLayers>);

impl LowerLayersRes {
    pub(crate) fn new(lowers: Box<dyn LowerLayers>) -> Self {
        Self(lowers)
    }
}

impl HostLowerLayers for HostState {
    fn count(&mut self, this: Resource<LowerLayersRes>) -> wasmtime::Result<u32> {
        Ok(self.table.get(&this)?.0.count())
    }

    fn info(&mut self, this: Resource<LowerLayersRes>, index: u32) -> wasmtime::Result<LayerInfo> {
        let lowers = self.table.get(&this)?;
        lowers.0.info(index).ok_or_else(|| {
            wasmtime::format_err!(
                "the engine asked for lower layer {index} of {}",
                lowers.0.count()
            )
        })
    }

    fn source_info(
        &mut self,
        this: Resource<LowerLayersRes>,
        index: u32,
    ) -> wasmtime::Result<LayerInfo> {
        let lowers = self.table.get(&this)?;
        lowers.0.source_info(index).ok_or_else(|| {
            wasmtime::format_err!(
                "the engine asked for lower layer {index} of {}",
                lowers.0.count()
            )
        })
    }

    fn read(
        &mut self,
        this: Resource<LowerLayersRes>,
        index: u32,
        offset: u64,
        len: u32,
    ) -> wasmtime::Result<Result<Vec<u8>, String>> {
        let lowers = &self.table.get(&this)?.0;
        Ok(read_full(len, offset, |at, buf| {
            lowers.read(index, at, buf)
        }))
    }

    fn read_source(
        &mut self,
        this: Resource<LowerLayersRes>,
        index: u32,
        offset: u64,
        len: u32,
    ) -> wasmtime::Result<Result<Vec<u8>, String>> {
        let lowers = &self.table.get(&this)?.0;
        Ok(read_full(len, offset, |at, buf| {
            lowers.read_source(index, at, buf)
        }))
    }

    fn drop(&mut self, this: Resource<LowerLayersRes>) -> wasmtime::Result<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

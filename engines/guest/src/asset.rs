//! `open-asset` as a `ReadAt`.

use std::io;

use blockio::ReadAt;

use crate::host::{self, LowerBlob};
use crate::{EngineError, HostFaults, MAX_CALL};

/// A read-only file the user supplied by name.
pub struct AssetFile {
    blob: LowerBlob,
    name: String,
    size: u64,
    faults: HostFaults,
}

impl AssetFile {
    /// Opens asset `name`; a missing asset is `engine-error::io` with the host's message.
    pub fn open(name: &str, faults: &HostFaults) -> Result<Self, EngineError> {
        let blob = host::open_asset(name)
            .map_err(|msg| EngineError::Io(format!("opening asset {name:?}: {msg}")))?;
        let size = blob.size();
        Ok(Self {
            blob,
            name: name.to_string(),
            size,
            faults: faults.clone(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl ReadAt for AssetFile {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.size.saturating_sub(offset);
        let len = buf
            .len()
            .min(MAX_CALL)
            .min(usize::try_from(left).unwrap_or(MAX_CALL));
        if len == 0 {
            return Ok(0);
        }
        let got = self.blob.read(offset, len as u32).map_err(|msg| {
            self.faults
                .record(&format!("reading asset {:?}", self.name), msg)
        })?;
        let n = got.len().min(len);
        buf[..n].copy_from_slice(&got[..n]);
        Ok(n)
    }
}

//! `lower-layers` as one `ReadAt` per blob.
//!
//! The host lends the handle for the duration of `convert-layer`, but the layer stack of the
//! format libraries wants owned, `'static` readers. [`with_lowers`] makes an owned alias of the
//! borrowed handle that is never dropped through (the host ends the borrow itself) and is
//! revoked when the closure returns, so a reader that escapes the call fails instead of using
//! a dead handle.

use std::io;
use std::mem::ManuallyDrop;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use blockio::ReadAt;

use crate::{HostFaults, LayerInfo, LowerLayers, MAX_CALL};

struct Lent {
    handle: ManuallyDrop<LowerLayers>,
    live: AtomicBool,
}

impl Lent {
    fn get(&self) -> Option<&LowerLayers> {
        self.live.load(Ordering::SeqCst).then_some(&*self.handle)
    }
}

/// Runs `f` with owned access to the lower layers lent for this call.
pub fn with_lowers<R>(
    lowers: &LowerLayers,
    faults: &HostFaults,
    f: impl FnOnce(&LentLowers) -> R,
) -> R {
    // SAFETY: the alias is wrapped in ManuallyDrop, so it never drops the borrowed handle,
    // and `live` is cleared before the borrow ends, so no call is made through it afterwards.
    let handle = unsafe { LowerLayers::from_handle(lowers.handle()) };
    let lent = Arc::new(Lent {
        handle: ManuallyDrop::new(handle),
        live: AtomicBool::new(true),
    });
    let out = f(&LentLowers {
        lent: lent.clone(),
        faults: faults.clone(),
    });
    lent.live.store(false, Ordering::SeqCst);
    out
}

/// The converted layers below the current one, bottom first.
#[derive(Clone)]
pub struct LentLowers {
    lent: Arc<Lent>,
    faults: HostFaults,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    Published,
    Source,
}

impl LentLowers {
    pub fn count(&self) -> u32 {
        self.lent.get().map_or(0, |l| l.count())
    }

    /// The published descriptor of lower `index`.
    pub fn info(&self, index: u32) -> Option<LayerInfo> {
        let lowers = self.lent.get()?;
        (index < lowers.count()).then(|| lowers.info(index))
    }

    /// The source descriptor lower `index` was converted from.
    pub fn source_info(&self, index: u32) -> Option<LayerInfo> {
        let lowers = self.lent.get()?;
        (index < lowers.count()).then(|| lowers.source_info(index))
    }

    /// Lower `index`'s blob as published.
    pub fn published(&self, index: u32) -> Option<LowerBlob> {
        let size = self.info(index)?.size;
        Some(self.blob(index, Which::Published, size))
    }

    /// The source blob lower `index` was converted from (TurboOCI layers point into it).
    pub fn source(&self, index: u32) -> Option<LowerBlob> {
        let size = self.source_info(index)?.size;
        Some(self.blob(index, Which::Source, size))
    }

    fn blob(&self, index: u32, which: Which, size: u64) -> LowerBlob {
        LowerBlob {
            lent: self.lent.clone(),
            faults: self.faults.clone(),
            index,
            which,
            size,
        }
    }
}

/// One blob of a lower layer; its size is the descriptor's.
pub struct LowerBlob {
    lent: Arc<Lent>,
    faults: HostFaults,
    index: u32,
    which: Which,
    size: u64,
}

impl LowerBlob {
    fn what(&self) -> String {
        match self.which {
            Which::Published => format!("reading lower layer {}", self.index),
            Which::Source => format!("reading the source of lower layer {}", self.index),
        }
    }
}

impl ReadAt for LowerBlob {
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
        let Some(lowers) = self.lent.get() else {
            return Err(self.faults.record(
                &self.what(),
                "the lower layers were used after their call ended".into(),
            ));
        };
        let got = match self.which {
            Which::Published => lowers.read(self.index, offset, len as u32),
            Which::Source => lowers.read_source(self.index, offset, len as u32),
        }
        .map_err(|msg| self.faults.record(&self.what(), msg))?;
        let n = got.len().min(len);
        buf[..n].copy_from_slice(&got[..n]);
        Ok(n)
    }
}

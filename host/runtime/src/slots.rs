//! A counting semaphore bounding the engine instances that run at once.

use std::sync::{Condvar, Mutex, PoisonError};

pub(crate) struct Slots {
    /// 0 is unlimited.
    max: usize,
    busy: Mutex<usize>,
    freed: Condvar,
}

/// A taken slot, given back on drop.
pub(crate) struct Slot<'a>(&'a Slots);

impl Slots {
    pub fn new(max: usize) -> Self {
        Self {
            max,
            busy: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    /// Waits for a free slot (counted even when unlimited, for `busy`).
    pub fn take(&self) -> Slot<'_> {
        let mut busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        while self.max != 0 && *busy >= self.max {
            busy = self
                .freed
                .wait(busy)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *busy += 1;
        Slot(self)
    }

    /// Slots taken right now.
    pub fn busy(&self) -> usize {
        *self.busy.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut busy = self.0.busy.lock().unwrap_or_else(PoisonError::into_inner);
        *busy -= 1;
        self.0.freed.notify_one();
    }
}

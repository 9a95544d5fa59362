//! SIGINT/SIGTERM as a request to stop cleanly: a registry run installs the handler, its loops
//! and transfers poll [`requested`] and unwind (cancelling upload sessions, writing no tag),
//! and the process exits with 128 + the signal number. A second signal exits at once.

use std::sync::atomic::{AtomicI32, Ordering};

static SIGNAL: AtomicI32 = AtomicI32::new(0);

/// A stop was requested by a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("interrupted by signal {0}")]
pub struct Interrupted(pub i32);

extern "C" fn on_signal(sig: libc::c_int) {
    if SIGNAL.swap(sig, Ordering::SeqCst) != 0 {
        // SAFETY: `_exit` is async-signal-safe.
        unsafe { libc::_exit(128 + sig) };
    }
}

/// Routes SIGINT and SIGTERM to the stop flag instead of killing the process.
pub fn install() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only touches an atomic and calls `_exit`.
        unsafe { libc::signal(sig, handler) };
    }
}

/// The signal that asked to stop, if any.
pub fn requested() -> Option<Interrupted> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        s => Some(Interrupted(s)),
    }
}

/// `Err` once a stop was requested.
pub fn check() -> Result<(), Interrupted> {
    requested().map_or(Ok(()), Err)
}

/// The exit status of a run stopped by a signal (130 for SIGINT).
pub fn exit_status() -> Option<u8> {
    requested().and_then(|Interrupted(s)| u8::try_from(128 + s).ok())
}

/// A reader that fails once a stop was requested, so a transfer in flight ends promptly.
pub struct Interruptible<R>(pub R);

impl<R: std::io::Read> std::io::Read for Interruptible<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(i) = requested() {
            return Err(std::io::Error::other(i));
        }
        self.0.read(buf)
    }
}

//! Minimal safe wrapper over the zlib C API of `libz-rs-sys`; the only module with `unsafe`.
//!
//! The C API is used instead of a streaming crate because upstream's checkpoint rule is defined
//! by `inflate(Z_BLOCK)` stops and `data_type`, and its reader needs `inflatePrime`.

use crate::error::{Error, Result};
use libz_rs_sys as z;
use std::ffi::{CStr, c_int};

/// `windowBits` for gzip-or-zlib auto-detection, as upstream's `inflateInit2(47)`.
pub(crate) const AUTO_HEADER: c_int = 47;
/// `windowBits` for raw deflate, used when resuming at a checkpoint.
pub(crate) const RAW: c_int = -15;
/// `windowBits` for zlib-wrapped streams (index windows and entry table).
pub(crate) const ZLIB: c_int = 15;

/// `data_type` bit: inflate stopped at a block boundary (or right after the header).
pub(crate) const AT_BOUNDARY: c_int = 128;
/// `data_type` bit: the block just finished (or being decoded) is the final one.
pub(crate) const LAST_BLOCK: c_int = 64;
/// `data_type` bits holding the number of unused bits in zlib-rs's bit buffer.
pub(crate) const UNUSED_BITS: c_int = 63;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flush {
    None,
    Block,
}

/// Outcome of one `inflate` call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Step {
    pub consumed: usize,
    pub produced: usize,
    pub stream_end: bool,
    pub data_type: c_int,
}

/// A zlib failure code with zlib's message, mapped to [`Error`] by the caller who knows the context.
#[derive(Debug)]
pub(crate) struct Failure {
    pub code: c_int,
    pub msg: String,
}

impl Failure {
    pub fn is_data_error(&self) -> bool {
        self.code == z::Z_DATA_ERROR || self.code == z::Z_NEED_DICT
    }

    /// Maps to [`Error::Corrupt`] (data errors) or the matching resource error.
    pub fn into_error(self, offset: u64) -> Error {
        match self.code {
            z::Z_MEM_ERROR => Error::OutOfMemory,
            z::Z_DATA_ERROR | z::Z_NEED_DICT => Error::Corrupt {
                offset,
                msg: self.msg,
            },
            code => Error::Zlib(code),
        }
    }
}

fn stream_size() -> c_int {
    std::mem::size_of::<z::z_stream>() as c_int
}

fn message(strm: &z::z_stream, code: c_int) -> String {
    if strm.msg.is_null() {
        return format!("zlib code {code}");
    }
    // SAFETY: zlib-rs sets `msg` to a static NUL-terminated string or leaves it null.
    unsafe { CStr::from_ptr(strm.msg) }
        .to_string_lossy()
        .into_owned()
}

/// An initialised inflate stream. Boxed because zlib state must not move after init.
pub(crate) struct Inflater {
    strm: Box<z::z_stream>,
}

// SAFETY: the stream owns its state exclusively and holds no pointers into caller buffers
// between calls (`inflate` clears next_in/next_out before returning).
unsafe impl Send for Inflater {}

impl Inflater {
    pub fn new(window_bits: c_int) -> Result<Self> {
        let mut strm = Box::new(z::z_stream::default());
        // SAFETY: `strm` is a default-initialised stream with the Rust allocator configured.
        let rc =
            unsafe { z::inflateInit2_(&mut *strm, window_bits, z::zlibVersion(), stream_size()) };
        match rc {
            z::Z_OK => Ok(Self { strm }),
            z::Z_MEM_ERROR => Err(Error::OutOfMemory),
            code => Err(Error::Zlib(code)),
        }
    }

    /// Feeds `bits` (1..=16) low bits of `value` ahead of the next input byte.
    pub fn prime(&mut self, bits: u8, value: u8) -> Result<()> {
        // SAFETY: the stream was initialised in `new`.
        let rc = unsafe { z::inflatePrime(&mut *self.strm, c_int::from(bits), c_int::from(value)) };
        if rc == z::Z_OK {
            Ok(())
        } else {
            Err(Error::Zlib(rc))
        }
    }

    /// Sets the 32 KiB history a raw stream resumes with.
    pub fn set_dictionary(&mut self, dict: &[u8]) -> Result<()> {
        let len = u32::try_from(dict.len()).map_err(|_| Error::Zlib(z::Z_STREAM_ERROR))?;
        // SAFETY: `dict` is valid for `len` bytes during the call; zlib copies it.
        let rc = unsafe { z::inflateSetDictionary(&mut *self.strm, dict.as_ptr(), len) };
        if rc == z::Z_OK {
            Ok(())
        } else {
            Err(Error::Zlib(rc))
        }
    }

    /// One `inflate` call over `input` into `output`. Z_BUF_ERROR (no progress) is not an error:
    /// it shows up as a step that consumed and produced nothing.
    pub fn inflate(
        &mut self,
        input: &[u8],
        output: &mut [u8],
        flush: Flush,
    ) -> std::result::Result<Step, Failure> {
        let avail_in = u32::try_from(input.len()).unwrap_or(u32::MAX);
        let avail_out = u32::try_from(output.len()).unwrap_or(u32::MAX);
        let strm = &mut *self.strm;
        strm.next_in = input.as_ptr();
        strm.avail_in = avail_in;
        strm.next_out = output.as_mut_ptr();
        strm.avail_out = avail_out;
        let flush = match flush {
            Flush::None => z::Z_NO_FLUSH,
            Flush::Block => z::Z_BLOCK,
        };
        // SAFETY: next_in/next_out describe live slices of the given lengths for this call.
        let rc = unsafe { z::inflate(strm, flush) };
        let consumed = (avail_in - strm.avail_in) as usize;
        let produced = (avail_out - strm.avail_out) as usize;
        strm.next_in = std::ptr::null();
        strm.avail_in = 0;
        strm.next_out = std::ptr::null_mut();
        strm.avail_out = 0;
        match rc {
            z::Z_OK | z::Z_BUF_ERROR | z::Z_STREAM_END => Ok(Step {
                consumed,
                produced,
                stream_end: rc == z::Z_STREAM_END,
                data_type: strm.data_type,
            }),
            code => Err(Failure {
                code,
                msg: message(strm, code),
            }),
        }
    }
}

impl Drop for Inflater {
    fn drop(&mut self) {
        // SAFETY: the stream was initialised in `new` and is ended exactly once.
        unsafe { z::inflateEnd(&mut *self.strm) };
    }
}

/// Decodes one zlib stream that must expand to exactly `len` bytes; bytes after the stream's
/// end are ignored, as upstream's reader does. `None` if it is corrupt, shorter or longer.
pub(crate) fn zlib_decompress_exact(data: &[u8], len: usize) -> Result<Option<Vec<u8>>> {
    let mut inf = Inflater::new(ZLIB)?;
    let mut out = vec![0u8; len];
    let (mut inp, mut outp) = (0usize, 0usize);
    loop {
        let (Some(input), Some(output)) = (data.get(inp..), out.get_mut(outp..)) else {
            return Ok(None);
        };
        let step = match inf.inflate(input, output, Flush::None) {
            Ok(step) => step,
            Err(f) if f.is_data_error() => return Ok(None),
            Err(f) => return Err(f.into_error(0)),
        };
        inp += step.consumed;
        outp += step.produced;
        if step.stream_end {
            return Ok((outp == len).then_some(out));
        }
        if step.consumed == 0 && step.produced == 0 {
            return Ok(None);
        }
    }
}

/// Compresses `data` as one complete zlib stream (`deflateInit(level)` + `Z_FINISH`).
pub(crate) fn zlib_compress(level: i32, data: &[u8]) -> Result<Vec<u8>> {
    let avail_in = u32::try_from(data.len()).map_err(|_| Error::Zlib(z::Z_STREAM_ERROR))?;
    let mut strm = Box::new(z::z_stream::default());
    // SAFETY: default-initialised stream with the Rust allocator configured.
    let rc = unsafe { z::deflateInit_(&mut *strm, level, z::zlibVersion(), stream_size()) };
    match rc {
        z::Z_OK => {}
        z::Z_MEM_ERROR => return Err(Error::OutOfMemory),
        code => return Err(Error::Zlib(code)),
    }
    // SAFETY: the stream is initialised.
    let bound = unsafe { z::deflateBound(&mut *strm, avail_in.into()) } as usize;
    let mut out = vec![0u8; bound];
    let avail_out = u32::try_from(out.len()).unwrap_or(u32::MAX);
    strm.next_in = data.as_ptr();
    strm.avail_in = avail_in;
    strm.next_out = out.as_mut_ptr();
    strm.avail_out = avail_out;
    // SAFETY: next_in/next_out describe live slices; deflateBound guarantees one call suffices.
    let rc = unsafe { z::deflate(&mut *strm, z::Z_FINISH) };
    let written = (avail_out - strm.avail_out) as usize;
    // SAFETY: initialised above, ended once.
    unsafe { z::deflateEnd(&mut *strm) };
    match rc {
        z::Z_STREAM_END => {
            out.truncate(written);
            Ok(out)
        }
        z::Z_MEM_ERROR => Err(Error::OutOfMemory),
        code => Err(Error::Zlib(code)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zlib_round_trip_and_exact_length() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let packed = zlib_compress(6, &data).unwrap();
        assert!(packed.len() < data.len() / 10);
        assert_eq!(
            zlib_decompress_exact(&packed, data.len()).unwrap(),
            Some(data.clone())
        );
        assert_eq!(
            zlib_decompress_exact(&packed, data.len() - 1).unwrap(),
            None
        );
        assert_eq!(
            zlib_decompress_exact(&packed, data.len() + 1).unwrap(),
            None
        );
        assert_eq!(
            zlib_decompress_exact(&packed[..packed.len() - 3], data.len()).unwrap(),
            None
        );
    }
}

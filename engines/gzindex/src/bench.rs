//! Throughput helpers for benchmarks: the index pass against a plain inflate of the same data.
//!
//! The caller supplies the clock so the library itself never reads time.

use crate::builder::IndexBuilder;
use crate::error::{Error, Result};
use crate::zlib::{AUTO_HEADER, Flush, Inflater};
use std::io::Read;
use std::time::Duration;

const OUT_CHUNK: usize = 256 * 1024;

/// Runs [`IndexBuilder`] over `gz`, reading through `Read` like a tar parser would; returns the
/// uncompressed size.
pub fn index_pass(gz: &[u8]) -> Result<u64> {
    let mut b = IndexBuilder::new(gz)?;
    let mut buf = vec![0u8; OUT_CHUNK];
    let mut total = 0u64;
    loop {
        let n = b.read(&mut buf)?;
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    let index = b.finish()?;
    Ok(total.max(index.uncompress_file_size))
}

/// Inflates the first member of `gz` with the same zlib and no checkpoint work.
pub fn plain_inflate(gz: &[u8]) -> Result<u64> {
    let mut inf = Inflater::new(AUTO_HEADER)?;
    let mut out = vec![0u8; OUT_CHUNK];
    let (mut pos, mut total) = (0usize, 0u64);
    loop {
        let input = gz.get(pos..).unwrap_or_default();
        let step = inf
            .inflate(input, &mut out, Flush::None)
            .map_err(|f| f.into_error(pos as u64))?;
        pos += step.consumed;
        total += step.produced as u64;
        if step.stream_end {
            return Ok(total);
        }
        if step.consumed == 0 && step.produced == 0 {
            return Err(Error::Truncated);
        }
    }
}

/// Throughput in MB/s (10^6 bytes) of uncompressed output.
#[derive(Debug, Clone, Copy)]
pub struct Throughput {
    pub uncompressed_bytes: u64,
    pub builder_mb_s: f64,
    pub plain_mb_s: f64,
}

/// Times [`index_pass`] and [`plain_inflate`] over `gz`, `reps` times each; `now` returns a
/// monotonic timestamp (e.g. `|| start.elapsed()`).
pub fn throughput(gz: &[u8], reps: u32, mut now: impl FnMut() -> Duration) -> Result<Throughput> {
    let reps = reps.max(1);
    let mut size = 0;
    let t0 = now();
    for _ in 0..reps {
        size = index_pass(gz)?;
    }
    let t1 = now();
    for _ in 0..reps {
        size = size.max(plain_inflate(gz)?);
    }
    let t2 = now();
    let mb = size as f64 * f64::from(reps) / 1e6;
    let rate = |d: Duration| mb / d.as_secs_f64().max(1e-9);
    Ok(Throughput {
        uncompressed_bytes: size,
        builder_mb_s: rate(t1.saturating_sub(t0)),
        plain_mb_s: rate(t2.saturating_sub(t1)),
    })
}

//! Exercises the benchmark helpers (figures are printed, never asserted).

mod common;

use gzindex::bench;
use std::time::Instant;

fn report(name: &str, gz: &[u8], expected_len: usize) {
    let start = Instant::now();
    let t = bench::throughput(gz, reps(), || start.elapsed()).unwrap();
    assert_eq!(t.uncompressed_bytes, expected_len as u64);
    assert!(t.builder_mb_s > 0.0 && t.plain_mb_s > 0.0);
    eprintln!(
        "{name}: {} bytes, IndexBuilder {:.0} MB/s, plain inflate {:.0} MB/s",
        t.uncompressed_bytes, t.builder_mb_s, t.plain_mb_s
    );
}

#[test]
fn throughput_helpers_count_the_whole_stream() {
    let data = common::mixed_data(8 << 20, 21);
    let gz = common::gzip(&data, 6);
    assert_eq!(bench::index_pass(&gz).unwrap(), data.len() as u64);
    assert_eq!(bench::plain_inflate(&gz).unwrap(), data.len() as u64);
    report("mixed 8 MiB level 6", &gz, data.len());
    if let Some(blob) = common::edge_layer_blob(0) {
        let len = common::gunzip_first_member(&blob).len();
        report("edge layer 0", &blob, len);
    }
}

/// Repetitions per measurement; `GZINDEX_BENCH_REPS` raises it for meaningful figures.
fn reps() -> u32 {
    std::env::var("GZINDEX_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

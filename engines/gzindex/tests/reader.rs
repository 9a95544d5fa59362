//! Positioned reads through the index against a full independent decompression.

mod common;

use blockio::ReadAt;
use common::Rng;
use gzindex::{GzIndex, GzIndexReader, IndexBuilder};
use std::io::Read;

/// Builds the index through `Read` in odd-sized chunks and returns it with the streamed bytes.
fn index_streaming(gz: &[u8], span: u32) -> (GzIndex, Vec<u8>) {
    let mut b = IndexBuilder::with_span(gz, span).unwrap();
    let mut data = Vec::new();
    let mut buf = vec![0u8; 7919];
    loop {
        let n = b.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buf[..n]);
    }
    (b.finish().unwrap(), data)
}

fn check_random_reads(gz: &[u8], expected: &[u8], index: GzIndex, reads: usize, seed: u64) {
    let reader = GzIndexReader::new(index, gz).unwrap();
    assert_eq!(reader.size(), expected.len() as u64);
    let mut r = Rng(seed);
    let mut buf = vec![0u8; 300_000];
    for _ in 0..reads {
        let off = r.below(expected.len() as u64 + 10);
        let len = match r.below(3) {
            0 => r.below(64),
            1 => r.below(8192),
            _ => r.below(buf.len() as u64),
        } as usize;
        let n = reader.read_at(off, &mut buf[..len]).unwrap();
        let start = (off as usize).min(expected.len());
        let want = &expected[start..(start + len).min(expected.len())];
        assert_eq!(n, want.len(), "length at {off}+{len}");
        assert!(buf[..n] == *want, "data at {off}+{len}");
    }
}

/// 1,000 random reads of a 4 MiB mixed payload compressed by flate2 at `level`.
fn random_reads_at_level(level: u32, span: u32) {
    let data = common::mixed_data(4 << 20, 0x5eed);
    let gz = common::gzip(&data, level);
    let (index, streamed) = index_streaming(&gz, span);
    assert!(streamed == data, "level {level}: streamed output differs");
    assert_eq!(index.uncompress_file_size, data.len() as u64);
    assert_eq!(index.gzip_file_size, gz.len() as u64);
    // zlib-rs's level 1 (its "quick" strategy) may emit the whole payload as one deflate
    // block, leaving a single checkpoint; which flate2 backend the workspace unifies on decides.
    assert!(
        index.entries.len() >= 2 || level == 1,
        "level {level}: {} entries",
        index.entries.len()
    );
    assert_eq!(index.entries[0].de_pos, 0);
    assert!(index.entries[0].window.iter().all(|&b| b == 0));
    let encoded = index.to_bytes().unwrap();
    let index = GzIndex::from_bytes(&encoded).unwrap();
    check_random_reads(&gz, &data, index, 1000, 0x1234 + u64::from(level));
}

#[test]
fn random_reads_level0_stored_blocks() {
    random_reads_at_level(0, 65536);
}

#[test]
fn random_reads_level1() {
    random_reads_at_level(1, 262_144);
}

#[test]
fn random_reads_level6_default_span() {
    random_reads_at_level(6, 1 << 20);
}

#[test]
fn random_reads_level9() {
    random_reads_at_level(9, 131_072);
}

#[test]
fn random_reads_on_edge_layer0() {
    let Some(blob) = common::edge_layer_blob(0) else {
        return;
    };
    let expected = common::gunzip_first_member(&blob);
    let (index, streamed) = index_streaming(&blob, gzindex::DEFAULT_SPAN);
    assert!(streamed == expected);
    check_random_reads(&blob, &expected, index, 1000, 77);
}

#[test]
fn sequential_reads_reuse_the_decoder() {
    let data = common::mixed_data(3 << 20, 9);
    let gz = common::gzip(&data, 6);
    let (index, _) = index_streaming(&gz, 1 << 20);
    let reader = GzIndexReader::new(index, &gz[..]).unwrap();
    let mut out = Vec::new();
    let mut buf = vec![0u8; 4096];
    loop {
        let n = reader.read_at(out.len() as u64, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    assert!(out == data);
}

#[test]
fn later_members_and_trailing_bytes_are_counted_not_decoded() {
    let a = common::mixed_data(200_000, 1);
    let b = common::mixed_data(100_000, 2);
    let mut gz = common::gzip(&a, 6);
    gz.extend_from_slice(&common::gzip(&b, 6));
    gz.extend_from_slice(&[0u8; 17]);
    let (index, streamed) = index_streaming(&gz, 65536);
    assert!(streamed == a);
    assert_eq!(index.uncompress_file_size, a.len() as u64);
    assert_eq!(index.gzip_file_size, gz.len() as u64);
    check_random_reads(&gz, &a, index, 200, 5);
}

#[test]
fn empty_payload_has_one_zero_checkpoint() {
    let gz = common::gzip(b"", 6);
    let index = IndexBuilder::new(&gz[..]).unwrap().finish().unwrap();
    assert_eq!(index.uncompress_file_size, 0);
    assert_eq!(index.entries.len(), 1);
    assert_eq!(
        (
            index.entries[0].de_pos,
            index.entries[0].en_pos,
            index.entries[0].bits
        ),
        (0, 10, 0)
    );
    let reader = GzIndexReader::new(index, &gz[..]).unwrap();
    assert_eq!(reader.read_at(0, &mut [0u8; 8]).unwrap(), 0);
}

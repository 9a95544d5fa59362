//! Writer → reader round trips over every block size and codec.

mod common;

use std::io::{Cursor, Seek, SeekFrom, Write};

use blockio::{ReadAt, Slice};
use proptest::prelude::*;
use zfile::{Algorithm, BLOCK_SIZES, Options, ZFileError, ZFileReader, ZFileWriter};

fn options(algorithm: Algorithm, block_size: u32, verify: bool, rewrite_header: bool) -> Options {
    Options {
        algorithm,
        block_size,
        verify,
        rewrite_header,
    }
}

/// Runs of repeated bytes mixed with noise, so both compressible and raw paths are taken.
fn data_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec((any::<u8>(), 1usize..3000, any::<bool>()), 0..60).prop_map(|runs| {
        let mut out = Vec::new();
        let mut x = 0x9E37_79B9u32;
        for (byte, len, noisy) in runs {
            for _ in 0..len {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                out.push(if noisy { x as u8 } else { byte });
            }
        }
        out
    })
}

fn read_back<R: ReadAt>(r: &R) -> Vec<u8> {
    let mut out = vec![0u8; r.size() as usize];
    r.read_exact_at(0, &mut out).unwrap();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_block_size_and_codec_round_trips(
        data in data_strategy(),
        bs in 0usize..5,
        zstd in any::<bool>(),
        verify in any::<bool>(),
        rewrite in any::<bool>(),
        chunk in 1usize..20_000,
    ) {
        let algorithm = if zstd { Algorithm::Zstd } else { Algorithm::Lz4 };
        let block_size = BLOCK_SIZES[bs];
        let opts = options(algorithm, block_size, verify, rewrite);
        let (file, summary) = common::compress(&data, opts, chunk);
        // Chunking of the writes must not change a single byte.
        let (whole, _) = common::compress(&data, opts, usize::MAX);
        prop_assert_eq!(&file, &whole);
        prop_assert_eq!(summary.compressed_len, file.len() as u64);
        prop_assert_eq!(summary.original_len, data.len() as u64);
        prop_assert_eq!(summary.blocks, (data.len() as u64).div_ceil(u64::from(block_size)));
        let r = ZFileReader::open(&file[..]).unwrap();
        prop_assert_eq!(r.header().flags, if rewrite { 0x1B } else { 0x13 });
        prop_assert_eq!(r.index_block().index_size, summary.blocks);
        prop_assert_eq!(r.verify(), verify);
        prop_assert_eq!(read_back(&r), data.clone());
        r.verify_all().unwrap();
        // An unaligned read across a block boundary.
        if data.len() > 10 {
            let start = data.len() / 3;
            let mut buf = vec![0u8; data.len() - start];
            prop_assert_eq!(r.read_at(start as u64, &mut buf).unwrap(), buf.len());
            prop_assert_eq!(&buf[..], &data[start..]);
        }
    }
}

#[test]
fn every_block_size_and_codec_handles_empty_and_ragged_lengths() {
    for &block_size in &BLOCK_SIZES {
        for algorithm in [Algorithm::Lz4, Algorithm::Zstd] {
            for len in [
                0usize,
                1,
                block_size as usize - 1,
                block_size as usize,
                block_size as usize * 2 + 7,
            ] {
                let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8 ^ (i >> 9) as u8).collect();
                let (file, summary) =
                    common::compress(&data, options(algorithm, block_size, true, true), 4096);
                let r = ZFileReader::open(&file[..]).unwrap();
                assert_eq!(read_back(&r), data, "{algorithm:?} {block_size} {len}");
                assert_eq!(summary.blocks, (len as u64).div_ceil(u64::from(block_size)));
                assert_eq!(r.read_at(len as u64, &mut [0u8; 10]).unwrap(), 0);
            }
        }
    }
}

#[test]
fn empty_input_is_a_1024_byte_file() {
    let (file, summary) = common::compress(&[], Options::default(), 1);
    assert_eq!(file.len(), 1024);
    assert_eq!(summary.blocks, 0);
    let r = ZFileReader::open(&file[..]).unwrap();
    assert_eq!(r.index_block().index_offset, 512);
    assert_eq!(r.size(), 0);
}

#[test]
fn invalid_block_size_is_rejected() {
    for block_size in [0, 2048, 4095, 131_072] {
        let opts = Options {
            block_size,
            ..Options::default()
        };
        let r = ZFileWriter::new(Cursor::new(Vec::new()), opts);
        assert!(matches!(
            r,
            Err(ZFileError::InvalidBlockSizeOption { block_size: b }) if b == block_size
        ));
    }
}

#[test]
fn writer_starts_at_the_current_position_and_ends_after_the_trailer() {
    let data = vec![42u8; 10_000];
    let mut cursor = Cursor::new(vec![0xEEu8; 1536]);
    cursor.seek(SeekFrom::End(0)).unwrap();
    let mut w = ZFileWriter::new(cursor, Options::default()).unwrap();
    w.write_all(&data).unwrap();
    let (mut cursor, summary) = w.finish().unwrap();
    assert_eq!(
        cursor.stream_position().unwrap(),
        1536 + summary.compressed_len
    );
    let out = cursor.into_inner();
    assert!(out[..1536].iter().all(|&b| b == 0xEE));
    assert_eq!(out.len() as u64, 1536 + summary.compressed_len);
    let r = ZFileReader::open(Slice::new(&out, 1536, summary.compressed_len)).unwrap();
    assert_eq!(r.header().flags, 0x1B);
    assert_eq!(read_back(&r), data);
}

#[test]
fn defaults_are_lz4_4k_verify_rewrite() {
    let d = Options::default();
    assert_eq!(
        (d.algorithm, d.block_size, d.verify, d.rewrite_header),
        (Algorithm::Lz4, 4096, true, true)
    );
}

//! Damaged files give typed errors, and arbitrary bytes never panic.

mod common;

use std::io::Cursor;

use blockio::ReadAt;
use proptest::prelude::*;
use zfile::{Algorithm, HeaderBlock, Options, ZFileError, ZFileReader, ZFileWriter, crc32c_raw};

fn sample(options: Options) -> Vec<u8> {
    let data: Vec<u8> = (0..20_000u32)
        .map(|i| (i / 7) as u8 ^ (i % 13) as u8)
        .collect();
    common::compress(&data, options, 4096).0
}

fn standalone() -> Options {
    Options {
        rewrite_header: false,
        ..Options::default()
    }
}

fn block_at(file: &[u8], offset: usize) -> HeaderBlock {
    HeaderBlock::parse(file[offset..offset + 512].try_into().unwrap(), 0).unwrap()
}

fn open(file: &[u8]) -> Result<ZFileReader<&[u8]>, ZFileError> {
    ZFileReader::open(file)
}

fn read_all(r: &ZFileReader<&[u8]>) -> Result<(), ZFileError> {
    let mut buf = vec![0u8; r.size() as usize];
    r.read_original(0, &mut buf).map(|_| ())
}

/// Builds a ZFile by hand from stored blocks (already carrying their CRC when verify is set).
fn assemble(blocks: &[Vec<u8>], block_size: u32, original: u64, algo: u8, verify: bool) -> Vec<u8> {
    let mut body = Vec::new();
    let mut table = Vec::new();
    for b in blocks {
        body.extend_from_slice(b);
        table.extend_from_slice(&(b.len() as u32).to_le_bytes());
    }
    let template = HeaderBlock {
        size: 96,
        block_size,
        algo,
        verify: u8::from(verify),
        ..HeaderBlock::default()
    };
    let trailer = HeaderBlock {
        flags: 0x16,
        index_offset: 512 + body.len() as u64,
        index_size: blocks.len() as u64,
        original_file_size: original,
        index_crc: crc32c_raw(0, &table),
        ..template.clone()
    };
    let mut out = HeaderBlock {
        flags: 0x13,
        ..template
    }
    .encode()
    .to_vec();
    out.extend_from_slice(&body);
    out.extend_from_slice(&table);
    out.extend_from_slice(&trailer.encode());
    out
}

/// The single stored block of a ZFile made from `data` with `options`.
fn one_block(data: &[u8], options: Options) -> Vec<u8> {
    let file = common::compress(data, options, usize::MAX).0;
    let r = open(&file).unwrap();
    let len = r.jump_entries().next().unwrap() as usize;
    file[512..512 + len].to_vec()
}

#[test]
fn flipped_block_byte_is_a_crc_error() {
    let mut file = sample(Options::default());
    file[520] ^= 0x40;
    let r = open(&file).unwrap();
    assert!(matches!(
        read_all(&r),
        Err(ZFileError::BlockCrc { block: 0, .. })
    ));
    assert!(matches!(
        r.verify_all(),
        Err(ZFileError::BlockCrc { block: 0, .. })
    ));
    // Through ReadAt the typed error survives as the io::Error's inner error.
    let e = r.read_at(0, &mut [0u8; 16]).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    assert!(e.get_ref().unwrap().downcast_ref::<ZFileError>().is_some());
}

#[test]
fn truncated_files_are_rejected() {
    let file = sample(standalone());
    assert!(matches!(
        open(&file[..file.len() - 1]),
        Err(ZFileError::BadMagic { .. })
    ));
    assert!(matches!(
        open(&file[..700]),
        Err(ZFileError::TooSmall { size: 700 })
    ));
    // With the index in the header, a cut jump table no longer fits before the "trailer".
    let file = sample(Options::default());
    assert!(matches!(
        open(&file[..file.len() - 100]),
        Err(ZFileError::IndexOutOfRange { .. })
    ));
}

#[test]
fn wrong_magic_and_missing_header_bit() {
    let mut file = sample(Options::default());
    file[0] = b'z';
    assert!(matches!(
        open(&file),
        Err(ZFileError::BadMagic { offset: 0 })
    ));
    let file = sample(standalone());
    let trailer_at = file.len() - 512;
    let mut swapped = file.clone();
    swapped[..512].copy_from_slice(&file[trailer_at..]);
    assert!(matches!(
        open(&swapped),
        Err(ZFileError::NotAHeader { flags: 0x16 })
    ));
}

#[test]
fn bad_digests_and_index_crc() {
    let mut file = sample(Options::default());
    file[100] = 1;
    assert!(matches!(
        open(&file),
        Err(ZFileError::BadDigest {
            which: "header",
            ..
        })
    ));

    let mut file = sample(standalone());
    let n = file.len();
    file[n - 10] = 1;
    assert!(matches!(
        open(&file),
        Err(ZFileError::BadDigest {
            which: "trailer",
            ..
        })
    ));

    let mut file = sample(standalone());
    let t = block_at(&file, n - 512);
    file[t.index_offset as usize] ^= 1;
    assert!(matches!(open(&file), Err(ZFileError::BadIndexCrc { .. })));
}

#[test]
fn jump_table_out_of_range_and_bad_entries() {
    let file = sample(standalone());
    let n = file.len();
    let t = block_at(&file, n - 512);
    let mut moved = file.clone();
    let bad = HeaderBlock {
        index_offset: n as u64,
        ..t.clone()
    };
    moved[n - 512..].copy_from_slice(&bad.encode());
    assert!(matches!(
        open(&moved),
        Err(ZFileError::IndexOutOfRange { .. })
    ));

    let huge = HeaderBlock {
        index_size: 2_000_000_000,
        ..t.clone()
    };
    moved[n - 512..].copy_from_slice(&huge.encode());
    assert!(matches!(
        open(&moved),
        Err(ZFileError::IndexTooLarge { .. })
    ));

    // An entry of 4 bytes cannot hold a block plus its CRC.
    let mut tiny = file.clone();
    let at = t.index_offset as usize;
    tiny[at..at + 4].copy_from_slice(&4u32.to_le_bytes());
    let crc = crc32c_raw(0, &tiny[at..n - 512]);
    tiny[n - 512..].copy_from_slice(
        &HeaderBlock {
            index_crc: crc,
            ..t.clone()
        }
        .encode(),
    );
    assert!(matches!(
        open(&tiny),
        Err(ZFileError::BadJumpEntry {
            block: 0,
            length: 4
        })
    ));

    let algo = HeaderBlock {
        algo: 0,
        ..t.clone()
    };
    moved[n - 512..].copy_from_slice(&algo.encode());
    assert!(matches!(
        open(&moved),
        Err(ZFileError::UnsupportedAlgorithm { algo: 0 })
    ));

    let bs = HeaderBlock {
        block_size: 131_072,
        ..t.clone()
    };
    moved[n - 512..].copy_from_slice(&bs.encode());
    assert!(matches!(
        open(&moved),
        Err(ZFileError::BadBlockSize {
            block_size: 131_072
        })
    ));

    let size = HeaderBlock {
        original_file_size: 1 << 30,
        ..t
    };
    moved[n - 512..].copy_from_slice(&size.encode());
    assert!(matches!(
        open(&moved),
        Err(ZFileError::IndexSizeMismatch { .. })
    ));
}

#[test]
fn oversized_short_and_garbage_blocks_are_typed_errors() {
    for algorithm in [Algorithm::Lz4, Algorithm::Zstd] {
        let opts = Options {
            algorithm,
            block_size: 8192,
            ..Options::default()
        };
        let code = algorithm.code();
        let big = one_block(&[5u8; 8192], opts);
        let file = assemble(&[big], 4096, 4096, code, true);
        let r = open(&file).unwrap();
        assert!(matches!(
            r.verify_all(),
            Err(ZFileError::BlockTooLarge {
                block: 0,
                block_size: 4096
            })
        ));

        let short = one_block(&[5u8; 1000], opts);
        let file = assemble(&[short], 4096, 4096, code, true);
        let r = open(&file).unwrap();
        assert!(matches!(
            read_all(&r),
            Err(ZFileError::ShortBlock {
                block: 0,
                expected: 4096,
                actual: 1000
            })
        ));

        let mut garbage = vec![0xFFu8; 64];
        let crc = crc32c_raw(100_007, &garbage);
        garbage.extend_from_slice(&crc.to_le_bytes());
        let file = assemble(&[garbage], 4096, 4096, code, true);
        let r = open(&file).unwrap();
        assert!(matches!(
            read_all(&r),
            Err(ZFileError::Decompress { block: 0, .. })
        ));
    }
}

#[test]
fn finish_without_writes_reports_the_file_length() {
    let w = ZFileWriter::new(Cursor::new(Vec::new()), Options::default()).unwrap();
    let (c, s) = w.finish().unwrap();
    assert_eq!(s.compressed_len, c.into_inner().len() as u64);
}

fn exercise(file: &[u8]) {
    if let Ok(r) = ZFileReader::open(file) {
        let mut buf = vec![0u8; 5000];
        let mut off = 0;
        while off < r.size().min(1 << 20) {
            if r.read_at(off, &mut buf).is_err() {
                break;
            }
            off += buf.len() as u64;
        }
        let _ = r.verify_all();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..3000)) {
        exercise(&bytes);
        prop_assert!(ZFileReader::open(&bytes[..]).is_err() || bytes.len() >= 1024);
    }

    #[test]
    fn mutated_files_never_panic(
        zstd in any::<bool>(),
        verify in any::<bool>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let algorithm = if zstd { Algorithm::Zstd } else { Algorithm::Lz4 };
        let mut file = sample(Options { algorithm, verify, ..standalone() });
        let blocks_end = block_at(&file, file.len() - 512).index_offset as usize;
        // Mutating only the block area keeps the file openable, so the decoders see the damage.
        for (at, value) in &flips {
            let i = 512 + at.index(blocks_end - 512);
            file[i] ^= value | 1;
        }
        exercise(&file);
        if truncate {
            file.truncate(cut.index(file.len()));
        }
        exercise(&file);
        prop_assert!(ZFileReader::open(&file[..]).is_ok() || truncate);
    }
}

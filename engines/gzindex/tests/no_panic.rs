//! Property tests: round trips hold and mutated inputs give errors, never panics.

mod common;

use blockio::ReadAt;
use gzindex::{GzIndex, GzIndexReader, IndexBuilder};
use proptest::prelude::*;
use std::io::Read;
use std::sync::OnceLock;

/// A small gzip with several checkpoints at span 64 KiB, and its encoded index.
fn fixture() -> &'static (Vec<u8>, Vec<u8>) {
    static F: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    F.get_or_init(|| {
        let gz = common::gzip(&common::mixed_data(600_000, 11), 6);
        let index = IndexBuilder::with_span(&gz[..], 65536)
            .unwrap()
            .finish()
            .unwrap();
        (gz, index.to_bytes().unwrap())
    })
}

fn mutate(data: &[u8], flips: &[(usize, u8)], cut: Option<usize>) -> Vec<u8> {
    let mut d = data.to_vec();
    for &(at, x) in flips {
        if !d.is_empty() {
            let i = at % d.len();
            d[i] ^= x;
        }
    }
    if let Some(c) = cut {
        d.truncate(c % (data.len() + 1));
    }
    d
}

/// Whatever `from_bytes` accepts must survive a re-encode unchanged.
fn check_index_bytes(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(idx) = GzIndex::from_bytes(bytes) {
        let again = GzIndex::from_bytes(&idx.to_bytes().unwrap()).unwrap();
        prop_assert_eq!(again, idx);
    }
    Ok(())
}

/// Whatever the builder accepts must be self-consistent.
fn check_builder(gz: &[u8]) -> Result<(), TestCaseError> {
    let mut b = IndexBuilder::with_span(gz, 65536).unwrap();
    let mut out = Vec::new();
    let streamed = b.read_to_end(&mut out);
    match b.finish() {
        Ok(idx) => {
            prop_assert!(streamed.is_ok());
            prop_assert_eq!(idx.uncompress_file_size, out.len() as u64);
            prop_assert_eq!(idx.gzip_file_size, gz.len() as u64);
            prop_assert!(idx.entries.windows(2).all(|w| w[0].de_pos <= w[1].de_pos));
            prop_assert!(
                idx.entries
                    .iter()
                    .all(|c| c.bits < 8 && c.en_pos <= gz.len() as u64)
            );
        }
        Err(_) => prop_assert!(streamed.is_err()),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_index_bytes(data in proptest::collection::vec(any::<u8>(), 0..2000)) {
        check_index_bytes(&data)?;
    }

    #[test]
    fn mutated_index_bytes(
        flips in proptest::collection::vec((any::<usize>(), 1u8..=255), 0..6),
        cut in proptest::option::of(any::<usize>()),
    ) {
        let (_, idx) = fixture();
        check_index_bytes(&mutate(idx, &flips, cut))?;
    }

    #[test]
    fn mutated_index_with_fixed_crc(
        flips in proptest::collection::vec((any::<usize>(), 1u8..=255), 1..6),
        cut in proptest::option::of(any::<usize>()),
    ) {
        let (_, idx) = fixture();
        let mut m = mutate(idx, &flips, cut);
        if let Some(head) = m.first_chunk::<{ gzindex::HEADER_SIZE }>() {
            let mut h = gzindex::Header::decode(head);
            h.crc = h.computed_crc();
            m[..gzindex::HEADER_SIZE].copy_from_slice(&h.encode());
        }
        check_index_bytes(&m)?;
    }

    #[test]
    fn random_gzip_bytes(data in proptest::collection::vec(any::<u8>(), 0..2000)) {
        check_builder(&data)?;
        let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
        gz.extend_from_slice(&data);
        check_builder(&gz)?;
    }

    #[test]
    fn mutated_gzip_bytes(
        flips in proptest::collection::vec((any::<usize>(), 1u8..=255), 1..6),
        cut in proptest::option::of(any::<usize>()),
    ) {
        let (gz, _) = fixture();
        check_builder(&mutate(gz, &flips, cut))?;
    }

    #[test]
    fn reads_over_mutated_blob(
        flips in proptest::collection::vec((any::<usize>(), 1u8..=255), 1..6),
        offset in 0u64..700_000,
        len in 0usize..100_000,
    ) {
        let (gz, idx) = fixture();
        let bad = mutate(gz, &flips, None);
        let reader = GzIndexReader::new(GzIndex::from_bytes(idx).unwrap(), &bad[..]).unwrap();
        let mut buf = vec![0u8; len];
        if let Ok(n) = reader.read_at(offset, &mut buf) {
            prop_assert!(n <= len);
        }
    }

    #[test]
    fn round_trip_random_payload(data in proptest::collection::vec(any::<u8>(), 0..200_000), level in 0u32..=9) {
        let gz = common::gzip(&data, level);
        let idx = IndexBuilder::with_span(&gz[..], 65536).unwrap().finish().unwrap();
        let back = GzIndex::from_bytes(&idx.to_bytes().unwrap()).unwrap();
        prop_assert_eq!(&back, &idx);
        let reader = GzIndexReader::new(back, &gz[..]).unwrap();
        let mut all = vec![0u8; data.len()];
        reader.read_exact_at(0, &mut all).unwrap();
        prop_assert!(all == data);
    }
}

//! Payload detection over hand-made and damaged tar streams.

use proptest::prelude::*;
use tarwrap::{TarWrapError, find_payload, plain_ustar_header, prefix};

/// Recomputes the checksum of a header changed by a test (Go style: digits, NUL, space).
fn reseal(block: &mut [u8]) {
    block[148..156].copy_from_slice(b"        ");
    let sum: u32 = block.iter().map(|&b| u32::from(b)).sum();
    block[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
}

fn member(name: &str, typeflag: u8, data: &[u8]) -> Vec<u8> {
    let mut h = plain_ustar_header(name, data.len() as u64, 0o644)
        .unwrap()
        .to_vec();
    h[156] = typeflag;
    reseal(&mut h);
    h.extend_from_slice(data);
    h.resize(h.len().next_multiple_of(512), 0);
    h
}

fn wrapped(payload: &[u8]) -> Vec<u8> {
    let mut v = prefix(payload.len() as u64, 0o100644, "root", "root").to_vec();
    v.extend_from_slice(payload);
    v.resize(
        v.len() + tarwrap::suffix_len(payload.len() as u64) as usize,
        0,
    );
    v
}

#[test]
fn skips_directories_long_names_and_global_headers() {
    let mut tar = member("dir/", b'5', b"");
    tar.extend(member("././@LongLink", b'L', &[b'a'; 300]));
    tar.extend(member("pax_global", b'g', b"20 comment=hello xy\n"));
    tar.extend(member("pax", b'x', b"12 size=700\n"));
    let regular_at = tar.len() as u64;
    // Header size 5 but the PAX record says 700: PAX wins.
    let mut file = member("file", b'0', &[7u8; 5]);
    file.resize(512 + 1024, 7);
    tar.extend(file);
    tar.extend([0u8; 1024]);
    assert_eq!(find_payload(&tar).unwrap(), Some((regular_at + 512, 700)));
}

#[test]
fn a_signed_checksum_is_accepted() {
    let mut tar = member("f", b'0', b"abc");
    tar[0] = 0xE9; // a byte that sums differently signed and unsigned
    tar[148..156].copy_from_slice(b"        ");
    let signed: i64 = tar[..512].iter().map(|&b| i64::from(b as i8)).sum();
    tar[148..156].copy_from_slice(format!("{signed:06o}\0 ").as_bytes());
    tar.extend([0u8; 1024]);
    assert_eq!(find_payload(&tar).unwrap(), Some((512, 3)));
}

#[test]
fn non_tar_input_is_none() {
    assert_eq!(find_payload(&b"ZFile\0\x01\0"[..]).unwrap(), None);
    assert_eq!(find_payload(&vec![0u8; 4096]).unwrap(), None);
    let mut bad_sum = wrapped(b"payload");
    bad_sum[0] ^= 1;
    assert_eq!(find_payload(&bad_sum).unwrap(), None);
    let mut gnu = member("f", b'0', b"abc");
    gnu[257..265].copy_from_slice(b"ustar  \0");
    reseal(&mut gnu);
    assert_eq!(find_payload(&gnu).unwrap(), None);
}

#[test]
fn damaged_wrappers_are_typed_errors() {
    let good = wrapped(&[1u8; 3000]);
    assert_eq!(find_payload(&good).unwrap(), Some((1536, 3000)));

    let mut bad_member = good.clone();
    bad_member[1024] = b'X';
    assert!(matches!(
        find_payload(&bad_member),
        Err(TarWrapError::BadChecksum { offset: 1024 })
    ));

    assert!(matches!(
        find_payload(&good[..1000]),
        Err(TarWrapError::Truncated { .. })
    ));
    assert!(matches!(
        find_payload(&good[..2000]),
        Err(TarWrapError::PayloadOutOfRange {
            offset: 1536,
            len: 3000,
            ..
        })
    ));

    let mut bad_record = good.clone();
    bad_record[512..514].copy_from_slice(b"99");
    assert!(matches!(
        find_payload(&bad_record),
        Err(TarWrapError::BadPaxRecord { offset: 0 })
    ));

    let mut no_member = good[..512].to_vec();
    no_member[124..136].copy_from_slice(b"00000000000\0");
    reseal(&mut no_member);
    no_member.extend([0u8; 1024]);
    assert!(matches!(
        find_payload(&no_member),
        Err(TarWrapError::NoRegularMember)
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn corrupt_headers_never_panic(
        flips in prop::collection::vec((0usize..1536, any::<u8>()), 1..6),
        reseal_pax in any::<bool>(),
        cut in 0usize..5000,
    ) {
        let mut tar = wrapped(&[9u8; 2000]);
        for (at, v) in flips {
            tar[at] = v;
        }
        if reseal_pax {
            reseal(&mut tar[..512]);
            reseal(&mut tar[1024..1536]);
        }
        let full = find_payload(&tar);
        if let Ok(Some((offset, len))) = full {
            prop_assert!(offset + len <= tar.len() as u64);
        }
        tar.truncate(cut.min(tar.len()));
        let _ = find_payload(&tar);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(Some((offset, len))) = find_payload(&bytes) {
            prop_assert!(offset + len <= bytes.len() as u64);
        }
    }
}

//! Damaged and hostile input: typed errors, never a panic or an endless loop.

use crate::util::*;
use proptest::prelude::*;
use tar::EntryType;
use tarstream::{MAX_EXTENSION_SIZE, TarError, TarReader};

/// A small archive touching every header path: PAX, GNU long name, sparse 1.0, plain data.
fn small_tar() -> Vec<u8> {
    let mut t = Tar::new();
    t.pax(&[("path", b"pax/name"), ("SCHILY.xattr.user.a", b"\0b")]);
    t.member(ustar(EntryType::Regular, "x", 700), &pattern(1, 700));
    t.extension(b'L', "l".repeat(150).as_bytes());
    t.member(ustar(EntryType::Regular, "short", 3), b"abc");
    t.pax(&[
        ("GNU.sparse.major", b"1"),
        ("GNU.sparse.minor", b"0"),
        ("GNU.sparse.realsize", b"4096"),
    ]);
    let mut payload = b"1\n1000\n600\n".to_vec();
    payload.resize(512, 0);
    payload.extend_from_slice(&pattern(2, 600));
    t.member(
        ustar(EntryType::Regular, "s", payload.len() as u64),
        &payload,
    );
    t.member(ustar(EntryType::Directory, "d/", 0), b"");
    t.finish()
}

/// Reads everything, counting loop turns; each turn must consume input, so the count is
/// bounded by the stream length.
fn drain(bytes: &[u8]) -> (usize, Result<(), TarError>) {
    let mut r = TarReader::new(bytes);
    let mut n = 0;
    let result = (|| {
        while r.next_entry()?.is_some() {
            n += 1;
            assert!(n <= bytes.len() / 512 + 1, "more entries than blocks");
            let mut buf = [0u8; 1000];
            while r.read_data(&mut buf)? > 0 {}
        }
        Ok(())
    })();
    assert!(r.position() <= bytes.len() as u64);
    (n, result)
}

#[test]
fn truncation_at_every_block_and_inside_blocks() {
    let raw = small_tar();
    let full = read_all(&raw).unwrap();
    assert_eq!(full.len(), 4);
    // Cutting exactly where a member's headers begin, or in the end blocks, is a clean end.
    let starts: Vec<usize> = full.iter().map(|(e, _)| e.header_offset as usize).collect();
    let end_blocks = raw.len() - 1024;
    for cut in (0..=raw.len()).step_by(512) {
        let result = read_all(&raw[..cut]);
        if let Some(k) = starts.iter().position(|&s| s == cut) {
            assert_eq!(result.unwrap().len(), k, "cut {cut} at member {k}");
        } else if cut >= end_blocks {
            assert_eq!(result.unwrap().len(), 4, "cut {cut} in the end blocks");
        } else {
            assert!(
                matches!(result, Err(TarError::Truncated { offset }) if offset == cut as u64),
                "cut {cut}: {result:?}"
            );
        }
    }
    for block in 0..raw.len() / 512 {
        for within in [1, 100, 511] {
            let cut = block * 512 + within;
            let result = read_all(&raw[..cut]);
            assert!(
                matches!(result, Err(TarError::Truncated { offset }) if offset == cut as u64),
                "cut {cut}: {result:?}"
            );
        }
    }
}

#[test]
fn bad_checksum_names_the_block() {
    let raw = small_tar();
    let second = read_all(&raw).unwrap()[1].0.header_offset as usize;
    for at in [0usize, 2 * 512 + 20, second + 100, 11 * 512 + 300] {
        let mut bad = raw.clone();
        bad[at] ^= 0x40;
        let block = (at / 512 * 512) as u64;
        let result = read_all(&bad);
        assert!(
            matches!(result, Err(TarError::BadChecksum { offset }) if offset == block),
            "flip at {at}: {result:?}"
        );
    }
    // A flipped data byte is not a header error.
    let mut data_flip = raw.clone();
    data_flip[3 * 512 + 5] ^= 1;
    assert_eq!(read_all(&data_flip).unwrap().len(), 4);
}

#[test]
fn reader_is_poisoned_after_an_error() {
    let mut raw = small_tar();
    raw[0] ^= 1;
    let mut r = TarReader::new(&raw[..]);
    assert!(matches!(
        r.next_entry(),
        Err(TarError::BadChecksum { offset: 0 })
    ));
    assert!(matches!(r.next_entry(), Err(TarError::Poisoned)));
    assert!(matches!(
        r.read_data(&mut [0u8; 4]),
        Err(TarError::Poisoned)
    ));
}

#[test]
fn typed_errors_for_bad_fields_and_records() {
    let one = |records: &[(&str, &[u8])]| {
        let mut t = Tar::new();
        t.pax(records);
        t.member(ustar(EntryType::Regular, "f", 0), b"");
        read_all(&t.finish()).unwrap_err()
    };
    assert!(matches!(
        one(&[("uid", b"5000000000")]),
        TarError::BadPaxValue { ref key, offset: 0 } if key == "uid"
    ));
    assert!(matches!(
        one(&[("mtime", b"12:00")]),
        TarError::BadPaxValue { .. }
    ));
    assert!(matches!(
        one(&[("size", b"-1")]),
        TarError::BadPaxValue { .. }
    ));

    let mut t = Tar::new();
    t.extension(b'x', b"10 path=ab\n"); // length says 10, record is 11 bytes
    t.member(ustar(EntryType::Regular, "f", 0), b"");
    assert!(matches!(
        read_all(&t.finish()),
        Err(TarError::BadPaxRecord { offset: 0 })
    ));

    let mut h = ustar(EntryType::Regular, "f", 0);
    h.as_mut_bytes()[100..108].copy_from_slice(b"00006x4\0");
    let mut t = Tar::new();
    t.member(h, b"");
    assert!(matches!(
        read_all(&t.finish()),
        Err(TarError::BadNumber {
            field: "mode",
            offset: 0
        })
    ));

    let mut h = gnu(EntryType::Regular, "f", 0);
    h.as_mut_bytes()[108..116].copy_from_slice(&[0x80, 0, 0, 1, 0, 0, 0, 0]);
    let mut t = Tar::new();
    t.member(h, b"");
    assert!(matches!(
        read_all(&t.finish()),
        Err(TarError::NumberOverflow {
            field: "uid",
            offset: 0
        })
    ));

    let mut t = Tar::new();
    t.member(
        ustar(EntryType::new(b'x'), "huge", MAX_EXTENSION_SIZE + 1),
        b"",
    );
    assert!(matches!(
        read_all(&t.finish()),
        Err(TarError::ExtensionTooLarge { offset: 0, .. })
    ));

    // Extension headers followed by the end of the archive.
    let mut t = Tar::new();
    t.member(ustar(EntryType::Regular, "ok", 0), b"");
    t.pax(&[("path", b"orphan")]);
    assert!(matches!(
        read_all(&t.finish()),
        Err(TarError::DanglingExtension { offset: 512 })
    ));
}

#[test]
fn huge_declared_sizes_fail_without_allocating() {
    let mut h = gnu(EntryType::Regular, "f", 0);
    h.as_mut_bytes()[124..136].copy_from_slice(&[
        0x80, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    ]);
    let mut t = Tar::new();
    t.member(h, b"");
    let raw = t.finish();
    let result = read_all(&raw);
    assert!(
        matches!(result, Err(TarError::Truncated { .. })),
        "{result:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let (n, _) = drain(&bytes);
        prop_assert!(n <= bytes.len() / 512 + 1);
    }

    #[test]
    fn mutated_archives_never_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut raw = small_tar();
        for (at, v) in &flips {
            let i = at.index(raw.len());
            raw[i] = *v;
        }
        if truncate {
            raw.truncate(cut.index(raw.len()));
        }
        let (n, _) = drain(&raw);
        prop_assert!(n <= raw.len() / 512 + 1);
    }

    #[test]
    fn mutated_headers_with_fixed_checksums_never_panic(
        flips in proptest::collection::vec((0usize..512, any::<u8>()), 1..6),
        member in 0usize..4,
    ) {
        // Re-sealing the checksum lets mutations reach the field parsers.
        let mut raw = small_tar();
        let starts: Vec<usize> = read_all(&raw).unwrap().iter().map(|(e, _)| e.header_offset as usize).collect();
        let base = starts[member];
        for (at, v) in &flips {
            if !(148..156).contains(at) {
                raw[base + at] = *v;
            }
        }
        let block = &mut raw[base..base + 512];
        block[148..156].fill(b' ');
        let sum: u32 = block.iter().map(|&b| u32::from(b)).sum();
        block[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        let (n, _) = drain(&raw);
        prop_assert!(n <= raw.len() / 512 + 1);
    }
}

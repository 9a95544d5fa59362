//! GNU sparse members in all four encodings, reconstructed to their logical content.

use crate::util::*;
use tar::{EntryType, GnuExtSparseHeader};
use tarstream::{EntryKind, TarError};

/// Logical content with pattern bytes in `runs` and zeros elsewhere, and the stored bytes
/// (the runs concatenated).
fn content(runs: &[(u64, u64)], real: u64) -> (Vec<u8>, Vec<u8>) {
    let mut logical = vec![0u8; real as usize];
    let mut stored = Vec::new();
    for (i, &(off, len)) in runs.iter().enumerate() {
        let bytes = pattern(i as u8, len as usize);
        logical[off as usize..(off + len) as usize].copy_from_slice(&bytes);
        stored.extend_from_slice(&bytes);
    }
    (logical, stored)
}

/// `n` runs of varying length with holes between them.
fn runs(n: u64) -> Vec<(u64, u64)> {
    (0..n)
        .map(|i| (i * 3000 + 100 * (i % 3), 1 + (i * 379) % 1500))
        .collect()
}

fn check_one(raw: &[u8], path: &str, logical_want: &[u8], runs: usize) {
    let entries = read_all(raw).unwrap();
    assert_eq!(entries.len(), 2, "sparse member plus a trailing file");
    let (e, stored) = &entries[0];
    assert_eq!(e.path, path.as_bytes());
    assert_eq!(e.kind, EntryKind::Regular);
    assert_eq!(e.size, logical_want.len() as u64);
    assert_eq!(e.segments.len(), runs);
    let logical = logical(e, stored);
    assert!(logical == logical_want, "reconstructed content differs");
    assert_offsets(raw, e, &logical);
    // The member after the sparse one is found, so the data area was sized right.
    assert_eq!(entries[1].1, b"after");
}

fn trailer(t: &mut Tar) -> Vec<u8> {
    t.member(ustar(EntryType::Regular, "after", 5), b"after");
    t.finish()
}

#[test]
fn old_gnu_sparse_with_extension_blocks() {
    let mut map = runs(30);
    let real = map.last().map(|(o, l)| o + l).unwrap() + 5000;
    let (want, stored) = content(&map, real);
    // GNU tar ends the map with an empty run at the real size.
    map.push((real, 0));
    let mut h = gnu(EntryType::GNUSparse, "old-sparse", stored.len() as u64);
    h.set_mode(0o600);
    let g = h.as_gnu_mut().unwrap();
    for (slot, &(off, len)) in g.sparse.iter_mut().zip(&map) {
        slot.set_offset(off);
        slot.set_length(len);
    }
    g.set_is_extended(true);
    g.set_real_size(real);
    let mut t = Tar::new();
    t.member(h, b"");
    let rest = &map[4..];
    let chunks: Vec<_> = rest.chunks(21).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        let mut ext = GnuExtSparseHeader::new();
        for (slot, &(off, len)) in ext.sparse.iter_mut().zip(chunk.iter()) {
            slot.set_offset(off);
            slot.set_length(len);
        }
        ext.set_is_extended(i + 1 < chunks.len());
        t.raw(ext.as_bytes());
    }
    t.data(&stored);
    let raw = trailer(&mut t);
    assert_eq!(chunks.len(), 2, "two extension blocks");
    check_one(&raw, "old-sparse", &want, 30);
    let entries = read_all(&raw).unwrap();
    // Data starts after the header and its two extension blocks.
    assert_eq!(entries[0].0.segments[0].tar_offset, 3 * 512);
    assert_eq!(entries[0].0.mode, 0o600);
}

#[test]
fn pax_0_0_sparse() {
    let map = runs(5);
    let real = 20_000;
    let (want, stored) = content(&map, real);
    let mut recs: Vec<(String, Vec<u8>)> = vec![
        ("GNU.sparse.size".into(), real.to_string().into_bytes()),
        ("GNU.sparse.numblocks".into(), b"5".to_vec()),
    ];
    for (off, len) in &map {
        recs.push(("GNU.sparse.offset".into(), off.to_string().into_bytes()));
        recs.push(("GNU.sparse.numbytes".into(), len.to_string().into_bytes()));
    }
    let recs: Vec<(&str, &[u8])> = recs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_slice()))
        .collect();
    let mut t = Tar::new();
    t.pax(&recs);
    t.member(
        ustar(EntryType::Regular, "sparse00", stored.len() as u64),
        &stored,
    );
    check_one(&trailer(&mut t), "sparse00", &want, 5);
}

#[test]
fn pax_0_1_sparse() {
    let map = runs(7);
    let real = 25_000;
    let (want, stored) = content(&map, real);
    let text: Vec<String> = map
        .iter()
        .flat_map(|(o, l)| [o.to_string(), l.to_string()])
        .collect();
    let mut t = Tar::new();
    t.pax(&[
        ("GNU.sparse.major", b"0"),
        ("GNU.sparse.minor", b"1"),
        ("GNU.sparse.name", b"dir/real-name"),
        ("GNU.sparse.size", real.to_string().as_bytes()),
        ("GNU.sparse.map", text.join(",").as_bytes()),
    ]);
    t.member(
        ustar(
            EntryType::Regular,
            "dir/GNUSparseFile.1/real-name",
            stored.len() as u64,
        ),
        &stored,
    );
    check_one(&trailer(&mut t), "dir/real-name", &want, 7);
}

/// PAX 1.0 payload: the map as decimal lines padded to a block, then the runs.
fn payload_1_0(map: &[(u64, u64)], stored: &[u8]) -> Vec<u8> {
    let mut text = format!("{}\n", map.len());
    for (o, l) in map {
        text += &format!("{o}\n{l}\n");
    }
    let mut out = text.into_bytes();
    out.resize(out.len().div_ceil(512) * 512, 0);
    out.extend_from_slice(stored);
    out
}

#[test]
fn pax_1_0_sparse_with_multi_block_map() {
    let mut map = runs(100);
    let real = map.last().map(|(o, l)| o + l).unwrap() + 4096;
    let (want, stored) = content(&map, real);
    map.push((real, 0));
    let payload = payload_1_0(&map, &stored);
    assert!(
        payload.len() - stored.len() > 512,
        "the map spans several blocks"
    );
    let mut t = Tar::new();
    t.pax(&[
        ("GNU.sparse.major", b"1"),
        ("GNU.sparse.minor", b"0"),
        ("GNU.sparse.name", b"files/sparse"),
        ("GNU.sparse.realsize", real.to_string().as_bytes()),
    ]);
    t.member(
        ustar(
            EntryType::Regular,
            "files/GNUSparseFile.0/sparse",
            payload.len() as u64,
        ),
        &payload,
    );
    let raw = trailer(&mut t);
    check_one(&raw, "files/sparse", &want, 100);
    let entries = read_all(&raw).unwrap();
    let map_len = (payload.len() - stored.len()) as u64;
    assert_eq!(entries[0].0.segments[0].tar_offset, 3 * 512 + map_len);
}

#[test]
fn all_hole_sparse_file_has_no_segments() {
    let mut t = Tar::new();
    t.pax(&[
        ("GNU.sparse.major", b"1"),
        ("GNU.sparse.minor", b"0"),
        ("GNU.sparse.name", b"holes"),
        ("GNU.sparse.realsize", b"1048576"),
    ]);
    let payload = payload_1_0(&[(1_048_576, 0)], b"");
    t.member(
        ustar(EntryType::Regular, "x", payload.len() as u64),
        &payload,
    );
    let entries = read_all(&trailer(&mut t)).unwrap();
    let (e, data) = &entries[0];
    assert_eq!((e.size, e.segments.len(), data.len()), (1_048_576, 0, 0));
    assert_eq!(e.path, b"holes");
}

fn sparse_error(records: &[(&str, &[u8])], size: u64, data: &[u8]) -> TarError {
    let mut t = Tar::new();
    t.pax(records);
    t.member(ustar(EntryType::Regular, "s", size), data);
    read_all(&trailer(&mut t)).unwrap_err()
}

#[test]
fn bad_sparse_maps_are_rejected() {
    let overlap = sparse_error(
        &[
            ("GNU.sparse.size", b"100"),
            ("GNU.sparse.map", b"0,10,5,10"),
        ],
        20,
        &[1; 20],
    );
    assert!(
        matches!(overlap, TarError::BadSparseMap { offset: 0 }),
        "{overlap:?}"
    );
    let mismatch = sparse_error(
        &[("GNU.sparse.size", b"100"), ("GNU.sparse.map", b"0,10")],
        11,
        &[1; 11],
    );
    assert!(
        matches!(mismatch, TarError::BadSparseMap { .. }),
        "{mismatch:?}"
    );
    let past_end = sparse_error(
        &[("GNU.sparse.size", b"5"), ("GNU.sparse.map", b"0,10")],
        10,
        &[1; 10],
    );
    assert!(
        matches!(past_end, TarError::BadSparseMap { .. }),
        "{past_end:?}"
    );
    let count = sparse_error(
        &[("GNU.sparse.numblocks", b"2"), ("GNU.sparse.map", b"0,10")],
        10,
        &[1; 10],
    );
    assert!(matches!(count, TarError::BadSparseMap { .. }), "{count:?}");
    let version = sparse_error(
        &[("GNU.sparse.major", b"2"), ("GNU.sparse.minor", b"0")],
        0,
        b"",
    );
    assert!(
        matches!(&version, TarError::UnsupportedSparse { major, minor, .. } if major == "2" && minor == "0"),
        "{version:?}"
    );
    // A 1.0 map claiming more runs than the member holds.
    let mut payload = b"99999\n0\n1\n".to_vec();
    payload.resize(512, 0);
    let long_map = sparse_error(
        &[("GNU.sparse.major", b"1"), ("GNU.sparse.minor", b"0")],
        512,
        &payload,
    );
    assert!(
        matches!(long_map, TarError::BadSparseMap { .. }),
        "{long_map:?}"
    );
    let garbage = sparse_error(
        &[("GNU.sparse.major", b"1"), ("GNU.sparse.minor", b"0")],
        512,
        &[b'x'; 512],
    );
    assert!(
        matches!(garbage, TarError::BadSparseMap { .. }),
        "{garbage:?}"
    );
}

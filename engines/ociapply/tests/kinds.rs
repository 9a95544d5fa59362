//! Per-kind creation, attributes, xattrs and file data (plain and sparse).

mod common;
use common::*;
use ociapply::memfs::BlockState;
use ociapply::{ApplyError, FileType, Timestamp};

#[test]
fn devices_and_fifos() {
    let fs = build(&[&[
        node("dev/null", Kind::Char(1, 3)).mode(0o666),
        node("dev/big", Kind::Block(259, 65536)).owner(0, 6),
        node("dev/fifo", Kind::Fifo).mode(0o644),
    ]]);
    let s = fs.snapshot();
    let null = at(&s, "/dev/null");
    assert_eq!(
        (null.kind, null.rdev, null.mode),
        (FileType::CharDevice, Some((1, 3)), 0o666)
    );
    let big = at(&s, "/dev/big");
    assert_eq!(
        (big.kind, big.rdev, big.gid),
        (FileType::BlockDevice, Some((259, 65536)), 6)
    );
    let fifo = at(&s, "/dev/fifo");
    assert_eq!((fifo.kind, fifo.rdev), (FileType::Fifo, None));
}

#[test]
fn unsupported_type_fails() {
    let mut fs = build(&[&[]]);
    let err = apply(&mut fs, &[node("vol", Kind::Raw(b'V')).mode(0o644)]).unwrap_err();
    assert!(
        matches!(&err, ApplyError::UnsupportedType { path, typeflag: b'V' } if path == "vol"),
        "{err}"
    );
}

#[test]
fn attributes_and_xattrs() {
    let cap = [1u8, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let mut fs = build(&[&[]]);
    let r = apply(
        &mut fs,
        &[file("bin", "#!")
            .mode(0o4755)
            .owner(4_000_000, 65534)
            .mtime(1_700_000_000, Some(123_456_789))
            .xattr("security.capability", cap)
            .xattr("user.bin", [0u8, 0xff, 0xfe])
            .xattr("trusted.t", "t")
            .xattr("other.ns", "dropped")],
    )
    .unwrap();
    let s = fs.snapshot();
    let e = at(&s, "/bin");
    assert_eq!((e.mode, e.uid, e.gid), (0o4755, 4_000_000, 65534));
    assert_eq!(
        e.mtime,
        Timestamp {
            sec: 1_700_000_000,
            nsec: 123_456_789
        }
    );
    let names: Vec<&[u8]> = e.xattrs.keys().map(Vec::as_slice).collect();
    assert_eq!(
        names,
        [&b"security.capability"[..], b"trusted.t", b"user.bin"]
    );
    assert_eq!(e.xattrs[&b"security.capability"[..]], cap);
    assert_eq!(e.xattrs[&b"user.bin"[..]], [0u8, 0xff, 0xfe]);
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
}

#[test]
fn plain_file_data_and_byte_count() {
    let big: Vec<u8> = (0..(3 << 20) + 7).map(|i| (i * 7 % 251) as u8).collect();
    let mut fs = build(&[&[]]);
    let r = apply(&mut fs, &[file("big", &big), file("empty", "")]).unwrap();
    assert_eq!(content(&fs, "/big"), big);
    assert_eq!(r.bytes_written, big.len() as u64);
    let s = fs.snapshot();
    assert_eq!(at(&s, "/empty").size, 0);
    let ino = fs.lookup_path(b"empty").unwrap();
    assert!(fs.block_map(ino).unwrap().is_empty());
}

#[test]
fn sparse_members_keep_their_holes() {
    let mut c = vec![0u8; 16 << 20];
    c[..4096].fill(b's');
    c[8 << 20..(8 << 20) + 8192].fill(b'r');
    c[(12 << 20) + 100..(12 << 20) + 300].fill(b'u');
    let regions = [
        (0, 4096),
        (8 << 20, 8192),
        ((12 << 20) + 100, 200),
        (16 << 20, 0),
    ];
    let mut fs = build(&[&[]]);
    let r = apply(&mut fs, &[sparse("sp", c.clone(), &regions)]).unwrap();
    assert_eq!(content(&fs, "/sp"), c);
    assert_eq!(r.bytes_written, 4096 + 8192 + 200);
    let ino = fs.lookup_path(b"sp").unwrap();
    let blocks: Vec<u64> = fs.block_map(ino).unwrap().iter().map(|b| b.0).collect();
    assert_eq!(
        blocks,
        [0, 2048, 2049, 3072],
        "only the data runs are allocated"
    );
    assert!(
        fs.block_map(ino)
            .unwrap()
            .iter()
            .all(|b| b.2 == BlockState::Written)
    );
}

//! Header formats, extensions and type detection.

use crate::util::*;
use tar::{Builder, EntryType, Header};
use tarstream::{EntryKind, Segment, TarReader};

#[test]
fn tar_crate_archive_round_trips() {
    let long_name = format!("dir/{}/file.txt", "n".repeat(120));
    let long_target = format!("../{}", "t/".repeat(80));
    let mut b = Builder::new(Vec::new());
    let mut h = gnu(EntryType::Directory, "dir/", 0);
    h.set_mode(0o755);
    h.set_cksum();
    b.append(&h, &[][..]).unwrap();
    for (i, size) in [0usize, 1, 511, 512, 513, 5000].into_iter().enumerate() {
        let mut h = gnu(EntryType::Regular, "x", size as u64);
        h.set_mode(0o4755);
        b.append_data(&mut h, format!("dir/f{i}"), &pattern(i as u8, size)[..])
            .unwrap();
    }
    let mut h = gnu(EntryType::Regular, "x", 3);
    b.append_data(&mut h, &long_name, &b"abc"[..]).unwrap();
    let mut h = gnu(EntryType::Symlink, "x", 0);
    b.append_link(&mut h, "dir/long-link", &long_target)
        .unwrap();
    let mut h = gnu(EntryType::Link, "x", 0);
    b.append_link(&mut h, "dir/hard", "dir/f1").unwrap();
    let mut h = gnu(EntryType::Char, "dir/null", 0);
    h.set_device_major(1).unwrap();
    h.set_device_minor(3).unwrap();
    h.set_cksum();
    b.append(&h, &[][..]).unwrap();
    let mut h = gnu(EntryType::Block, "dir/sda", 0);
    h.set_device_major(259).unwrap();
    h.set_device_minor(65536).unwrap();
    h.set_cksum();
    b.append(&h, &[][..]).unwrap();
    b.append(&gnu(EntryType::Fifo, "dir/fifo", 0), &[][..])
        .unwrap();
    let raw = b.into_inner().unwrap();

    let entries = read_all(&raw).unwrap();
    assert_eq!(entries.len(), 13);
    let (d, _) = find(&entries, "dir/");
    assert_eq!(
        (d.kind, d.mode, d.header_offset),
        (EntryKind::Directory, 0o755, 0)
    );
    for (i, size) in [0usize, 1, 511, 512, 513, 5000].into_iter().enumerate() {
        let (e, data) = find(&entries, &format!("dir/f{i}"));
        assert_eq!(e.kind, EntryKind::Regular);
        assert_eq!(e.mode, 0o4755);
        assert_eq!(e.size, size as u64);
        assert_eq!(e.mtime, MTIME as i64);
        assert_eq!(data, &pattern(i as u8, size));
        assert_eq!(e.segments.len(), usize::from(size > 0));
        if size > 0 {
            assert_eq!(e.segments[0].tar_offset, e.header_offset + 512);
        }
        assert_offsets(&raw, e, data);
    }
    let (e, data) = find(&entries, &long_name);
    assert_eq!(data, b"abc");
    // The header offset is that of the GNU long-name block, the data follows 3 blocks later
    // (L header, its one-block body, the member header).
    assert_eq!(&raw[e.header_offset as usize + 156], &b'L');
    assert_eq!(e.segments[0].tar_offset, e.header_offset + 3 * 512);
    let (e, _) = find(&entries, "dir/long-link");
    assert_eq!(e.kind, EntryKind::Symlink);
    assert_eq!(e.link_target, long_target.as_bytes());
    let (e, _) = find(&entries, "dir/hard");
    assert_eq!(
        (e.kind, e.link_target.as_slice()),
        (EntryKind::HardLink, &b"dir/f1"[..])
    );
    let (e, _) = find(&entries, "dir/null");
    assert_eq!(
        (e.kind, e.dev_major, e.dev_minor),
        (EntryKind::CharDevice, 1, 3)
    );
    let (e, _) = find(&entries, "dir/sda");
    assert_eq!(
        (e.kind, e.dev_major, e.dev_minor),
        (EntryKind::BlockDevice, 259, 65536)
    );
    assert_eq!(find(&entries, "dir/fifo").0.kind, EntryKind::Fifo);

    let mut r = TarReader::new(&raw[..]);
    while r.next_entry().unwrap().is_some() {}
    assert_eq!(r.position(), raw.len() as u64, "both end blocks consumed");
}

#[test]
fn pax_records_override_header_fields() {
    let long_path = format!("pax/{}/with\nnewline", "p".repeat(200));
    let long_link = format!("../{}", "l".repeat(300));
    let cap = [1u8, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let data = pattern(7, 700);
    let mut t = Tar::new();
    t.pax(&[
        ("path", long_path.as_bytes()),
        ("uid", b"4000000"),
        ("gid", b"4000001"),
        ("mtime", b"1700000000.123456789"),
        ("atime", b"1.5"),
        ("size", b"700"),
        ("SCHILY.xattr.security.capability", &cap),
        ("SCHILY.xattr.user.binary", b"\x00\xff\xfe\x01\n="),
        ("SCHILY.xattr.trusted.a", b"v"),
    ]);
    // The header's own size field is wrong on purpose: PAX `size` wins.
    t.member(ustar(EntryType::Regular, "short", 0), &data);
    t.pax(&[("linkpath", long_link.as_bytes()), ("mtime", b"-1.25")]);
    t.member(ustar(EntryType::Symlink, "sym", 0), b"");
    let raw = t.finish();

    let entries = read_all(&raw).unwrap();
    assert_eq!(entries.len(), 2);
    let (e, got) = &entries[0];
    assert_eq!(e.path, long_path.as_bytes());
    assert_eq!((e.uid, e.gid), (4_000_000, 4_000_001));
    assert_eq!((e.mtime, e.mtime_nsec), (1_700_000_000, 123_456_789));
    assert_eq!(e.size, 700);
    assert_eq!(got, &data);
    assert_eq!(e.header_offset, 0);
    assert_eq!(
        e.segments,
        vec![Segment {
            file_offset: 0,
            len: 700,
            tar_offset: 1024 + 512
        }]
    );
    assert_offsets(&raw, e, got);
    assert_eq!(
        e.xattrs,
        vec![
            (b"security.capability".to_vec(), cap.to_vec()),
            (b"trusted.a".to_vec(), b"v".to_vec()),
            (b"user.binary".to_vec(), b"\x00\xff\xfe\x01\n=".to_vec()),
        ]
    );
    let (s, _) = &entries[1];
    assert_eq!(s.kind, EntryKind::Symlink);
    assert_eq!(s.link_target, long_link.as_bytes());
    assert_eq!((s.mtime, s.mtime_nsec), (-2, 750_000_000));
    assert!(s.xattrs.is_empty(), "x records apply to one member only");
}

#[test]
fn gnu_long_link_and_name_with_pax_precedence() {
    let mut t = Tar::new();
    t.extension(b'L', b"gnu/long/name\0garbage");
    t.extension(b'K', b"gnu/long/target\0");
    t.member(ustar(EntryType::Link, "short", 0), b"");
    // PAX path beats a GNU long name.
    t.extension(b'L', b"from-gnu");
    t.pax(&[("path", b"from-pax")]);
    t.member(ustar(EntryType::Regular, "short", 1), b"z");
    let raw = t.finish();
    let entries = read_all(&raw).unwrap();
    assert_eq!(entries[0].0.path, b"gnu/long/name");
    assert_eq!(entries[0].0.link_target, b"gnu/long/target");
    assert_eq!(entries[0].0.kind, EntryKind::HardLink);
    assert_eq!(entries[1].0.path, b"from-pax");
    assert_eq!(entries[1].0.header_offset, 5 * 512);
}

#[test]
fn global_pax_applies_to_later_members() {
    let mut t = Tar::new();
    t.extension(
        b'g',
        &pax_body(&[("uid", b"77"), ("SCHILY.xattr.user.g", b"global")]),
    );
    t.member(ustar(EntryType::Regular, "a", 0), b"");
    t.pax(&[("uid", b"5"), ("SCHILY.xattr.user.x", b"own")]);
    t.member(ustar(EntryType::Regular, "b", 0), b"");
    t.pax(&[("SCHILY.xattr.user.g", b""), ("uid", b"")]);
    let mut h = ustar(EntryType::Regular, "c", 0);
    h.set_uid(9);
    t.member(h, b"");
    // A later global header with an empty value deletes the keyword for good.
    t.extension(b'g', &pax_body(&[("uid", b"")]));
    t.member(ustar(EntryType::Regular, "d", 0), b"");
    let raw = t.finish();
    let entries = read_all(&raw).unwrap();
    let ids: Vec<u32> = entries.iter().map(|(e, _)| e.uid).collect();
    assert_eq!(ids, vec![77, 5, 9, 0]);
    let g = (b"user.g".to_vec(), b"global".to_vec());
    assert_eq!(entries[0].0.xattrs, vec![g.clone()]);
    assert_eq!(
        entries[1].0.xattrs,
        vec![g.clone(), (b"user.x".to_vec(), b"own".to_vec())]
    );
    assert!(entries[2].0.xattrs.is_empty());
    assert_eq!(entries[3].0.xattrs, vec![g]);
    assert_eq!(
        entries[0].0.header_offset, 0,
        "the global header starts member a"
    );
    assert_eq!(entries[3].0.header_offset, 9 * 512);
}

#[test]
fn ustar_prefix_is_joined_only_for_posix_magic() {
    let path = format!("{}/{}", "p".repeat(120), "n".repeat(90));
    let h = ustar(EntryType::Regular, &path, 0);
    assert!(
        !h.as_ustar().unwrap().prefix.iter().all(|&b| b == 0),
        "prefix used"
    );
    let mut t = Tar::new();
    t.member(h, b"");
    // Old GNU headers keep atime/ctime where ustar has its prefix.
    let mut g = gnu(EntryType::Regular, "gnu-name", 0);
    g.as_gnu_mut().unwrap().set_atime(0o7777);
    t.member(g, b"");
    let entries = read_all(&t.finish()).unwrap();
    assert_eq!(entries[0].0.path, path.as_bytes());
    assert_eq!(entries[1].0.path, b"gnu-name");
}

/// Writes `v` into a header field as GNU base-256.
fn base256(field: &mut [u8], v: i64) {
    let bytes = v.to_be_bytes();
    let fill = if v < 0 { 0xff } else { 0 };
    let n = field.len();
    field.fill(fill);
    field[n - 8..].copy_from_slice(&bytes);
    field[0] = if v < 0 { 0xff } else { 0x80 };
}

#[test]
fn base256_numbers() {
    let data = pattern(3, 1000);
    let mut h = gnu(EntryType::Regular, "huge-gnu", 0);
    h.set_uid(3_000_000);
    h.set_gid(3_000_001);
    let bytes = h.as_mut_bytes();
    base256(&mut bytes[124..136], 1000);
    base256(&mut bytes[136..148], -86400);
    let mut t = Tar::new();
    t.member(h, &data);
    let raw = t.finish();
    let entries = read_all(&raw).unwrap();
    let (e, got) = &entries[0];
    assert_eq!((e.uid, e.gid), (3_000_000, 3_000_001));
    assert_eq!(e.mtime, -86400);
    assert_eq!(e.size, 1000);
    assert_eq!(got, &data);
}

#[test]
fn type_detection_corner_cases() {
    let mut t = Tar::new();
    // '\0' with a trailing slash: directory; its data (if any) is skipped.
    t.member(
        with_typeflag(ustar(EntryType::Regular, "old-dir/", 3), 0),
        b"xyz",
    );
    t.member(
        with_typeflag(ustar(EntryType::Regular, "old-file", 2), 0),
        b"hi",
    );
    t.member(ustar(EntryType::new(b'7'), "contiguous", 1), b"c");
    let mut h = ustar(EntryType::Regular, "mode-dir", 5);
    h.set_mode(0o040_750);
    t.member(h, b"12345");
    t.member(ustar(EntryType::new(b'V'), "volume", 600), &[7u8; 600]);
    let mut h = ustar(EntryType::new(b'V'), "odd-but-reg", 2);
    h.set_mode(0o100_600);
    t.member(h, b"ok");
    // A header-only type with a size field: nothing follows it.
    let mut h = ustar(EntryType::Directory, "sized-dir", 0);
    h.set_size(100);
    t.member(h, b"");
    let mut h = ustar(EntryType::Regular, "special", 0);
    h.set_mode(0o107_755);
    t.member(h, b"");
    let entries = read_all(&t.finish()).unwrap();
    let got: Vec<(String, EntryKind, u64, Vec<u8>)> = entries
        .iter()
        .map(|(e, d)| {
            (
                String::from_utf8_lossy(&e.path).into_owned(),
                e.kind,
                e.size,
                d.clone(),
            )
        })
        .collect();
    let want = vec![
        ("old-dir/".to_string(), EntryKind::Directory, 0, vec![]),
        (
            "old-file".to_string(),
            EntryKind::Regular,
            2,
            b"hi".to_vec(),
        ),
        (
            "contiguous".to_string(),
            EntryKind::Regular,
            1,
            b"c".to_vec(),
        ),
        ("mode-dir".to_string(), EntryKind::Directory, 0, vec![]),
        (
            "volume".to_string(),
            EntryKind::Unsupported(b'V'),
            600,
            vec![],
        ),
        (
            "odd-but-reg".to_string(),
            EntryKind::Regular,
            2,
            b"ok".to_vec(),
        ),
        ("sized-dir".to_string(), EntryKind::Directory, 0, vec![]),
        ("special".to_string(), EntryKind::Regular, 0, vec![]),
    ];
    assert_eq!(got, want);
    assert_eq!(entries[3].0.mode, 0o750);
    assert_eq!(entries[7].0.mode, 0o7755);
}

#[test]
fn signed_checksum_is_accepted() {
    let mut h = ustar(EntryType::Regular, "caf\u{e9}", 0);
    let bytes = h.as_mut_bytes();
    bytes[148..156].fill(b' ');
    let signed: i64 = bytes.iter().map(|&b| i64::from(b as i8)).sum();
    let unsigned: i64 = bytes.iter().map(|&b| i64::from(b)).sum();
    assert_ne!(signed, unsigned, "the name has high-bit bytes");
    bytes[148..155].copy_from_slice(format!("{signed:06o}\0").as_bytes());
    let mut raw = bytes.to_vec();
    raw.resize(512 * 3, 0);
    let entries = read_all(&raw).unwrap();
    assert_eq!(entries[0].0.path, "caf\u{e9}".as_bytes());
}

#[test]
fn end_of_archive_variants() {
    let mut t = Tar::new();
    t.member(ustar(EntryType::Regular, "a", 1), b"a");
    let one = t.bytes.clone();
    // No end blocks at all: EOF at a block boundary after a member.
    assert_eq!(read_all(&one).unwrap().len(), 1);
    // One zero block then EOF.
    let mut z = one.clone();
    z.resize(one.len() + 512, 0);
    assert_eq!(read_all(&z).unwrap().len(), 1);
    // A lone zero block between members is skipped.
    let mut t2 = Tar::new();
    t2.raw(&one).raw(&[0u8; 512]);
    t2.member(ustar(EntryType::Regular, "b", 1), b"b");
    let two = t2.finish();
    let entries = read_all(&two).unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].0.header_offset, 3 * 512);
    // Whatever follows two zero blocks is not read.
    let mut trailing = t.finish();
    let end = trailing.len() as u64;
    trailing.extend_from_slice(&[0xAA; 700]);
    let mut r = TarReader::new(&trailing[..]);
    assert!(r.next_entry().unwrap().is_some());
    assert!(r.next_entry().unwrap().is_none());
    assert!(r.next_entry().unwrap().is_none());
    assert_eq!(r.position(), end);
}

#[test]
fn partial_reads_and_skips_track_position() {
    let a = pattern(1, 3000);
    let b = pattern(2, 10);
    let mut t = Tar::new();
    t.member(ustar(EntryType::Regular, "a", a.len() as u64), &a);
    t.member(ustar(EntryType::Regular, "b", b.len() as u64), &b);
    let raw = t.finish();
    let mut r = TarReader::new(&raw[..]);
    let ea = r.next_entry().unwrap().unwrap();
    assert_eq!(r.position(), 512);
    let mut buf = [0u8; 100];
    assert_eq!(r.read_data(&mut buf).unwrap(), 100);
    assert_eq!(&buf[..], &a[..100]);
    assert_eq!(r.position(), 612);
    let eb = r.next_entry().unwrap().unwrap();
    assert_eq!(eb.header_offset, 512 + 3072);
    assert_eq!(ea.segments[0].tar_offset, 512);
    r.skip_data().unwrap();
    assert_eq!(
        r.position(),
        512 + 3072 + 1024,
        "skip_data stops at the next header"
    );
    assert_eq!(r.read_data(&mut buf).unwrap(), 0);
    assert!(r.next_entry().unwrap().is_none());
}

#[test]
fn unused_header_fields_are_not_parsed() {
    // Garbage in devmajor of a regular file (as in TurboOCI tar meta) does not matter.
    let mut h: Header = ustar(EntryType::Regular, "f", 0);
    h.as_mut_bytes()[329..337].copy_from_slice(&1234i64.to_le_bytes());
    let mut t = Tar::new();
    t.member(h, b"");
    let entries = read_all(&t.finish()).unwrap();
    assert_eq!((entries[0].0.dev_major, entries[0].0.dev_minor), (0, 0));
}

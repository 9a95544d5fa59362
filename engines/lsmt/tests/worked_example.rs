//! §1.6 worked example in both modes, Appendix B header/trailer, and sealing.

use blockio::ReadAt;
use lsmt::{CommitOptions, CreateOptions, Header, LsmtFile, Record, RwLayer, Stack, Uuid, commit};

const MIB: u64 = 1 << 20;

fn pattern(offset: u64, len: u64, salt: u8) -> Vec<u8> {
    let mut v = vec![0u8; len as usize];
    for (i, sector) in v.chunks_mut(512).enumerate() {
        sector.fill((offset / 512 + i as u64) as u8 ^ salt);
    }
    v
}

type Mem = RwLayer<Vec<u8>, Vec<u8>>;

fn replay(sparse: bool) -> Mem {
    let opts = CreateOptions {
        virtual_size: 1 << 30,
        sparse,
        ..Default::default()
    };
    let mut l = RwLayer::create(Vec::new(), Vec::new(), &opts).unwrap();
    let w = |l: &mut Mem, off: u64, len: u64| l.write(off, &pattern(off, len, 0x5A)).unwrap();
    w(&mut l, 0, 4096);
    w(&mut l, MIB, MIB);
    w(&mut l, MIB + 4096, 512);
    w(&mut l, 10 * MIB, 6 * MIB);
    w(&mut l, 40 * MIB, 128 << 10);
    w(&mut l, 40 * MIB + (128 << 10), 128 << 10);
    l.discard(50 * MIB, 8192).unwrap();
    w(&mut l, 60 * MIB, 8 * MIB);
    w(&mut l, 68 * MIB, 8 * MIB);
    w(&mut l, 76 * MIB, 4 * MIB);
    for k in 0..3000 {
        w(&mut l, 100 * MIB + k * 4096, 4096);
    }
    l
}

fn options() -> CommitOptions {
    CommitOptions {
        uuid: Some(Uuid::parse("deadbeef-0001-0002-0003-00000000abcd").unwrap()),
        parent_uuid: Some(Uuid::parse("cafebabe-1111-2222-3333-444455556666").unwrap()),
        user_tag: b"hello-tag".to_vec(),
    }
}

fn rec(o: u64, l: u32, m: u64, z: bool) -> Record {
    if z {
        Record::zeroed(o, l, m)
    } else {
        Record::data(o, l, m)
    }
}

fn committed_records(out: &[u8]) -> Vec<Record> {
    let t = Header::decode(&out[out.len() - 4096..], 0).unwrap();
    let idx = &out[t.index_offset as usize..(t.index_offset + 16 * t.index_size) as usize];
    idx.chunks(16)
        .map(|c| Record::decode(c.try_into().unwrap()))
        .collect()
}

/// The device the writes describe, as a committed layer must present it.
fn check_reads(out: &[u8], l: &Mem) {
    let stack = Stack::new(vec![Box::new(LsmtFile::open(out).unwrap())]).unwrap();
    for (off, len) in [
        (0, 8192),
        (MIB - 4096, MIB + 8192),
        (10 * MIB, 6 * MIB),
        (100 * MIB, 2 * MIB),
    ] {
        let mut got = vec![0u8; len as usize];
        stack.read_exact_at(off, &mut got).unwrap();
        let mut want = vec![0u8; len as usize];
        l.read(off, &mut want).unwrap();
        assert_eq!(got, want, "range at {off}");
    }
}

#[test]
fn append_mode_worked_example() {
    let l = replay(false);
    let log: Vec<Record> = l.index()[4096..4096 + 8 * 16]
        .chunks(16)
        .map(|c| Record::decode(c.try_into().unwrap()))
        .collect();
    assert_eq!(
        log,
        vec![
            rec(0, 8, 8, false),
            rec(2048, 2048, 16, false),
            rec(2056, 1, 2064, false),
            rec(20480, 8192, 2065, false),
            rec(28672, 4096, 10257, false),
            rec(81920, 256, 14353, false),
            rec(82176, 256, 14609, false),
            rec(102400, 16, 14865, true),
        ]
    );
    let m = l.mappings();
    assert_eq!(
        &m[1..4],
        &[
            rec(2048, 8, 16, false),
            rec(2056, 1, 2064, false),
            rec(2057, 2039, 25, false)
        ]
    );

    let mut out = Vec::new();
    let s = commit(&l, &mut out, &options()).unwrap();
    let recs = committed_records(&out);
    assert_eq!(recs.len(), 256);
    assert_eq!(
        &recs[..10],
        &[
            rec(0, 8, 8, false),
            rec(2048, 2048, 16, false),
            rec(20480, 12288, 2064, false),
            rec(81920, 512, 14352, false),
            rec(102400, 16, 14864, true),
            rec(122880, 16320, 14864, false),
            rec(139200, 16320, 31184, false),
            rec(155520, 8320, 47504, false),
            rec(204800, 16376, 55824, false),
            rec(221176, 7624, 72200, false),
        ]
    );
    assert!(recs[10..].iter().all(|r| *r == Record::INVALID));
    assert_eq!(
        (s.records, s.index_size, s.index_offset),
        (10, 256, 40_869_888)
    );
    assert_eq!(out.len(), 40_878_080);
    check_appendix_b(&out);
    check_reads(&out, &l);
}

#[test]
fn sparse_mode_worked_example() {
    let l = replay(true);
    assert!(l.index().is_empty());
    let mut out = Vec::new();
    let s = commit(&l, &mut out, &options()).unwrap();
    let recs = committed_records(&out);
    assert_eq!(
        &recs[..9],
        &[
            rec(0, 8, 8, false),
            rec(2048, 2048, 16, false),
            rec(20480, 12288, 2064, false),
            rec(81920, 512, 14352, false),
            rec(122880, 16320, 14864, false),
            rec(139200, 16319, 31184, false),
            rec(155519, 8321, 47503, false),
            rec(204800, 16320, 55824, false),
            rec(221120, 7680, 72144, false),
        ]
    );
    assert!(recs[9..].iter().all(|r| *r == Record::INVALID));
    assert_eq!(
        (s.records, s.index_size, s.index_offset),
        (9, 256, 40_869_888)
    );
    assert_eq!(out.len(), 40_878_080);
    check_appendix_b(&out);
    check_reads(&out, &l);
}

/// Appendix B: header bytes, and the trailer's differing fields.
fn check_appendix_b(out: &[u8]) {
    let header = &out[..4096];
    assert_eq!(&header[..8], b"LSMT\0\x01\x02\0");
    assert_eq!(&header[24..32], &[0x86, 1, 0, 0, 7, 0, 0, 0]);
    assert_eq!(&header[48..56], &(1u64 << 30).to_le_bytes());
    assert_eq!(&header[56..93], b"DEADBEEF-0001-0002-0003-00000000ABCD\0");
    assert_eq!(&header[93..130], b"CAFEBABE-1111-2222-3333-444455556666\0");
    assert_eq!(&header[130..144], b"\0\0\x01\x01hello-tag\0");
    assert!(header[144..].iter().all(|&b| b == 0));
    let trailer = &out[out.len() - 4096..];
    assert_eq!(&trailer[..24], &header[..24]);
    assert_eq!(&trailer[24..32], &[0x86, 1, 0, 0, 6, 0, 0, 0]);
    assert_eq!(&trailer[32..40], &[0x00, 0xa0, 0x6f, 0x02, 0, 0, 0, 0]);
    assert_eq!(&trailer[40..48], &[0, 1, 0, 0, 0, 0, 0, 0]);
    assert_eq!(&trailer[48..], &header[48..]);
}

#[test]
fn sealed_file_reads_and_commits_like_the_rw_pair() {
    for sparse in [false, true] {
        let mut l = replay(sparse);
        // A sparse seal appends at vsize + 4096: keep the in-memory file small.
        l.set_virtual_size(120 * MIB).unwrap();
        let mut direct = Vec::new();
        commit(&l, &mut direct, &options()).unwrap();
        let mappings = l.mappings();
        let (sealed, _) = l.seal().unwrap();
        let ro = LsmtFile::open(&sealed[..]).unwrap();
        assert_eq!(ro.header().flags, if sparse { 0x13 } else { 0x03 });
        assert_eq!(ro.trailer().flags, if sparse { 0x16 } else { 0x06 });
        assert_eq!(ro.records(), &mappings[..]);
        let mut via_seal = Vec::new();
        commit(&ro, &mut via_seal, &options()).unwrap();
        assert_eq!(via_seal, direct);
    }
}

#[test]
fn sparse_reopen_splits_data_runs_at_16383_sectors() {
    let opts = CreateOptions {
        virtual_size: 1 << 30,
        sparse: true,
        ..Default::default()
    };
    let l = RwLayer::create(Vec::new(), Vec::new(), &opts).unwrap();
    let (data, index) = l.into_parts();
    // Runs as SEEK_DATA/SEEK_HOLE would report them: 4 KiB at device 0, 20 MiB at 60 MiB.
    let runs = [(4096, 8192), (4096 + 60 * MIB, 4096 + 80 * MIB)];
    let l = RwLayer::open_sparse(data.clone(), index.clone(), runs).unwrap();
    assert_eq!(
        l.mappings(),
        vec![
            rec(0, 8, 8, false),
            rec(122880, 16383, 122888, false),
            rec(139263, 16383, 139271, false),
            rec(155646, 8194, 155654, false),
        ]
    );
    assert!(RwLayer::open_sparse(data.clone(), index.clone(), [(0, 4096)]).is_err());
    assert!(RwLayer::open_append(data, index).is_err());
}

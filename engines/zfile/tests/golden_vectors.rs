//! Upstream-written ZFiles decode to their inputs; our writer matches their structure.

mod common;

use std::fs;
use std::io::Read;

use blockio::ReadAt;
use zfile::{Algorithm, HeaderBlock, Options, ZFileReader};

struct Vector {
    name: String,
    input: String,
    algorithm: Algorithm,
    block_size: u32,
}

/// `<input>.<algo>-<N>k.zfile` → input-<input>.bin, algorithm, block size.
fn vectors(dir: &std::path::Path) -> Vec<Vector> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir.join("zfile-vectors")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let Some(stem) = name.strip_suffix(".zfile") else {
            continue;
        };
        let (input, codec) = stem.rsplit_once('.').unwrap();
        let (algo, bs) = codec.split_once('-').unwrap();
        let algorithm = match algo {
            "lz4" => Algorithm::Lz4,
            "zstd" => Algorithm::Zstd,
            other => panic!("unknown codec {other} in {name}"),
        };
        let kib: u32 = bs.strip_suffix('k').unwrap().parse().unwrap();
        out.push(Vector {
            input: format!("input-{input}.bin"),
            name,
            algorithm,
            block_size: kib * 1024,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn read_all<R: ReadAt>(r: &R) -> Vec<u8> {
    let mut out = vec![0u8; r.size() as usize];
    // 4 KiB reads, like a block device, to exercise the block cache.
    for (i, chunk) in out.chunks_mut(4096).enumerate() {
        r.read_exact_at(i as u64 * 4096, chunk).unwrap();
    }
    out
}

#[test]
fn standalone_vectors_decode_and_have_the_spec_fields() {
    let Some(dir) = common::golden() else { return };
    let vs = vectors(&dir);
    assert_eq!(vs.len(), 19);
    for v in vs {
        let file = fs::read(dir.join("zfile-vectors").join(&v.name)).unwrap();
        let input = fs::read(dir.join("zfile-vectors").join(&v.input)).unwrap();
        let r = ZFileReader::open(&file[..]).unwrap_or_else(|e| panic!("{}: {e}", v.name));
        let h = r.header();
        assert_eq!(h.flags, 0x13, "{}", v.name);
        assert_eq!(
            (h.index_offset, h.index_size, h.original_file_size),
            (0, 0, 0)
        );
        let t = r.trailer().expect("trailer");
        assert_eq!(t.flags, 0x16, "{}", v.name);
        assert_eq!(t.size, 96);
        assert_eq!(t.block_size, v.block_size, "{}", v.name);
        assert_eq!(t.algo, v.algorithm.code(), "{}", v.name);
        assert_eq!((t.level, t.use_dict, t.dict_size, t.verify), (0, 0, 0, 1));
        assert_eq!(t.original_file_size, input.len() as u64);
        assert_eq!(
            t.index_size,
            (input.len() as u64).div_ceil(u64::from(v.block_size))
        );
        assert_eq!(t.index_offset + 4 * t.index_size + 512, file.len() as u64);
        assert_eq!(r.algorithm(), v.algorithm);
        assert_eq!(read_all(&r), input, "{}", v.name);
        r.verify_all().unwrap();
    }
}

#[test]
fn our_writer_matches_the_golden_structure_and_round_trips() {
    let Some(dir) = common::golden() else { return };
    for v in vectors(&dir) {
        let golden = fs::read(dir.join("zfile-vectors").join(&v.name)).unwrap();
        let input = fs::read(dir.join("zfile-vectors").join(&v.input)).unwrap();
        let golden = ZFileReader::open(&golden[..]).unwrap();
        let options = Options {
            algorithm: v.algorithm,
            block_size: v.block_size,
            verify: true,
            rewrite_header: false,
        };
        let (ours, summary) = common::compress(&input, options, 100_000);
        assert_eq!(summary.compressed_len, ours.len() as u64);
        assert_eq!(summary.original_len, input.len() as u64);
        let r = ZFileReader::open(&ours[..]).unwrap();
        assert_eq!(r.header().flags, golden.header().flags, "{}", v.name);
        let (gt, ot) = (golden.trailer().unwrap(), r.trailer().unwrap());
        let structural = |h: &HeaderBlock| {
            (
                h.size,
                h.flags,
                h.index_size,
                h.original_file_size,
                h.block_size,
                h.algo,
                h.verify,
            )
        };
        assert_eq!(structural(ot), structural(gt), "{}", v.name);
        assert_eq!(summary.blocks, gt.index_size);
        assert_eq!(read_all(&r), input, "{}", v.name);
    }
}

#[test]
fn commit_zfile_has_the_final_header_and_decodes_to_the_lsmt() {
    let Some(dir) = common::golden() else { return };
    let file = fs::read(dir.join("commit-vectors/layer.zfile")).unwrap();
    let mut lsmt = Vec::new();
    flate2::read::GzDecoder::new(&fs::read(dir.join("commit-vectors/layer.lsmt.gz")).unwrap()[..])
        .read_to_end(&mut lsmt)
        .unwrap();
    assert_eq!(lsmt.len(), 68_473_856);
    let r = ZFileReader::open(&file[..]).unwrap();
    assert!(r.index_from_header());
    let (h, t) = (r.header(), r.trailer().unwrap());
    assert_eq!((h.flags, t.flags), (0x1B, 0x16));
    assert_eq!(h.index_size, lsmt.len().div_ceil(4096) as u64);
    assert_eq!(h.original_file_size, lsmt.len() as u64);
    // Header and trailer agree from offset 40 on (spec Appendix B).
    let at40 = |b: &HeaderBlock| {
        (
            b.index_offset,
            b.index_size,
            b.original_file_size,
            b.index_crc,
            b.block_size,
            b.algo,
            b.verify,
        )
    };
    assert_eq!(at40(h), at40(t));
    assert_eq!(read_all(&r), lsmt);

    // Our commit-style writer: same structure, header rewritten as 0x1B.
    let (ours, _) = common::compress(&lsmt, Options::default(), 1 << 20);
    let o = ZFileReader::open(&ours[..]).unwrap();
    assert!(o.index_from_header());
    assert_eq!(o.header().flags, 0x1B);
    assert_eq!(o.trailer().unwrap().flags, 0x16);
    assert_eq!(at40(o.header()).1, h.index_size);
    assert_eq!(o.original_size(), lsmt.len() as u64);
    // The 4096-byte LSMT header block is mostly zeros; any LZ4 gets it near upstream's 150 bytes.
    assert!(o.jump_entries().next().unwrap() < 400);
    let mut first = vec![0u8; 8192];
    o.read_exact_at(0, &mut first).unwrap();
    assert_eq!(first, lsmt[..8192]);
}

#[test]
fn old_base_layer_with_garbage_header_opens_and_reads() {
    let Some(dir) = common::golden() else { return };
    let file = fs::File::open(dir.join("ext4_64")).unwrap();
    let r = ZFileReader::open(file).unwrap();
    assert_eq!(r.header().flags, 0x7ffe_a464_0b43);
    assert!(!r.index_from_header());
    assert_eq!(r.block_size(), 4096);
    assert_eq!(r.algorithm(), Algorithm::Lz4);
    assert!(r.verify());
    assert_eq!(r.original_size(), 541_937_664);
    assert_eq!(r.block_count(), 132_309);
    // The decompressed data is an LSMT file: "LSMT\0\1\2\0" header at 0, trailer magic at the end.
    let mut head = [0u8; 8];
    r.read_exact_at(0, &mut head).unwrap();
    assert_eq!(&head, b"LSMT\x00\x01\x02\x00");
    let mut tail = [0u8; 8];
    r.read_exact_at(r.original_size() - 4096, &mut tail)
        .unwrap();
    assert_eq!(&tail, b"LSMT\x00\x01\x02\x00");
    let mut mid = vec![0u8; 3 * 4096];
    r.read_exact_at(100 * 4096 + 17, &mut mid).unwrap();
    for block in [0, 1, 1000, 132_308] {
        let mut b = [0u8; 4096];
        assert_eq!(r.read_at(block * 4096, &mut b).unwrap(), 4096);
    }
}

#[test]
fn appendix_b_header_and_trailer_digests() {
    let header = HeaderBlock {
        size: 96,
        flags: 0x1B,
        index_offset: 14_480_975,
        index_size: 9_980,
        original_file_size: 40_878_080,
        index_crc: 0x0303_1532,
        block_size: 4096,
        algo: 1,
        verify: 1,
        ..HeaderBlock::default()
    };
    let b = header.encode();
    assert_eq!(HeaderBlock::parse(&b, 0).unwrap().digest, 0x4980_0967);
    assert_eq!(
        &b[..48],
        &[
            0x5a, 0x46, 0x69, 0x6c, 0x65, 0x00, 0x01, 0x00, 0x74, 0x75, 0x6a, 0x69, 0x2e, 0x79,
            0x79, 0x66, 0x40, 0x41, 0x6c, 0x69, 0x62, 0x61, 0x62, 0x61, 0x60, 0x00, 0x00, 0x00,
            0x67, 0x09, 0x80, 0x49, 0x1b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4f, 0xf6,
            0xdc, 0x00, 0x00, 0x00, 0x00, 0x00,
        ]
    );
    let trailer = HeaderBlock {
        flags: 0x16,
        ..header
    }
    .encode();
    assert_eq!(HeaderBlock::parse(&trailer, 0).unwrap().digest, 0xB940_DC43);
    assert_eq!(9_980, 40_878_080u64.div_ceil(4096));
}

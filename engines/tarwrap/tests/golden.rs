//! The wrapper reproduces upstream blobs byte for byte, and finds their payloads again.

use std::fs;
use std::io::{Cursor, Write};
use std::path::PathBuf;

use sha2::{Digest, Sha256};
use tarwrap::{TarWrapWriter, find_payload, plain_ustar_header, prefix, suffix_len};

fn golden() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/golden"
    ));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "note: {} is absent; skipping golden-data test",
            dir.display()
        );
        None
    }
}

fn wrap(payload: &[u8]) -> Vec<u8> {
    let mut w = TarWrapWriter::new(Cursor::new(Vec::new())).unwrap();
    // Written in pieces, as a ZFile writer would.
    for piece in payload.chunks(4100) {
        w.inner_mut().write_all(piece).unwrap();
    }
    let (cursor, len) = w.finish().unwrap();
    let out = cursor.into_inner();
    assert_eq!(len, out.len() as u64);
    out
}

#[test]
fn wrapping_the_commit_zfile_gives_the_commit_blob() {
    let Some(dir) = golden() else { return };
    let zfile = fs::read(dir.join("commit-vectors/layer.zfile")).unwrap();
    let commit = fs::read(dir.join("commit-vectors/layer.commit")).unwrap();
    let ours = wrap(&zfile);
    assert_eq!(ours.len(), commit.len());
    assert!(
        ours == commit,
        "wrapped layer.zfile differs from layer.commit"
    );
    assert_eq!(
        find_payload(&commit).unwrap(),
        Some((1536, zfile.len() as u64))
    );
    assert_eq!(find_payload(&zfile).unwrap(), None);
}

#[test]
fn wrapped_zfile_vectors_match_overlaybd_zfile_t() {
    let Some(dir) = golden() else { return };
    let dir = dir.join("zfile-vectors");
    for stem in ["text-1MiB.lz4-4k", "tar-1MiB.lz4-4k"] {
        let zfile = fs::read(dir.join(format!("{stem}.zfile"))).unwrap();
        let tar = fs::read(dir.join(format!("{stem}.tar"))).unwrap();
        assert!(wrap(&zfile) == tar, "{stem}: wrapper differs");
        assert_eq!(
            tar.len() as u64,
            1536 + zfile.len() as u64 + suffix_len(zfile.len() as u64)
        );
        let (offset, len) = find_payload(&tar).unwrap().unwrap();
        assert_eq!((offset, len), (1536, zfile.len() as u64));
        assert_eq!(&tar[1536..1536 + len as usize], &zfile[..]);
    }
}

#[test]
fn appendix_b_prefix_fields() {
    let p = prefix(14_521_407, 0o100644, "root", "root");
    assert_eq!(&p[..13], b"overlaybd.pax");
    assert!(
        p[100..124].iter().all(|&b| b == 0),
        "mode/uid/gid of the PAX header are NUL"
    );
    assert_eq!(&p[124..136], b"         21 ");
    assert!(p[136..148].iter().all(|&b| b == 0), "PAX mtime is NUL");
    assert_eq!(&p[148..156], b"  5351 \0");
    assert_eq!(p[156], b'x');
    assert_eq!(&p[257..265], b"ustar\x0000");
    assert_eq!(&p[512..529], b"17 size=14521407\n");
    assert!(p[529..1024].iter().all(|&b| b == 0));
    let m = &p[1024..];
    assert_eq!(&m[..17], b"overlaybd.commit\0");
    assert_eq!(&m[100..108], b"100644 \0");
    assert_eq!(&m[108..116], b"     0 \0");
    assert_eq!(&m[116..124], b"     0 \0");
    assert_eq!(&m[124..136], b"          0 ");
    assert_eq!(&m[136..148], b"          0 ");
    assert_eq!(&m[148..156], b" 12025 \0");
    assert_eq!(m[156], b'0');
    assert_eq!(&m[265..270], b"root\0");
    assert_eq!(&m[297..302], b"root\0");
    assert_eq!(1536 + 14_521_407 + suffix_len(14_521_407), 14_524_416);
}

#[test]
fn go_wrapped_base_layer_has_the_convertor_digest() {
    let Some(dir) = golden() else { return };
    let ext4 = fs::read(dir.join("ext4_64")).unwrap();
    let len = ext4.len() as u64;
    let mut blob = plain_ustar_header("overlaybd.commit", len, 0o444)
        .unwrap()
        .to_vec();
    blob.extend_from_slice(&ext4);
    blob.resize(blob.len() + suffix_len(len) as usize, 0);
    assert_eq!(blob.len(), 4_739_584);
    let digest: String = Sha256::digest(&blob)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        digest,
        "a8b5fca80efae55088290f3da8110d7742de55c2a378d5ab53226a483f390e21"
    );
    assert_eq!(find_payload(&blob).unwrap(), Some((512, len)));
}

//! Byte equality with upstream's commit of the golden RW pair.

use blockio::ReadAt;
use flate2::read::GzDecoder;
use lsmt::{CommitOptions, LsmtFile, RwLayer, Uuid, commit};
use std::io::Read;
use std::path::PathBuf;

fn golden_dir() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/golden/commit-vectors"
    ));
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("note: {} absent, skipping golden test", p.display());
        None
    }
}

fn gunzip(path: PathBuf) -> Vec<u8> {
    let mut out = Vec::new();
    GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn options() -> CommitOptions {
    CommitOptions {
        uuid: Some(Uuid::parse("50ea1e02-16fc-65c9-d22e-85427066eec1").unwrap()),
        parent_uuid: Some(Uuid::parse("71adf373-e55f-146c-8302-1edd1e96a44d").unwrap()),
        user_tag: Vec::new(),
    }
}

#[test]
fn commit_matches_upstream_and_reads_back() {
    let Some(dir) = golden_dir() else { return };
    let data = gunzip(dir.join("writable_data.gz"));
    let index = std::fs::read(dir.join("writable_index")).unwrap();
    let expected = gunzip(dir.join("layer.lsmt.gz"));
    assert_eq!(expected.len(), 68_473_856);

    let layer = RwLayer::open_append(data, index).unwrap();
    assert!(!layer.is_sparse());
    let mut out = Vec::with_capacity(expected.len());
    let summary = commit(&layer, &mut out, &options()).unwrap();
    assert_eq!(summary.output_len, out.len() as u64);
    assert_eq!(out.len(), expected.len());
    let first_diff = out.iter().zip(&expected).position(|(a, b)| a != b);
    assert_eq!(first_diff, None, "committed stream differs from upstream");

    // The reader sees, for every mapped sector, the RW data behind the append index.
    let ro = LsmtFile::open(&expected[..]).unwrap();
    assert_eq!(ro.virtual_size(), layer.virtual_size());
    assert_eq!(ro.trailer().index_size, summary.index_size);
    let stack = lsmt::Stack::new(vec![Box::new(LsmtFile::open(&expected[..]).unwrap())]).unwrap();
    let mut mapped = 0u64;
    for m in layer.mappings() {
        let len = m.length as usize * 512;
        let mut want = vec![0u8; len];
        layer
            .data()
            .read_exact_at(m.moffset * 512, &mut want)
            .unwrap();
        let mut got = vec![0u8; len];
        stack.read_exact_at(m.offset * 512, &mut got).unwrap();
        assert_eq!(got, want, "sectors at {}", m.offset);
        mapped += u64::from(m.length);
    }
    let ro_mapped: u64 = ro.records().iter().map(|r| u64::from(r.length)).sum();
    assert_eq!(mapped, ro_mapped);
}

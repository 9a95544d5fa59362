//! Damaged committed files give typed errors and never panic.

use blockio::ReadAt;
use lsmt::{
    CommitOptions, CreateOptions, Error, Header, LsmtFile, Record, RwLayer, Stack, WarpFile, commit,
};
use proptest::prelude::*;

/// A small committed layer: a few data records and one zeroed record.
fn sample() -> Vec<u8> {
    let opts = CreateOptions {
        virtual_size: 1 << 20,
        ..Default::default()
    };
    let mut l = RwLayer::create(Vec::new(), Vec::new(), &opts).unwrap();
    l.write(0, &[1; 4096]).unwrap();
    l.write(64 << 10, &[2; 40960]).unwrap();
    l.discard(8192, 4096).unwrap();
    let mut out = Vec::new();
    commit(&l, &mut out, &CommitOptions::default()).unwrap();
    out
}

fn trailer_at(f: &[u8]) -> usize {
    f.len() - 4096
}

fn set_trailer(f: &mut [u8], edit: impl FnOnce(&mut Header)) {
    let at = trailer_at(f);
    let mut t = Header::decode(&f[at..], 0).unwrap();
    edit(&mut t);
    f[at..].copy_from_slice(&t.encode());
}

fn set_record(f: &mut [u8], i: usize, r: Record) {
    let t = Header::decode(&f[trailer_at(f)..], 0).unwrap();
    let at = t.index_offset as usize + 16 * i;
    f[at..at + 16].copy_from_slice(&r.encode());
}

#[test]
fn sample_is_valid() {
    let f = LsmtFile::open(sample()).unwrap();
    assert_eq!(f.records().len(), 3);
    assert!(f.records()[1].zeroed);
}

#[test]
fn truncations_are_rejected() {
    let f = sample();
    for len in [0, 100, 4095, 4096, 8191, f.len() - 1, f.len() - 4096] {
        let r = LsmtFile::open(&f[..len]);
        assert!(
            matches!(
                r,
                Err(Error::TooShort { .. } | Error::BadMagic { .. } | Error::BadFlags { .. })
            ),
            "len {len}: {r:?}"
        );
    }
}

#[test]
fn header_and_trailer_faults() {
    let mut f = sample();
    f[0] = b'X';
    assert!(matches!(
        LsmtFile::open(&f[..]),
        Err(Error::BadMagic { at: 0 })
    ));

    let mut f = sample();
    f[28] = 0x06; // header bit cleared
    assert!(matches!(
        LsmtFile::open(&f[..]),
        Err(Error::BadFlags { at: 0, .. })
    ));

    let mut f = sample();
    set_trailer(&mut f, |t| t.flags = 0x02); // not sealed
    assert!(matches!(
        LsmtFile::open(&f[..]),
        Err(Error::BadFlags { .. })
    ));

    let mut f = sample();
    set_trailer(&mut f, |t| t.index_size = 1_000_001);
    assert!(matches!(
        LsmtFile::open(&f[..]),
        Err(Error::IndexTooLarge { .. })
    ));

    let mut f = sample();
    set_trailer(&mut f, |t| t.index_size = 257);
    assert!(matches!(
        LsmtFile::open(&f[..]),
        Err(Error::IndexOutOfRange { .. })
    ));

    let mut f = sample();
    set_trailer(&mut f, |t| t.index_offset = u64::MAX);
    assert!(matches!(
        LsmtFile::open(&f[..]),
        Err(Error::IndexOutOfRange { .. })
    ));
}

#[test]
fn record_faults() {
    let mut f = sample();
    set_record(&mut f, 1, Record::data(0, 8, 8)); // overlaps record 0
    assert!(matches!(
        LsmtFile::open(&f[..]),
        Err(Error::UnsortedRecords { index: 1 })
    ));

    let mut f = sample();
    set_record(&mut f, 2, Record::data(128, 80, 1 << 40));
    assert!(matches!(
        LsmtFile::open(&f[..]),
        Err(Error::MoffsetOutOfRange { index: 2, .. })
    ));

    let mut f = sample();
    set_record(&mut f, 0, Record::data(0, 8, 4)); // inside the header
    assert!(matches!(
        LsmtFile::open(&f[..]),
        Err(Error::MoffsetOutOfRange { index: 0, .. })
    ));

    // Padding records are dropped wherever they are.
    let mut f = sample();
    set_record(&mut f, 1, Record::INVALID);
    assert_eq!(LsmtFile::open(&f[..]).unwrap().records().len(), 2);
}

#[test]
fn misaligned_writes_and_too_many_layers() {
    let mut l = RwLayer::create(Vec::new(), Vec::new(), &CreateOptions::default()).unwrap();
    assert!(matches!(
        l.write(1, &[0; 512]),
        Err(Error::Misaligned { .. })
    ));
    assert!(matches!(
        l.write(512, &[0; 100]),
        Err(Error::Misaligned { .. })
    ));
    assert!(matches!(l.discard(0, 1), Err(Error::Misaligned { .. })));
    assert!(matches!(
        l.write(1 << 59, &[0; 512]),
        Err(Error::OutOfRange { .. })
    ));
    let f = sample();
    let layers: Vec<Box<dyn lsmt::Layer + '_>> = (0..256)
        .map(|_| Box::new(LsmtFile::open(&f[..]).unwrap()) as Box<dyn lsmt::Layer>)
        .collect();
    assert!(matches!(
        Stack::new(layers),
        Err(Error::TooManyLayers { count: 256 })
    ));
}

#[test]
fn open_append_rejects_bad_pairs() {
    let opts = CreateOptions {
        virtual_size: 1 << 20,
        ..Default::default()
    };
    let mut l = RwLayer::create(Vec::new(), Vec::new(), &opts).unwrap();
    l.write(0, &[7; 4096]).unwrap();
    let (data, index) = l.into_parts();
    // Data file shorter than the index says.
    let r = RwLayer::open_append(data[..4096 + 2048].to_vec(), index.clone());
    assert!(matches!(r, Err(Error::MoffsetOutOfRange { .. })), "{r:?}");
    // Index header given as data header.
    let r = RwLayer::open_append(index.clone(), index.clone());
    assert!(r.is_err());
    let ok = RwLayer::open_append(data, index).unwrap();
    assert_eq!(ok.mappings(), vec![Record::data(0, 8, 8)]);
}

/// Whatever `open` accepts must be readable without panicking.
fn exercise(bytes: &[u8]) {
    if let Ok(f) = LsmtFile::open(bytes) {
        let vsize = f.virtual_size();
        let extents: Vec<_> = f.records().to_vec();
        let stack = Stack::new(vec![Box::new(f)]).unwrap();
        let mut buf = vec![0u8; 8192];
        for r in extents.iter().take(8) {
            let _ = stack.read_at(r.offset.saturating_mul(512), &mut buf);
        }
        let _ = stack.read_at(vsize.saturating_sub(100), &mut buf);
        let _ = stack.mapped_extents();
    }
    if let Ok(w) = WarpFile::open(bytes, bytes) {
        let records: Vec<_> = w.records().to_vec();
        let stack = Stack::new(vec![Box::new(w)]).unwrap();
        let mut buf = vec![0u8; 4096];
        for r in records.iter().take(8) {
            let _ = stack.read_at(r.offset.saturating_mul(512), &mut buf);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn mutated_files_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut f = sample();
        // Bias edits towards the interesting bytes: header fields, index, trailer fields.
        let t = trailer_at(&f);
        let hot: Vec<usize> = (0..64).chain(t - 4096..t).chain(t..t + 64).collect();
        for (i, v) in &edits {
            let at = hot[i.index(hot.len())];
            f[at] = *v;
        }
        if truncate {
            f.truncate(cut.index(f.len()));
        }
        exercise(&f);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..10_000)) {
        exercise(&bytes);
        let _ = RwLayer::open_append(bytes.clone(), bytes.clone());
        let _ = lsmt::WarpLayer::open(bytes.clone(), bytes);
    }
}

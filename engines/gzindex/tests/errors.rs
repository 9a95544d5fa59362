//! Typed errors for corrupt index files, corrupt gzip streams and misuse.

mod common;

use blockio::ReadAt;
use gzindex::{Error, GzIndex, GzIndexReader, HEADER_SIZE, Header, IndexBuilder, WINDOW_SIZE};
use std::io::{self, Read};

fn sample() -> (Vec<u8>, GzIndex) {
    let gz = common::gzip(&common::mixed_data(1 << 20, 3), 6);
    let index = IndexBuilder::with_span(&gz[..], 65536)
        .unwrap()
        .finish()
        .unwrap();
    assert!(index.entries.len() >= 3);
    (gz, index)
}

/// Rewrites header fields and fixes the CRC so only the edited field is wrong.
fn patched(bytes: &[u8], edit: impl FnOnce(&mut Header)) -> Vec<u8> {
    let mut h = Header::decode(bytes.first_chunk().unwrap());
    edit(&mut h);
    h.crc = h.computed_crc();
    let mut out = bytes.to_vec();
    out[..HEADER_SIZE].copy_from_slice(&h.encode());
    out
}

#[test]
fn corrupt_index_files() {
    let (_, index) = sample();
    let good = index.to_bytes().unwrap();
    assert_eq!(GzIndex::from_bytes(&good).unwrap(), index);

    assert!(matches!(
        GzIndex::from_bytes(&good[..100]),
        Err(Error::IndexTooShort(100))
    ));
    let mut b = good.clone();
    b[0] = b'x';
    assert!(matches!(GzIndex::from_bytes(&b), Err(Error::BadMagic)));
    let mut b = good.clone();
    b[14] ^= 1;
    assert!(matches!(
        GzIndex::from_bytes(&b),
        Err(Error::HeaderCrc { .. })
    ));
    let b = patched(&good, |h| h.major_version = 2);
    assert!(matches!(
        GzIndex::from_bytes(&b),
        Err(Error::UnsupportedVersion(2))
    ));
    let b = patched(&good, |h| h.dict_compress_algo = 2);
    assert!(matches!(
        GzIndex::from_bytes(&b),
        Err(Error::UnknownAlgo(2))
    ));
    let b = patched(&good, |h| h.index_size = 28);
    assert!(matches!(
        GzIndex::from_bytes(&b),
        Err(Error::BadField {
            field: "index_size",
            ..
        })
    ));
    let b = patched(&good, |h| h.index_num = i64::MAX);
    assert!(matches!(
        GzIndex::from_bytes(&b),
        Err(Error::BadField {
            field: "index_num",
            ..
        })
    ));
    let b = patched(&good, |h| h.index_num -= 1);
    assert!(matches!(GzIndex::from_bytes(&b), Err(Error::BadTable(_))));
    let b = patched(&good, |h| h.index_start = i64::MAX);
    assert!(matches!(
        GzIndex::from_bytes(&b),
        Err(Error::IndexSizeMismatch { .. })
    ));
    let b = patched(&good, |h| h.index_start = 100);
    assert!(matches!(
        GzIndex::from_bytes(&b),
        Err(Error::BadField {
            field: "index_start",
            ..
        })
    ));
    let b = patched(&good, |h| h.span = 0);
    assert!(matches!(
        GzIndex::from_bytes(&b),
        Err(Error::BadField { field: "span", .. })
    ));
    let b = patched(&good, |h| h.gzip_file_size = 5);
    assert!(
        matches!(GzIndex::from_bytes(&b), Err(Error::BadEntry { reason, .. }) if reason.contains("en_pos"))
    );

    let mut b = good.clone();
    b.push(0);
    assert!(matches!(
        GzIndex::from_bytes(&b),
        Err(Error::IndexSizeMismatch { .. })
    ));
    let b = patched(&b, |h| h.index_file_size += 1);
    assert!(matches!(
        GzIndex::from_bytes(&b),
        Err(Error::IndexSizeMismatch { .. })
    ));

    // The Adler-32 at the end of the first window stream.
    let h = Header::decode(good.first_chunk().unwrap());
    let mut b = good.clone();
    let first_window_end = first_window_end(&good, &h);
    b[first_window_end - 1] ^= 0xFF;
    assert!(matches!(
        GzIndex::from_bytes(&b),
        Err(Error::BadWindow { entry: 0 })
    ));

    let mut b = good.clone();
    let last = b.len() - 1;
    b[last] ^= 0xFF;
    assert!(matches!(GzIndex::from_bytes(&b), Err(Error::BadTable(_))));
}

/// End offset of entry 0's window, found by re-encoding only the first checkpoint.
fn first_window_end(good: &[u8], h: &Header) -> usize {
    let idx = GzIndex::from_bytes(good).unwrap();
    let one = GzIndex {
        entries: idx.entries[..1].to_vec(),
        ..idx
    };
    let hb = one.to_bytes().unwrap();
    let h1 = Header::decode(hb.first_chunk().unwrap());
    assert!(h1.index_start <= h.index_start);
    h1.index_start as usize
}

#[test]
fn stored_dictionary_files_parse() {
    let (_, index) = sample();
    let mut body = vec![0u8; HEADER_SIZE];
    let mut table = Vec::new();
    for cp in &index.entries {
        table.extend_from_slice(&(cp.de_pos as i64).to_le_bytes());
        table.extend_from_slice(&(cp.en_pos as i64).to_le_bytes());
        table.extend_from_slice(&(body.len() as i64).to_le_bytes());
        table.push(cp.bits);
        table.extend_from_slice(&(WINDOW_SIZE as u32).to_le_bytes());
        body.extend_from_slice(&cp.window);
    }
    let index_start = body.len();
    body.extend_from_slice(&table);
    let zlib_form = index.to_bytes().unwrap();
    let b = patched(&zlib_form, |h| {
        h.dict_compress_algo = 0;
        h.index_start = index_start as i64;
        h.index_area_len = table.len() as i64;
        h.index_file_size = body.len() as i64;
    });
    body[..HEADER_SIZE].copy_from_slice(&b[..HEADER_SIZE]);
    assert_eq!(GzIndex::from_bytes(&body).unwrap(), index);

    let mut short = body.clone();
    let hdr = Header::decode(short.first_chunk().unwrap());
    short.truncate(short.len() - 1);
    let short = patched(&short, |h| {
        h.index_area_len = hdr.index_area_len - 1;
        h.index_file_size = hdr.index_file_size - 1;
    });
    assert!(matches!(
        GzIndex::from_bytes(&short),
        Err(Error::BadTable(_))
    ));
}

fn build_err(gz: &[u8]) -> Error {
    IndexBuilder::new(gz).unwrap().finish().unwrap_err()
}

#[test]
fn corrupt_gzip_streams() {
    let gz = common::gzip(&common::mixed_data(300_000, 4), 6);
    assert!(matches!(
        build_err(b"plainly not a gzip stream"),
        Error::BadHeader(_)
    ));
    assert!(matches!(build_err(b""), Error::Truncated));
    assert!(matches!(build_err(&gz[..5]), Error::Truncated));
    assert!(matches!(build_err(&gz[..gz.len() / 2]), Error::Truncated));
    assert!(matches!(build_err(&gz[..gz.len() - 1]), Error::Truncated));
    let mut bad_crc = gz.clone();
    let at = gz.len() - 8;
    bad_crc[at] ^= 1;
    assert!(matches!(build_err(&bad_crc), Error::BadTrailer(_)));
    let mut bad_len = gz.clone();
    let at = gz.len() - 1;
    bad_len[at] ^= 1;
    assert!(matches!(build_err(&bad_len), Error::BadTrailer(_)));
    let mut bad_block = gz.clone();
    bad_block[10] = 0xFF; // BTYPE 3 is reserved
    assert!(matches!(
        build_err(&bad_block),
        Error::Corrupt { offset: 10, .. }
    ));
    let mut bad_method = gz.clone();
    bad_method[2] = 7;
    assert!(matches!(build_err(&bad_method), Error::BadHeader(_)));
}

#[test]
fn errors_surface_through_read_then_poison() {
    let gz = common::gzip(&common::mixed_data(300_000, 5), 6);
    let mut b = IndexBuilder::new(&gz[..gz.len() / 2]).unwrap();
    let mut sink = Vec::new();
    let e = b.read_to_end(&mut sink).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    let inner = e.get_ref().and_then(|i| i.downcast_ref::<Error>());
    assert!(matches!(inner, Some(Error::Truncated)), "{e:?}");
    let e2 = b.read(&mut [0u8; 16]).unwrap_err();
    assert!(matches!(
        e2.get_ref().and_then(|i| i.downcast_ref::<Error>()),
        Some(Error::Poisoned)
    ));
    assert!(matches!(b.finish(), Err(Error::Poisoned)));
}

struct Failing;
impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::Error::new(io::ErrorKind::BrokenPipe, "gone"))
    }
}

#[test]
fn source_errors_and_bad_spans() {
    let e = IndexBuilder::new(Failing).unwrap().finish().unwrap_err();
    assert!(matches!(e, Error::Io(ref io) if io.kind() == io::ErrorKind::BrokenPipe));
    assert!(matches!(
        IndexBuilder::with_span(&b""[..], 1000),
        Err(Error::BadSpan(1000))
    ));
    assert!(matches!(
        IndexBuilder::with_span(&b""[..], u32::MAX),
        Err(Error::BadSpan(_))
    ));
}

#[test]
fn reader_checks_blob_size_and_detects_corruption() {
    let (gz, index) = sample();
    let short = &gz[..gz.len() - 1];
    assert!(matches!(
        GzIndexReader::new(index.clone(), short),
        Err(Error::GzipSizeMismatch { .. })
    ));
    let mut no_entries = index.clone();
    no_entries.entries.clear();
    assert!(matches!(
        GzIndexReader::new(no_entries, &gz[..]),
        Err(Error::NoCheckpoint)
    ));
    let mut short_window = index.clone();
    short_window.entries[1].window.pop();
    assert!(matches!(
        GzIndexReader::new(short_window.clone(), &gz[..]),
        Err(Error::BadWindow { entry: 1 })
    ));
    assert!(matches!(
        short_window.to_bytes(),
        Err(Error::BadWindow { entry: 1 })
    ));
    let mut many_bits = index.clone();
    many_bits.entries[2].bits = 9;
    assert!(matches!(
        GzIndexReader::new(many_bits, &gz[..]),
        Err(Error::BadEntry { entry: 2, .. })
    ));

    // Clobber the compressed data after the second checkpoint.
    let mut bad = gz.clone();
    let from = index.entries[1].en_pos as usize;
    bad[from..from + 64].fill(0xFF);
    let reader = GzIndexReader::new(index.clone(), &bad[..]).unwrap();
    let e = reader
        .read_at(index.entries[1].de_pos, &mut [0u8; 4096])
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidData);

    let mut late = index;
    late.entries.remove(0);
    let reader = GzIndexReader::new(late, &gz[..]).unwrap();
    let e = reader.read_at(0, &mut [0u8; 16]).unwrap_err();
    assert!(matches!(
        e.get_ref().and_then(|i| i.downcast_ref::<Error>()),
        Some(Error::NoCheckpointBefore(0))
    ));
}

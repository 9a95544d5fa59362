#![no_main]
//! Index building over arbitrary bytes, then reads through the resulting index.

use libfuzzer_sys::fuzz_target;
use std::io::Read;

/// Reads a few spots through the index-backed reader; errors are fine, panics are not.
fn read_some(gz: &[u8], idx: gzindex::GzIndex) {
    let size = idx.uncompress_file_size;
    if let Ok(reader) = gzindex::GzIndexReader::new(idx, gz) {
        let mut buf = [0u8; 4096];
        for off in [0, size / 3, size / 2, size.saturating_sub(1)] {
            if let Ok(n) = reader.read_at_checked(off, &mut buf) {
                assert!(n <= buf.len());
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(mut b) = gzindex::IndexBuilder::with_span(data, 65536) else { return };
    let mut out = Vec::new();
    let streamed = b.read_to_end(&mut out);
    if let Ok(idx) = b.finish() {
        assert!(streamed.is_ok());
        assert_eq!(idx.uncompress_file_size, out.len() as u64);
        assert_eq!(idx.gzip_file_size, data.len() as u64);
        read_some(data, idx);
    }
});

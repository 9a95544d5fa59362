#![no_main]
//! gzip.meta parsing: any bytes give a value or a typed error, and accepted files re-encode.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(idx) = gzindex::GzIndex::from_bytes(data) {
        let again = gzindex::GzIndex::from_bytes(&idx.to_bytes().expect("re-encode"));
        assert_eq!(again.expect("re-parse"), idx);
    }
});

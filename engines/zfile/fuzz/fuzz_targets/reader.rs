#![no_main]
//! Arbitrary bytes through open, positioned reads and verify_all must never panic.

use blockio::ReadAt;
use libfuzzer_sys::fuzz_target;
use zfile::ZFileReader;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = ZFileReader::open(data) {
        let mut buf = vec![0u8; 4096];
        let mut off = 0;
        while off < r.size().min(1 << 22) {
            if r.read_at(off, &mut buf).is_err() {
                break;
            }
            off += buf.len() as u64;
        }
        let _ = r.verify_all();
    }
});

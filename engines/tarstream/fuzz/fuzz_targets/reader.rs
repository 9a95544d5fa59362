#![no_main]
//! Any byte stream: the reader returns entries or a typed error, never panics, and every
//! entry consumes at least one block, so the walk ends.

use libfuzzer_sys::fuzz_target;
use tarstream::TarReader;

fuzz_target!(|data: &[u8]| {
    let mut r = TarReader::new(data);
    let mut entries = 0usize;
    while let Ok(Some(e)) = r.next_entry() {
        entries += 1;
        assert!(entries <= data.len() / 512 + 1);
        assert!(e.segments.iter().all(|s| s.len > 0));
        let mut buf = [0u8; 4096];
        while let Ok(n) = r.read_data(&mut buf) {
            if n == 0 {
                break;
            }
        }
    }
    assert!(r.position() <= data.len() as u64);
});

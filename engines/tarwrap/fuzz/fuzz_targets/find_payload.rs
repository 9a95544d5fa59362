#![no_main]
//! Arbitrary bytes must give Ok or a typed error, and any payload found must lie inside them.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some((offset, len))) = tarwrap::find_payload(data) {
        assert!(offset.checked_add(len).is_some_and(|end| end <= data.len() as u64));
    }
});

//! Arbitrary bytes as a layer tar: applying never panics and leaves the MemFs consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ociapply::memfs::MemFs;
use ociapply::{ApplyOptions, apply_layer};
use tarstream::TarReader;

fuzz_target!(|data: &[u8]| {
    let (meta_only, tar) = match data.split_first() {
        Some((flag, rest)) => (flag & 1 == 1, rest),
        None => (false, data),
    };
    let mut fs = MemFs::with_fragmentation(2);
    let _ = apply_layer(&mut fs, &mut TarReader::new(tar), &ApplyOptions { meta_only });
    if let Err(e) = fs.check() {
        panic!("inconsistent MemFs: {e}");
    }
});

//! Arbitrary bytes as a committed layer, a warp layer and a RW pair: never panic.
#![no_main]

use blockio::ReadAt;
use libfuzzer_sys::fuzz_target;
use lsmt::{LsmtFile, RwLayer, Stack, WarpFile, WarpLayer};

fuzz_target!(|data: &[u8]| {
    if let Ok(f) = LsmtFile::open(data) {
        let records = f.records().to_vec();
        let vsize = f.virtual_size();
        if let Ok(stack) = Stack::new(vec![Box::new(f)]) {
            let mut buf = vec![0u8; 8192];
            for r in records.iter().take(16) {
                let _ = stack.read_at(r.offset.saturating_mul(512), &mut buf);
            }
            let _ = stack.read_at(vsize.saturating_sub(4096), &mut buf);
        }
    }
    if let Ok(w) = WarpFile::open(data, data) {
        let records = w.records().to_vec();
        if let Ok(stack) = Stack::new(vec![Box::new(w)]) {
            let mut buf = vec![0u8; 4096];
            for r in records.iter().take(16) {
                let _ = stack.read_at(r.offset.saturating_mul(512), &mut buf);
            }
        }
    }
    if let Ok(l) = RwLayer::open_append(data.to_vec(), data.to_vec()) {
        let _ = l.mappings();
    }
    let _ = WarpLayer::open(data.to_vec(), data.to_vec());
});

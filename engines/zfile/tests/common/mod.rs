//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::io::Cursor;
use std::path::PathBuf;

use zfile::{Options, Summary, ZFileWriter};

/// The golden data directory beside the checkout, or None (with a note) when absent.
pub fn golden() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/golden"
    ));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "note: {} is absent; skipping golden-data test",
            dir.display()
        );
        None
    }
}

/// Compresses `data` with `options`, writing it in `chunk`-sized pieces.
pub fn compress(data: &[u8], options: Options, chunk: usize) -> (Vec<u8>, Summary) {
    let mut w = ZFileWriter::new(Cursor::new(Vec::new()), options).unwrap();
    for piece in data.chunks(chunk.max(1)) {
        std::io::Write::write_all(&mut w, piece).unwrap();
    }
    let (cursor, summary) = w.finish().unwrap();
    (cursor.into_inner(), summary)
}

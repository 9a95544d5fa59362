//! Shared test fixtures: the edge image (generated once per script version) and gzip helpers.
#![allow(dead_code)]

use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub fn shared_dir() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"));
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("note: {} is absent; skipping", p.display());
        None
    }
}

/// Output dir of `make-edge-image.py`, generated into a temp dir keyed by the script's content.
/// Generation goes to a private dir that is renamed into place, so concurrent test processes
/// never see a half-written image.
pub fn edge_image() -> Option<PathBuf> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        let shared = shared_dir()?;
        let script = shared.join("fixtures/make-edge-image.py");
        let text = std::fs::read(&script).ok()?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut h);
        let dir = std::env::temp_dir().join(format!("gzindex-edge-{:016x}", h.finish()));
        if dir.join("index.json").is_file() {
            return Some(dir);
        }
        let tmp = std::env::temp_dir().join(format!(
            "gzindex-edge-tmp-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&tmp);
        let status = std::process::Command::new("python3")
            .arg(&script)
            .arg(&tmp)
            .stdout(std::process::Stdio::null())
            .status()
            .ok()?;
        assert!(status.success(), "make-edge-image.py failed");
        if std::fs::rename(&tmp, &dir).is_err() {
            // Another process won the race; its copy is complete because rename is atomic.
            let _ = std::fs::remove_dir_all(&tmp);
        }
        assert!(dir.join("index.json").is_file());
        Some(dir)
    })
    .clone()
}

/// Source digests (hex) of the edge layers, in order, from golden/edge-turbo/layers.json.
pub fn edge_layer_digests(shared: &Path) -> Vec<String> {
    let json = std::fs::read_to_string(shared.join("golden/edge-turbo/layers.json")).unwrap();
    json.split("\"source_digest\": \"sha256:")
        .skip(1)
        .map(|s| s[..64].to_string())
        .collect()
}

/// The gzip blob of edge layer `i`.
pub fn edge_layer_blob(i: usize) -> Option<Vec<u8>> {
    let shared = shared_dir()?;
    let image = edge_image()?;
    let digest = &edge_layer_digests(&shared)[i];
    Some(std::fs::read(image.join("blobs/sha256").join(digest)).unwrap())
}

pub fn gzip(data: &[u8], level: u32) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn gunzip_first_member(gz: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// Deterministic xorshift generator for test data and offsets.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Several MiB mixing text-like runs, random bytes and zero runs, so deflate emits stored,
/// fixed and dynamic blocks of varied sizes.
pub fn mixed_data(len: usize, seed: u64) -> Vec<u8> {
    let mut r = Rng(seed | 1);
    let words: [&[u8]; 8] = [
        b"overlaybd ",
        b"gzip ",
        b"index ",
        b"checkpoint ",
        b"window\n",
        b"tar ",
        b"layer ",
        b"ext4 ",
    ];
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        let run = 1 + r.below(200_000) as usize;
        match r.below(4) {
            0 => (0..run).for_each(|_| out.push(r.next() as u8)),
            1 => out.resize(out.len() + run, 0),
            _ => {
                let end = out.len() + run;
                while out.len() < end {
                    out.extend_from_slice(words[r.below(8) as usize]);
                }
            }
        }
    }
    out.truncate(len);
    out
}

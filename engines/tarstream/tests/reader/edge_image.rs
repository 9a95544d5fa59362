//! The shared edge-case OCI image: every layer parses and matches expected-tree.json.

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use tarstream::{Entry, EntryKind, TarReader};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared");

/// The generated image, made once per test binary and cached in the temp dir under a name
/// derived from the generator's bytes (its output is deterministic).
fn edge_image() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        let script = Path::new(SHARED).join("fixtures/make-edge-image.py");
        let Ok(source) = std::fs::read(&script) else {
            eprintln!(
                "note: {} not found, edge image test skipped",
                script.display()
            );
            return None;
        };
        let digest = format!("{:x}", Sha256::digest(&source));
        let dir = std::env::temp_dir().join(format!("tarstream-edge-{}", &digest[..16]));
        if dir.join("expected-tree.json").exists() {
            return Some(dir);
        }
        let staging = dir.with_extension(format!("tmp{}", std::process::id()));
        let status = Command::new("python3").arg(&script).arg(&staging).output();
        match status {
            Ok(out) if out.status.success() => {}
            Ok(out) => panic!(
                "make-edge-image.py failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => {
                eprintln!("note: python3 unavailable ({e}), edge image test skipped");
                return None;
            }
        }
        // Another process may have won the race; its copy is identical.
        if std::fs::rename(&staging, &dir).is_err() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        Some(dir)
    })
    .as_deref()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the merged tree knows about one path: the entry that last wrote it and, for regular
/// files, the sha256 of the reconstructed content.
#[derive(Clone)]
struct Written {
    entry: Entry,
    sha256: Option<String>,
}

/// Streams one regular file: checks its bytes against the raw tar at each segment's
/// `tar_offset` and returns the sha256 of its logical content (holes as zeros).
fn file_sha256(r: &mut TarReader<&[u8]>, e: &Entry, raw: &[u8]) -> String {
    let mut h = Sha256::new();
    let zeros = vec![0u8; 1 << 16];
    let hash_zeros = |h: &mut Sha256, mut n: u64| {
        while n > 0 {
            let k = n.min(zeros.len() as u64) as usize;
            h.update(&zeros[..k]);
            n -= k as u64;
        }
    };
    let mut cursor = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    for s in &e.segments {
        hash_zeros(&mut h, s.file_offset - cursor);
        let mut left = s.len;
        let mut at = s.tar_offset as usize;
        while left > 0 {
            let want = left.min(buf.len() as u64) as usize;
            let n = r.read_data(&mut buf[..want]).unwrap();
            assert!(n > 0, "data ends early");
            assert_eq!(&buf[..n], &raw[at..at + n], "bytes at tar_offset {at}");
            h.update(&buf[..n]);
            at += n;
            left -= n as u64;
        }
        cursor = s.file_offset + s.len;
    }
    assert_eq!(
        r.read_data(&mut buf).unwrap(),
        0,
        "no stored bytes beyond the segments"
    );
    hash_zeros(&mut h, e.size - cursor);
    format!("{:x}", h.finalize())
}

/// `./a/b/` and `a/b` name the same path.
fn normalize(path: &[u8]) -> String {
    let s = String::from_utf8(path.to_vec()).expect("edge image names are UTF-8");
    let s = s.strip_prefix("./").unwrap_or(&s).trim_end_matches('/');
    format!("/{s}")
}

fn kind_name(k: EntryKind) -> &'static str {
    match k {
        EntryKind::Regular => "file",
        EntryKind::Directory => "dir",
        EntryKind::Symlink => "symlink",
        EntryKind::CharDevice => "char",
        EntryKind::BlockDevice => "block",
        EntryKind::Fifo => "fifo",
        EntryKind::HardLink => "hardlink",
        EntryKind::Unsupported(_) => "unsupported",
    }
}

#[test]
fn edge_image_layers_match_expected_tree() {
    let Some(dir) = edge_image() else { return };
    let expected: Value =
        serde_json::from_slice(&std::fs::read(dir.join("expected-tree.json")).unwrap()).unwrap();
    let layers = expected["image"]["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 4);
    let mut tree: HashMap<String, Written> = HashMap::new();
    let mut sparse_seen = false;
    for layer in layers {
        let digest = layer["digest"]
            .as_str()
            .unwrap()
            .strip_prefix("sha256:")
            .unwrap();
        let blob = std::fs::read(dir.join("blobs/sha256").join(digest)).unwrap();
        let mut raw = Vec::new();
        flate2::read::MultiGzDecoder::new(&blob[..])
            .read_to_end(&mut raw)
            .unwrap();
        assert_eq!(raw.len() as u64, layer["tar_size"].as_u64().unwrap());
        let diff_id = format!("sha256:{:x}", Sha256::digest(&raw));
        assert_eq!(diff_id, layer["diff_id"].as_str().unwrap());

        let mut r = TarReader::new(&raw[..]);
        let mut count = 0u64;
        while let Some(e) = r.next_entry().unwrap() {
            count += 1;
            let key = normalize(&e.path);
            let written = match e.kind {
                EntryKind::Regular => {
                    let sha256 = Some(file_sha256(&mut r, &e, &raw));
                    if key == "/files/sparse-16MiB" {
                        sparse_seen = true;
                        assert_eq!(e.size, 16 << 20);
                        assert_eq!(
                            e.segments.len(),
                            2,
                            "two data runs, the empty last run dropped"
                        );
                        assert_eq!(
                            (e.segments[1].file_offset, e.segments[1].len),
                            (8 << 20, 8192)
                        );
                    }
                    Written { entry: e, sha256 }
                }
                EntryKind::HardLink => {
                    let target = normalize(&e.link_target);
                    tree.get(&target)
                        .unwrap_or_else(|| panic!("link target {target}"))
                        .clone()
                }
                EntryKind::Unsupported(t) => panic!("unexpected typeflag {t} at {key}"),
                _ => Written {
                    entry: e,
                    sha256: None,
                },
            };
            tree.insert(key, written);
        }
        assert_eq!(
            count,
            layer["entries"].as_u64().unwrap(),
            "{}",
            layer["title"]
        );
        assert_eq!(r.position(), raw.len() as u64, "read up to the end blocks");
    }
    assert!(sparse_seen, "the image has its sparse member");

    let entries = expected["entries"].as_object().unwrap();
    for (path, want) in entries {
        let got = tree
            .get(path)
            .unwrap_or_else(|| panic!("{path} not in any layer"));
        let e = &got.entry;
        let ctx = format!("{path}: {e:?}");
        assert_eq!(kind_name(e.kind), want["type"].as_str().unwrap(), "{ctx}");
        assert_eq!(
            format!("{:04o}", e.mode),
            want["mode"].as_str().unwrap(),
            "{ctx}"
        );
        assert_eq!(u64::from(e.uid), want["uid"].as_u64().unwrap(), "{ctx}");
        assert_eq!(u64::from(e.gid), want["gid"].as_u64().unwrap(), "{ctx}");
        assert_eq!(e.mtime, want["mtime"].as_i64().unwrap(), "{ctx}");
        assert_eq!(
            u64::from(e.mtime_nsec),
            want["mtime_nsec"].as_u64().unwrap(),
            "{ctx}"
        );
        match e.kind {
            EntryKind::Regular => {
                assert_eq!(e.size, want["size"].as_u64().unwrap(), "{ctx}");
                assert_eq!(got.sha256.as_deref(), want["sha256"].as_str(), "{ctx}");
            }
            EntryKind::Symlink => {
                assert_eq!(
                    e.link_target,
                    want["target"].as_str().unwrap().as_bytes(),
                    "{ctx}"
                );
            }
            EntryKind::CharDevice | EntryKind::BlockDevice => {
                let rdev = &want["rdev"];
                assert_eq!(
                    u64::from(e.dev_major),
                    rdev["major"].as_u64().unwrap(),
                    "{ctx}"
                );
                assert_eq!(
                    u64::from(e.dev_minor),
                    rdev["minor"].as_u64().unwrap(),
                    "{ctx}"
                );
            }
            _ => {}
        }
        let want_x: Vec<(String, String)> = want
            .get("xattrs")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let got_x: Vec<(String, String)> = e
            .xattrs
            .iter()
            .map(|(k, v)| (String::from_utf8(k.clone()).unwrap(), hex(v)))
            .collect();
        assert_eq!(got_x, want_x, "{ctx}");
    }
    let huge = &tree["/owners/huge-gnu"].entry;
    assert_eq!((huge.uid, huge.gid), (3_000_000, 3_000_001));
    let sparse = &expected["entries"]["/files/sparse-16MiB"]["sha256"];
    assert_eq!(
        tree["/files/sparse-16MiB"].sha256.as_deref(),
        sparse.as_str()
    );
}

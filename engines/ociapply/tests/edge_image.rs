//! The shared edge-case image (4 gzip layers of tar corner cases) applied onto a MemFs must
//! give exactly the merged tree of its expected-tree.json.

mod common;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::Command;

use ociapply::memfs::{MemFs, Snapshot};
use ociapply::{ApplyOptions, FileType, apply_layer};
use serde_json::{Value, json};
use tarstream::TarReader;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared");

/// Generates the image into a directory private to this process (test binaries run in
/// parallel), renamed into place only when complete.
fn make_image() -> Option<PathBuf> {
    let script = Path::new(SHARED).join("fixtures/make-edge-image.py");
    if !script.exists() {
        eprintln!(
            "note: {} not found, edge image test skipped",
            script.display()
        );
        return None;
    }
    let base = std::env::temp_dir().join(format!("ociapply-edge-{}", std::process::id()));
    let tmp = base.with_extension("tmp");
    let _ = std::fs::remove_dir_all(&tmp);
    let _ = std::fs::remove_dir_all(&base);
    let st = Command::new("python3")
        .arg(&script)
        .arg(&tmp)
        .output()
        .expect("run python3");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    std::fs::rename(&tmp, &base).expect("rename image dir");
    Some(base)
}

fn kind_name(k: FileType) -> &'static str {
    match k {
        FileType::Regular => "file",
        FileType::Directory => "dir",
        FileType::Symlink => "symlink",
        FileType::CharDevice => "char",
        FileType::BlockDevice => "block",
        FileType::Fifo => "fifo",
        FileType::Socket => "socket",
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The snapshot in the JSON shape of expected-tree.json (without `nlink`, which the
/// verifier ignores, as hard-link groups are compared on their own).
fn as_json(s: &Snapshot) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for (p, e) in s {
        let mut v = json!({
            "type": kind_name(e.kind),
            "mode": format!("{:04o}", e.mode),
            "uid": e.uid,
            "gid": e.gid,
            "mtime": e.mtime.sec,
            "mtime_nsec": e.mtime.nsec,
        });
        let o = v.as_object_mut().unwrap();
        match e.kind {
            FileType::Regular => {
                o.insert("size".into(), json!(e.size));
                o.insert("sha256".into(), json!(hex(&e.sha256.unwrap_or_default())));
            }
            FileType::Symlink => {
                let t = String::from_utf8_lossy(e.target.as_deref().unwrap_or_default());
                o.insert("target".into(), json!(t));
                o.insert("size".into(), json!(e.size));
            }
            _ => {}
        }
        if let Some((major, minor)) = e.rdev {
            o.insert("rdev".into(), json!({"major": major, "minor": minor}));
        }
        if !e.xattrs.is_empty() {
            let x: serde_json::Map<String, Value> = e
                .xattrs
                .iter()
                .map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), json!(hex(v))))
                .collect();
            o.insert("xattrs".into(), Value::Object(x));
        }
        out.insert(String::from_utf8(p.clone()).expect("utf-8 path"), v);
    }
    out
}

fn groups(s: &Snapshot) -> Vec<Vec<String>> {
    let mut g: BTreeMap<&[u8], Vec<String>> = BTreeMap::new();
    for (p, e) in s {
        if let Some(first) = &e.hardlink_group {
            g.entry(first)
                .or_default()
                .push(String::from_utf8_lossy(p).into_owned());
        }
    }
    g.into_values().collect()
}

#[test]
fn edge_image_matches_expected_tree() {
    let Some(dir) = make_image() else { return };
    let doc: Value =
        serde_json::from_reader(File::open(dir.join("expected-tree.json")).unwrap()).unwrap();
    let mut fs = MemFs::new();
    let mut entries = 0;
    for layer in doc["image"]["layers"].as_array().unwrap() {
        let digest = layer["digest"]
            .as_str()
            .unwrap()
            .trim_start_matches("sha256:");
        let blob = File::open(dir.join("blobs/sha256").join(digest)).unwrap();
        let gz = flate2::read::GzDecoder::new(BufReader::new(blob));
        let mut tar = TarReader::new(BufReader::with_capacity(1 << 20, gz));
        let r = apply_layer(&mut fs, &mut tar, &ApplyOptions::default()).unwrap();
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        entries += r.entries;
        fs.check().unwrap();
    }
    let snap = fs.snapshot();
    let actual = as_json(&snap);
    let mut problems = Vec::new();
    let expected = doc["entries"].as_object().unwrap();
    for (p, want) in expected {
        let mut want = want.clone();
        want.as_object_mut().unwrap().remove("nlink");
        match actual.get(p) {
            None => problems.push(format!("missing {p}")),
            Some(got) if *got != want => problems.push(format!("{p}: want {want} got {got}")),
            Some(_) => {}
        }
    }
    for p in actual.keys().filter(|p| !expected.contains_key(*p)) {
        problems.push(format!("unexpected {p}"));
    }
    let want_groups: Vec<Vec<String>> =
        serde_json::from_value(doc["hardlink_groups"].clone()).unwrap();
    if groups(&snap) != want_groups {
        problems.push(format!(
            "hardlink groups {:?} != {want_groups:?}",
            groups(&snap)
        ));
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(entries > 10_000, "{entries} entries");
}

//! End to end: the shared edge-case image (4 gzip layers) applied from mkfs 64 GiB with the
//! ociapply rules; e2fsck clean, and the tree read back (through the engine, and through a
//! kernel loop mount when possible) equals expected-tree.json.

mod common;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use ext4::{Ext4, MkfsOptions};
use ociapply::{ApplyOptions, FileType, Filesystem, Ino, apply_layer};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tarstream::TarReader;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared");

fn make_image(into: &Path) -> Option<PathBuf> {
    let script = Path::new(SHARED).join("fixtures/make-edge-image.py");
    if !script.exists() {
        eprintln!(
            "note: {} not found, edge image test skipped",
            script.display()
        );
        return None;
    }
    let out = into.join("edge");
    let st = Command::new("python3")
        .arg(&script)
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    Some(out)
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

/// Walks the filesystem into the expected-tree.json entry shape (without nlink), plus the
/// paths of every inode reached more than once.
fn snapshot(fs: &mut Ext4<File>) -> (BTreeMap<String, Value>, Vec<Vec<String>>) {
    let mut out = BTreeMap::new();
    let mut by_ino: BTreeMap<Ino, Vec<String>> = BTreeMap::new();
    let mut stack = vec![("/".to_string(), fs.root())];
    while let Some((path, ino)) = stack.pop() {
        let st = fs.stat(ino as u32).unwrap();
        let mut v = json!({
            "type": kind_name(st.kind),
            "mode": format!("{:04o}", st.perm),
            "uid": st.uid,
            "gid": st.gid,
            "mtime": st.mtime.sec,
            "mtime_nsec": st.mtime.nsec,
        });
        let o = v.as_object_mut().unwrap();
        match st.kind {
            FileType::Regular => {
                let data = fs.read(ino as u32, 0, st.size as usize).unwrap();
                o.insert("size".into(), json!(st.size));
                o.insert("sha256".into(), json!(hex(&Sha256::digest(&data))));
                by_ino.entry(ino).or_default().push(path.clone());
            }
            FileType::Symlink => {
                let t = fs.read_link(ino).unwrap();
                o.insert("target".into(), json!(String::from_utf8_lossy(&t)));
                o.insert("size".into(), json!(st.size));
            }
            FileType::CharDevice | FileType::BlockDevice => {
                o.insert(
                    "rdev".into(),
                    json!({"major": st.rdev.0, "minor": st.rdev.1}),
                );
            }
            FileType::Directory => {
                for (name, child, _) in fs.list_dir(ino).unwrap() {
                    let name = String::from_utf8(name).unwrap();
                    if path == "/" && name == "lost+found" {
                        continue;
                    }
                    let p = if path == "/" {
                        format!("/{name}")
                    } else {
                        format!("{path}/{name}")
                    };
                    stack.push((p, child));
                }
            }
            _ => {}
        }
        let xattrs = fs.xattrs(ino as u32).unwrap();
        if !xattrs.is_empty() {
            let m: serde_json::Map<String, Value> = xattrs
                .iter()
                .map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), json!(hex(v))))
                .collect();
            o.insert("xattrs".into(), Value::Object(m));
        }
        out.insert(path, v);
    }
    let mut groups: Vec<Vec<String>> = by_ino
        .into_values()
        .filter(|g| g.len() > 1)
        .map(|mut g| {
            g.sort();
            g
        })
        .collect();
    groups.sort();
    (out, groups)
}

fn compare(doc: &Value, actual: &BTreeMap<String, Value>, groups: &[Vec<String>]) -> Vec<String> {
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
    let mut want_groups: Vec<Vec<String>> =
        serde_json::from_value(doc["hardlink_groups"].clone()).unwrap();
    for g in want_groups.iter_mut() {
        g.sort();
    }
    want_groups.sort();
    if groups != want_groups {
        problems.push(format!("hardlink groups {groups:?} != {want_groups:?}"));
    }
    problems
}

/// Loop-mounts the image read-only and runs the shared verifier on it (root only).
fn verify_mounted(img: &Path, work: &Path, expected: &Path) {
    let mnt = work.join("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    let m = Command::new("mount")
        .args(["-o", "ro,loop"])
        .arg(img)
        .arg(&mnt)
        .output();
    match m {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            eprintln!(
                "note: loop mount failed ({}); kernel check skipped",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            return;
        }
        Err(e) => {
            eprintln!("note: mount unavailable ({e}); kernel check skipped");
            return;
        }
    }
    let v = Command::new("python3")
        .arg(Path::new(SHARED).join("fixtures/verify-edge-image.py"))
        .arg("--compare")
        .arg(&mnt)
        .arg("--expected")
        .arg(expected)
        .args(["--ignore", "/lost+found"])
        .output()
        .unwrap();
    let _ = Command::new("umount").arg(&mnt).status();
    assert!(
        v.status.success(),
        "verify-edge-image on the kernel mount failed:\n{}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
}

#[test]
fn edge_image_applies_cleanly() {
    if !have_e2fsprogs() {
        eprintln!("e2fsprogs missing; skipping");
        return;
    }
    let work = TempDir::new("edge");
    let t = std::time::Instant::now();
    let Some(image) = make_image(&work.0) else {
        return;
    };
    eprintln!("image generated in {:?}", t.elapsed());
    let doc: Value =
        serde_json::from_reader(File::open(image.join("expected-tree.json")).unwrap()).unwrap();
    let img = work.path("fs.img");
    let size = 64 * GIB;
    let mut fs = Ext4::mkfs(sparse_file(&img, size), &MkfsOptions { size }).unwrap();
    let t = std::time::Instant::now();
    let mut tar_bytes = 0;
    for layer in doc["image"]["layers"].as_array().unwrap() {
        let digest = layer["digest"]
            .as_str()
            .unwrap()
            .trim_start_matches("sha256:");
        let blob = File::open(image.join("blobs/sha256").join(digest)).unwrap();
        let gz = flate2::read::GzDecoder::new(BufReader::new(blob));
        let mut tar = TarReader::new(BufReader::with_capacity(1 << 20, gz));
        let r = apply_layer(&mut fs, &mut tar, &ApplyOptions::default()).unwrap();
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        tar_bytes += layer["tar_size"].as_u64().unwrap_or(0);
    }
    let stats = fs.flush().unwrap();
    eprintln!(
        "applied {} MiB of tar in {:?}; flush wrote {} metadata blocks, {:?} in total",
        tar_bytes >> 20,
        t.elapsed(),
        stats.metadata_blocks_written,
        fs.stats()
    );
    let file = fs.into_inner().unwrap();
    if let Some(keep) = std::env::var_os("EXT4_KEEP_IMAGE") {
        // Debugging aid: keep a sparse copy of the applied image.
        Command::new("cp")
            .arg("--sparse=always")
            .arg(&img)
            .arg(keep)
            .status()
            .unwrap();
    }
    let t = std::time::Instant::now();
    assert_clean(&img);
    eprintln!("e2fsck took {:?}", t.elapsed());

    let mut fs = Ext4::open(file).unwrap();
    let (actual, groups) = snapshot(&mut fs);
    drop(fs);
    eprintln!("read back at {:?}", t.elapsed());
    let problems = compare(&doc, &actual, &groups);
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    verify_mounted(&img, &work.0, &image.join("expected-tree.json"));
}

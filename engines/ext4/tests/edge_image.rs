//! End to end: the shared edge-case image (4 gzip layers) applied from mkfs 64 GiB with the
//! ociapply rules; e2fsck clean, and the tree read back (through the engine, and through a
//! kernel loop mount when possible) equals expected-tree.json.

mod common;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use ext4::{Ext4, MkfsOptions};
use ociapply::{ApplyOptions, FileType, Filesystem, Ino, apply_layer};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tarstream::TarReader;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared");

/// The generated image, made once per test binary; removed by the last test using it.
fn image() -> Option<PathBuf> {
    static IMAGE: OnceLock<Option<PathBuf>> = OnceLock::new();
    IMAGE
        .get_or_init(|| {
            let script = Path::new(SHARED).join("fixtures/make-edge-image.py");
            if !script.exists() {
                eprintln!(
                    "note: {} not found, edge image test skipped",
                    script.display()
                );
                return None;
            }
            let out = std::env::temp_dir().join(format!("ext4-edge-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&out);
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
        })
        .clone()
}

const TESTS_USING_IMAGE: usize = 2;
static FINISHED: AtomicUsize = AtomicUsize::new(0);

fn done_with_image(dir: &Path) {
    if FINISHED.fetch_add(1, Ordering::SeqCst) + 1 == TESTS_USING_IMAGE {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The uncompressed tars of the image's layers, bottom first.
fn layers(image: &Path, doc: &Value) -> Vec<Vec<u8>> {
    doc["image"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|layer| {
            let digest = layer["digest"]
                .as_str()
                .unwrap()
                .trim_start_matches("sha256:");
            let blob = File::open(image.join("blobs/sha256").join(digest)).unwrap();
            let mut tar = Vec::new();
            flate2::read::GzDecoder::new(BufReader::new(blob))
                .read_to_end(&mut tar)
                .unwrap();
            tar
        })
        .collect()
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

/// Applies every layer (meta-only: then writes each mapped tar range where the engine put
/// it, as the TurboOCI read path would), checks e2fsck and compares the tree.
fn run(meta_only: bool) {
    if !have_e2fsprogs() {
        eprintln!("e2fsprogs missing; skipping");
        return;
    }
    let Some(image) = image() else { return };
    let doc: Value =
        serde_json::from_reader(File::open(image.join("expected-tree.json")).unwrap()).unwrap();
    let tars = layers(&image, &doc);
    let work = TempDir::new(if meta_only { "edge-meta" } else { "edge" });
    let img = work.path("fs.img");
    let size = 64 * GIB;
    let mut fs = Ext4::mkfs(sparse_file(&img, size), &MkfsOptions { size }).unwrap();
    let side = File::options().write(true).open(&img).unwrap();
    let t = std::time::Instant::now();
    let mut remote = 0;
    for tar_bytes in &tars {
        let mut tar = TarReader::new(&tar_bytes[..]);
        let r = apply_layer(&mut fs, &mut tar, &ApplyOptions { meta_only }).unwrap();
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        fs.flush().unwrap();
        for m in &r.remote {
            let src = &tar_bytes[m.tar_offset as usize..(m.tar_offset + m.len) as usize];
            side.write_all_at(src, m.device_offset).unwrap();
            remote += m.len;
        }
    }
    let total: usize = tars.iter().map(Vec::len).sum();
    eprintln!(
        "meta_only={meta_only}: applied {} MiB of tar in {:?}; {} MiB mapped remotely; {:?}",
        total >> 20,
        t.elapsed(),
        remote >> 20,
        fs.stats()
    );
    if meta_only {
        assert!(remote > 10 << 20, "only {remote} bytes mapped");
    }
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
    assert_clean(&img);

    let mut fs = Ext4::open(file).unwrap();
    let (actual, groups) = snapshot(&mut fs);
    drop(fs);
    let problems = compare(&doc, &actual, &groups);
    if problems.is_empty() && !meta_only {
        verify_mounted(&img, &work.0, &image.join("expected-tree.json"));
    }
    done_with_image(&image);
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn edge_image_applies_cleanly() {
    run(false);
}

#[test]
fn edge_image_meta_only_maps_the_tar() {
    run(true);
}

//! Opening images made by mke2fs like upstream's base layer (journal, uninit_bg with crc16
//! descriptor checksums, flex_bg 16, hash seed) and refusing unsupported features.

mod common;

use std::fs::File;
use std::path::Path;
use std::process::Command;

use common::*;
use ext4::{Ext4, Ext4Error};
use ociapply::{Attrs, Filesystem, Timestamp};

fn mke2fs(path: &Path, size: u64, features: &str) -> bool {
    if !Path::new("/usr/sbin/mke2fs").exists() {
        eprintln!("mke2fs missing; skipping");
        return false;
    }
    drop(sparse_file(path, size));
    let st = Command::new("/usr/sbin/mke2fs")
        .args([
            "-q", "-F", "-t", "ext4", "-b", "4096", "-I", "256", "-i", "16384", "-O", features,
        ])
        .args(["-E", "lazy_itable_init=1"])
        .arg(path)
        .status()
        .unwrap();
    assert!(st.success());
    true
}

fn open(path: &Path) -> Result<Ext4<File>, Ext4Error> {
    Ext4::open(File::options().read(true).write(true).open(path).unwrap())
}

fn attrs() -> Attrs {
    Attrs {
        mode: 0o644,
        uid: 1,
        gid: 2,
        mtime: Timestamp {
            sec: 1_000_000_000,
            nsec: 0,
        },
    }
}

#[test]
fn uninit_bg_base_layer_is_extended_cleanly() {
    let dir = TempDir::new("lower");
    let path = dir.path("base");
    if !mke2fs(
        &path,
        GIB,
        "^metadata_csum,^metadata_csum_seed,^orphan_file,uninit_bg",
    ) {
        return;
    }
    let before = dumpe2fs_h(&path);
    let mut fs = open(&path).unwrap();
    let root = fs.root();
    // More inodes than group 0 has: group 1 (INODE_UNINIT) gets initialised.
    let many = fs
        .mkdir(
            root,
            b"many",
            &Attrs {
                mode: 0o755,
                ..attrs()
            },
        )
        .unwrap();
    for i in 0..8300 {
        fs.create(many, format!("f{i}").as_bytes(), &attrs())
            .unwrap();
    }
    // More blocks than group 0 has: BLOCK_UNINIT groups get initialised.
    let big = fs.create(root, b"meta-only", &attrs()).unwrap();
    let runs = fs.allocate(big, 0, 400 << 20).unwrap();
    assert_eq!(runs.iter().map(|r| r.1).sum::<u64>(), 400 << 20);
    let small = fs.create(root, b"small", &attrs()).unwrap();
    fs.write(small, 0, b"on top of mke2fs").unwrap();
    fs.flush().unwrap();
    drop(fs);
    assert_clean(&path);
    let after = dumpe2fs_h(&path);
    assert!(field(&after, "Filesystem features").contains("has_journal"));
    assert_eq!(
        field(&after, "Journal backup"),
        field(&before, "Journal backup")
    );
    let dump = dir.path("small.out");
    debugfs(&path, &format!("dump /small {}", dump.display()));
    assert_eq!(std::fs::read(&dump).unwrap(), b"on top of mke2fs");
    let groups = Command::new("/usr/sbin/dumpe2fs")
        .arg(&path)
        .output()
        .unwrap();
    let groups = String::from_utf8_lossy(&groups.stdout);
    let g1 = groups.lines().find(|l| l.starts_with("Group 1:")).unwrap();
    assert!(
        !g1.contains("INODE_UNINIT") && !g1.contains("BLOCK_UNINIT"),
        "{g1}"
    );

    // Delete it all again.
    let mut fs = open(&path).unwrap();
    let root = fs.root();
    for i in 0..8300 {
        fs.unlink(many, format!("f{i}").as_bytes()).unwrap();
    }
    fs.rmdir(root, b"many").unwrap();
    fs.unlink(root, b"meta-only").unwrap();
    fs.unlink(root, b"small").unwrap();
    fs.flush().unwrap();
    drop(fs);
    assert_clean(&path);
    let end = dumpe2fs_h(&path);
    assert_eq!(field(&end, "Free blocks"), field(&before, "Free blocks"));
    assert_eq!(field(&end, "Free inodes"), field(&before, "Free inodes"));
}

#[test]
fn metadata_csum_is_refused_by_name() {
    let dir = TempDir::new("csum");
    let path = dir.path("img");
    if !mke2fs(&path, 256 << 20, "metadata_csum,^orphan_file") {
        return;
    }
    match open(&path) {
        Err(Ext4Error::UnsupportedFeature(names)) => {
            assert!(names.contains("metadata_csum"), "{names}")
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("metadata_csum image was accepted"),
    }
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    assert!(matches!(
        Ext4::open(vec![0u8; 1 << 20]),
        Err(Ext4Error::BadMagic)
    ));
}

//! mkfs at several sizes: e2fsck clean, superblock parameters per spec §3.4, little written.

mod common;

use common::*;
use ext4::{Ext4, MkfsOptions};

fn check_size(gib: u64, expect_rsv_gdt: u64, max_written: u64) {
    if !have_e2fsprogs() {
        eprintln!("e2fsprogs missing; skipping");
        return;
    }
    let dir = TempDir::new("mkfs");
    let path = dir.path("img");
    let file = sparse_file(&path, gib * GIB);
    let fs = Ext4::mkfs(file, &MkfsOptions { size: gib * GIB }).unwrap();
    let written = fs.stats().metadata_blocks_written * 4096;
    drop(fs.into_inner().unwrap());
    assert!(
        written < max_written,
        "{gib} GiB mkfs wrote {written} bytes"
    );
    assert!(allocated_bytes(&path) <= written + 4096 * 16);

    // e2fsck reads every inode table (no uninit_bg): about a minute at 256 GiB.
    if gib <= 64 || std::env::var_os("EXT4_FULL_FSCK").is_some() {
        assert_clean(&path);
    } else {
        eprintln!("skipping e2fsck at {gib} GiB (set EXT4_FULL_FSCK=1 to run it)");
    }
    let d = dumpe2fs_h(&path);
    let feats = field(&d, "Filesystem features");
    for f in [
        "ext_attr",
        "resize_inode",
        "dir_index",
        "filetype",
        "extent",
        "64bit",
        "flex_bg",
        "sparse_super2",
        "sparse_super",
        "large_file",
        "huge_file",
        "dir_nlink",
        "extra_isize",
    ] {
        assert!(
            feats.split_whitespace().any(|x| x == f),
            "missing {f} in {feats}"
        );
    }
    for f in ["has_journal", "uninit_bg", "metadata_csum"] {
        assert!(!feats.contains(f), "unexpected {f}");
    }
    let blocks = gib * GIB / 4096;
    assert_eq!(field(&d, "Block count"), blocks.to_string());
    assert_eq!(field(&d, "Inode count"), (blocks / 4).to_string());
    assert_eq!(
        field(&d, "Reserved block count"),
        (blocks * 5 / 100).to_string()
    );
    assert_eq!(field(&d, "Block size"), "4096");
    assert_eq!(field(&d, "Inode size"), "256");
    assert_eq!(field(&d, "Inodes per group"), "8192");
    assert_eq!(field(&d, "Reserved GDT blocks"), expect_rsv_gdt.to_string());
    assert_eq!(field(&d, "Filesystem UUID"), "<none>");
    assert_eq!(field(&d, "Default directory hash"), "half_md4");
    assert_eq!(field(&d, "Maximum mount count"), "-1");
    // log_groups_per_flex 0: dumpe2fs prints no flex group size.
    assert!(!d.contains("Flex block group size"));
    assert_eq!(field(&d, "Required extra isize"), "32");
    assert_eq!(field(&d, "First inode"), "11");
    assert!(field(&d, "Filesystem flags").contains("signed_directory_hash"));
    let groups = blocks / 32768;
    assert_eq!(
        field(&d, "Backup block groups"),
        format!("1 {}", groups - 1)
    );
    // No timestamps: dumpe2fs omits a zero creation time.
    assert!(!d.contains("Filesystem created"));
    let root = debugfs(&path, "stat /lost+found");
    assert!(root.contains("Mode:  0700"), "{root}");
    assert!(debugfs(&path, "stat /").contains("Mode:  0755"));
}

#[test]
fn mkfs_1g() {
    check_size(1, 127, 2 << 20);
}

#[test]
fn mkfs_8g() {
    check_size(8, 1023, 6 << 20);
}

#[test]
fn mkfs_64g() {
    check_size(64, 1024, 9 << 20);
}

#[test]
fn mkfs_256g() {
    check_size(256, 1024, 21 << 20);
}

#[test]
fn mkfs_is_deterministic_and_reopens() {
    let a = Ext4::mkfs(Vec::new(), &MkfsOptions { size: GIB })
        .unwrap()
        .into_inner()
        .unwrap();
    let b = Ext4::mkfs(Vec::new(), &MkfsOptions { size: GIB })
        .unwrap()
        .into_inner()
        .unwrap();
    assert!(a == b);
    let mut a = a;
    a.resize(GIB as usize, 0);
    let fs = Ext4::open(a).unwrap();
    assert!(fs.free_counts().1 == 65536 - 11);
}

#[test]
fn rejects_tiny_devices() {
    assert!(Ext4::mkfs(Vec::new(), &MkfsOptions { size: 1 << 20 }).is_err());
}

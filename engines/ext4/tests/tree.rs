//! A whole tree through the Filesystem trait: written, flushed, reopened and read back, checked
//! by e2fsck and debugfs, then mostly deleted with the space given back.

mod common;

use std::fs::File;

use common::*;
use ext4::{Ext4, MkfsOptions};
use ociapply::{Attrs, FileType, Filesystem, Ino, Timestamp};

const TS: Timestamp = Timestamp {
    sec: 1_700_000_000,
    nsec: 123_456_789,
};

fn attrs(mode: u32, uid: u32, gid: u32) -> Attrs {
    Attrs {
        mode,
        uid,
        gid,
        mtime: TS,
    }
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

const LONG_TARGET: &str =
    "some/quite/long/target/path/that/does/not/fit/into/the/sixty/byte/inode/area/at/all";
const BIG_DIR: usize = 20_000;

/// Builds the tree; returns the inode of `/small`.
fn populate(fs: &mut Ext4<File>) -> Ino {
    let root = fs.root();
    let dir1 = fs.mkdir(root, b"dir1", &attrs(0o1777, 1000, 1000)).unwrap();
    let big = fs.mkdir(root, b"big", &attrs(0o755, 0, 0)).unwrap();
    for i in 0..BIG_DIR {
        fs.create(big, format!("entry-{i:05}").as_bytes(), &attrs(0o644, 0, 0))
            .unwrap();
    }
    fs.mkdir(dir1, b"sub", &attrs(0o700, 5, 6)).unwrap();
    fs.create(root, b"empty", &attrs(0o600, 0, 0)).unwrap();
    let small = fs.create(root, b"small", &attrs(0o644, 0, 0)).unwrap();
    fs.write(small, 0, b"hello world\n").unwrap();
    fs.set_xattrs(small, &[(b"user.a".to_vec(), b"1".to_vec())])
        .unwrap();
    let chunked = fs
        .create(root, b"chunked", &attrs(0o4755, 100_000, 200_000))
        .unwrap();
    let data = pattern(3 << 20 | 12345, 7);
    for (i, c) in data.chunks(1 << 20).enumerate() {
        fs.write(chunked, (i as u64) << 20, c).unwrap();
    }
    fs.set_size(chunked, data.len() as u64).unwrap();
    let mut cap = vec![1u8, 0, 0, 2];
    cap.extend_from_slice(&[0x20, 0, 0, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    fs.set_xattrs(chunked, &[(b"security.capability".to_vec(), cap)])
        .unwrap();
    fs.set_xattrs(dir1, &[(b"user.big".to_vec(), pattern(2000, 1))])
        .unwrap();
    let sparse = fs.create(root, b"sparse", &attrs(0o644, 0, 0)).unwrap();
    fs.write(sparse, 0, &pattern(4096, 1)).unwrap();
    fs.write(sparse, 1 << 20, &pattern(4096, 2)).unwrap();
    fs.write(sparse, (10 << 20) + 5, &pattern(100, 3)).unwrap();
    let huge = fs.create(root, b"huge", &attrs(0o644, 0, 0)).unwrap();
    fs.write(huge, 5 * GIB + 3, b"beyond four gigabytes")
        .unwrap();
    fs.set_size(huge, 6 * GIB).unwrap();
    let mut late = attrs(0o644, 0, 0);
    late.mtime = Timestamp {
        sec: (1 << 31) + 1000,
        nsec: 5,
    };
    fs.set_attrs(huge, &late).unwrap();
    fs.symlink(root, b"fastlink", b"target/short", &attrs(0o777, 0, 0))
        .unwrap();
    fs.symlink(
        root,
        b"longlink",
        LONG_TARGET.as_bytes(),
        &attrs(0o777, 0, 0),
    )
    .unwrap();
    fs.mknod(
        root,
        b"null",
        FileType::CharDevice,
        1,
        3,
        &attrs(0o666, 0, 0),
    )
    .unwrap();
    fs.mknod(
        root,
        b"nvme",
        FileType::BlockDevice,
        259,
        300,
        &attrs(0o660, 0, 6),
    )
    .unwrap();
    fs.mknod(root, b"fifo", FileType::Fifo, 0, 0, &attrs(0o644, 0, 0))
        .unwrap();
    fs.mknod(root, b"sock", FileType::Socket, 0, 0, &attrs(0o755, 0, 0))
        .unwrap();
    fs.link(dir1, b"small-link", small).unwrap();
    small
}

fn lookup(fs: &mut Ext4<File>, path: &str) -> Ino {
    let mut ino = fs.root();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        ino = fs
            .lookup(ino, part.as_bytes())
            .unwrap()
            .unwrap_or_else(|| panic!("{path}"))
            .0;
    }
    ino
}

fn verify_through_trait(fs: &mut Ext4<File>) {
    let root = fs.root();
    let names: Vec<Vec<u8>> = fs
        .list_dir(root)
        .unwrap()
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(
        names.len(),
        14,
        "{:?}",
        names
            .iter()
            .map(|n| String::from_utf8_lossy(n))
            .collect::<Vec<_>>()
    );
    let big = lookup(fs, "/big");
    let list = fs.list_dir(big).unwrap();
    assert_eq!(list.len(), BIG_DIR);
    // After a reopen the order is the on-disk (hash) order; the names are all there.
    let mut names: Vec<Vec<u8>> = list.into_iter().map(|e| e.0).collect();
    names.sort();
    assert_eq!(names[123], b"entry-00123");
    assert!(fs.lookup(big, b"entry-19999").unwrap().is_some());
    let small = lookup(fs, "/small");
    assert_eq!(fs.read(small as u32, 0, 100).unwrap(), b"hello world\n");
    assert_eq!(lookup(fs, "/dir1/small-link"), small);
    let st = fs.stat(small as u32).unwrap();
    assert_eq!((st.links, st.mtime), (2, TS));
    assert_eq!(
        fs.xattrs(small as u32).unwrap(),
        vec![(b"user.a".to_vec(), b"1".to_vec())]
    );
    let chunked = lookup(fs, "/chunked") as u32;
    let st = fs.stat(chunked).unwrap();
    assert_eq!((st.perm, st.uid, st.gid), (0o4755, 100_000, 200_000));
    assert_eq!(
        fs.read(chunked, 0, 4 << 20).unwrap(),
        pattern(3 << 20 | 12345, 7)
    );
    let sparse = lookup(fs, "/sparse") as u32;
    let s = fs.read(sparse, 0, 11 << 20).unwrap();
    assert_eq!(s.len(), (10 << 20) + 105);
    assert_eq!(&s[4096..8192], &[0u8; 4096][..]);
    assert_eq!(&s[1 << 20..(1 << 20) + 4096], &pattern(4096, 2)[..]);
    assert_eq!(fs.stat(sparse).unwrap().blocks_512, 3 * 8);
    let huge = lookup(fs, "/huge") as u32;
    let st = fs.stat(huge).unwrap();
    assert_eq!(st.size, 6 * GIB);
    assert_eq!(st.mtime.sec, (1 << 31) + 1000);
    assert_eq!(
        fs.read(huge, 5 * GIB + 3, 21).unwrap(),
        b"beyond four gigabytes"
    );
    assert_eq!(
        {
            let i = lookup(fs, "/fastlink");
            fs.read_link(i)
        }
        .unwrap(),
        b"target/short"
    );
    assert_eq!(
        {
            let i = lookup(fs, "/longlink");
            fs.read_link(i)
        }
        .unwrap(),
        LONG_TARGET.as_bytes()
    );
    assert_eq!(
        {
            let i = lookup(fs, "/null");
            fs.stat(i as u32)
        }
        .unwrap()
        .rdev,
        (1, 3)
    );
    assert_eq!(
        {
            let i = lookup(fs, "/nvme");
            fs.stat(i as u32)
        }
        .unwrap()
        .rdev,
        (259, 300)
    );
    assert_eq!(
        {
            let i = lookup(fs, "/fifo");
            fs.file_type(i)
        }
        .unwrap(),
        FileType::Fifo
    );
    assert_eq!(
        {
            let i = lookup(fs, "/sock");
            fs.file_type(i)
        }
        .unwrap(),
        FileType::Socket
    );
    let dir1 = lookup(fs, "/dir1") as u32;
    assert_eq!(fs.stat(dir1).unwrap().perm, 0o1777);
    assert_eq!(fs.stat(dir1).unwrap().links, 3);
    assert_eq!(fs.xattrs(dir1).unwrap()[0].1, pattern(2000, 1));
    assert_eq!(fs.xattrs(chunked).unwrap()[0].0, b"security.capability");
}

fn verify_with_debugfs(path: &std::path::Path, dir: &TempDir) {
    let st = debugfs(path, "stat /chunked");
    assert!(st.contains("Mode:  04755"), "{st}");
    assert!(
        st.contains("User: 100000") && st.contains("Group: 200000"),
        "{st}"
    );
    assert!(st.contains("Size: 3158073"), "{st}");
    // 123456789 ns << 2 = 0x1d6f3454
    assert!(st.contains("mtime: 0x6553f100:1d6f3454"), "{st}");
    let extents = st
        .lines()
        .skip_while(|l| !l.starts_with("EXTENTS"))
        .nth(1)
        .unwrap_or("")
        .to_string();
    assert!(
        extents.split(',').count() <= 2,
        "chunked file fragmented: {extents}"
    );
    assert!(debugfs(path, "stat /null").contains("Device major/minor number: 01:03"));
    let nvme = debugfs(path, "stat /nvme");
    assert!(
        nvme.contains("Device major/minor number: 259:300"),
        "{nvme}"
    );
    assert!(debugfs(path, "stat /fastlink").contains("Fast link dest: \"target/short\""));
    assert!(debugfs(path, "stat /huge").contains("Size: 6442450944"));
    let ls = debugfs(path, "ls -l /");
    for n in [
        "dir1", "big", "empty", "small", "chunked", "sparse", "huge", "fastlink", "longlink",
        "null", "nvme", "fifo", "sock",
    ] {
        assert!(ls.contains(n), "{n} missing from {ls}");
    }
    let ea = debugfs(path, "ea_list /small");
    assert!(ea.contains("user.a") && ea.contains("\"1\""), "{ea}");
    assert!(debugfs(path, "ea_list /chunked").contains("security.capability"));
    let out = dir.path("dumped");
    debugfs(path, &format!("dump /chunked {}", out.display()));
    assert_eq!(std::fs::read(&out).unwrap(), pattern(3 << 20 | 12345, 7));
    debugfs(path, &format!("dump /longlink {}", out.display()));
}

#[test]
fn tree_round_trip_and_deletion() {
    if !have_e2fsprogs() {
        eprintln!("e2fsprogs missing; skipping");
        return;
    }
    let dir = TempDir::new("tree");
    let path = dir.path("img");
    let size = 8 * GIB;
    let mut fs = Ext4::mkfs(sparse_file(&path, size), &MkfsOptions { size }).unwrap();
    let mkfs_free = fs.free_counts();
    populate(&mut fs);
    let file = fs.into_inner().unwrap();

    let mut fs = Ext4::open(file).unwrap();
    verify_through_trait(&mut fs);
    drop(fs);
    assert_clean(&path);
    verify_with_debugfs(&path, &dir);

    let mut fs = Ext4::open(File::options().read(true).write(true).open(&path).unwrap()).unwrap();
    let root = fs.root();
    let big = lookup(&mut fs, "/big");
    for i in 0..BIG_DIR {
        fs.unlink(big, format!("entry-{i:05}").as_bytes()).unwrap();
    }
    fs.rmdir(root, b"big").unwrap();
    let dir1 = lookup(&mut fs, "/dir1");
    assert!(
        fs.rmdir(root, b"dir1").is_err(),
        "non-empty rmdir must fail"
    );
    fs.rmdir(dir1, b"sub").unwrap();
    fs.unlink(dir1, b"small-link").unwrap();
    fs.rmdir(root, b"dir1").unwrap();
    for n in [
        "empty", "small", "chunked", "sparse", "huge", "fastlink", "longlink", "null", "nvme",
        "fifo", "sock",
    ] {
        fs.unlink(root, n.as_bytes()).unwrap();
    }
    assert!(
        fs.list_dir(root)
            .unwrap()
            .iter()
            .all(|e| e.0 == b"lost+found")
    );
    fs.flush().unwrap();
    assert_eq!(fs.free_counts(), mkfs_free);
    drop(fs);
    assert_clean(&path);
    let d = dumpe2fs_h(&path);
    assert_eq!(field(&d, "Free blocks"), mkfs_free.0.to_string());
    assert_eq!(field(&d, "Free inodes"), mkfs_free.1.to_string());
}

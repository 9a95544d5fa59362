//! Heavily fragmented and sparse files: extent trees of depth 2 built, read back, shrunk and
//! freed, e2fsck clean at each step.

mod common;

use common::*;
use ext4::{Ext4, MkfsOptions};
use ociapply::{Attrs, Filesystem, Timestamp};

const EXTENTS: u64 = 1500;

fn attrs() -> Attrs {
    Attrs {
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtime: Timestamp { sec: 0, nsec: 0 },
    }
}

#[test]
fn depth_two_extent_tree_round_trip() {
    if !have_e2fsprogs() {
        eprintln!("e2fsprogs missing; skipping");
        return;
    }
    let dir = TempDir::new("frag");
    let path = dir.path("img");
    let mut fs = Ext4::mkfs(sparse_file(&path, GIB), &MkfsOptions { size: GIB }).unwrap();
    let free = fs.free_counts();
    let root = fs.root();
    let f = fs.create(root, b"frag", &attrs()).unwrap();
    // Every other block: 1500 separate extents need 5 leaves, so an index level (depth 2).
    for i in 0..EXTENTS {
        fs.write(f, i * 8192, &[(i % 251) as u8 + 1; 4096]).unwrap();
    }
    let file = fs.into_inner().unwrap();
    assert_clean(&path);
    let st = debugfs(&path, "stat /frag");
    assert!(st.contains("Blockcount: "), "{st}");
    let ex = debugfs(&path, "ex /frag");
    assert!(
        ex.lines().any(|l| l.trim_start().starts_with("2/")),
        "no depth-2 leaves:\n{ex}"
    );

    let mut fs = Ext4::open(file).unwrap();
    let data = fs.read(f as u32, 0, (EXTENTS * 8192) as usize).unwrap();
    for i in 0..EXTENTS as usize {
        assert_eq!(data[i * 8192], (i % 251) as u8 + 1);
        if let Some(&hole) = data.get(i * 8192 + 4096) {
            assert_eq!(hole, 0);
        }
    }
    // Shrink to three extents: the tree collapses into the inode.
    fs.set_size(f, 5 * 4096 + 10).unwrap();
    fs.flush().unwrap();
    drop(fs);
    assert_clean(&path);
    assert!(debugfs(&path, "stat /frag").contains("Size: 20490"));

    let mut fs = Ext4::open(
        std::fs::File::options()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(fs.read(f as u32, 4 * 4096, 20).unwrap()[..10], [3u8; 10]);
    fs.unlink(root, b"frag").unwrap();
    fs.flush().unwrap();
    assert_eq!(fs.free_counts(), free);
    drop(fs);
    assert_clean(&path);
}

//! Corrupted images give errors, never panics: open, walk, read and modify a small populated
//! filesystem with random bytes changed in its metadata.

use std::collections::HashSet;
use std::sync::OnceLock;

use ext4::{Ext4, MkfsOptions};
use ociapply::{Attrs, FileType, Filesystem, Ino, Timestamp};
use proptest::prelude::*;

const SIZE: u64 = 16 << 20;
/// The metadata of the small image lives in its first blocks.
const META_BYTES: usize = 100 * 4096;

fn attrs() -> Attrs {
    Attrs {
        mode: 0o755,
        uid: 1,
        gid: 1,
        mtime: Timestamp { sec: 1, nsec: 2 },
    }
}

fn base_image() -> &'static Vec<u8> {
    static IMG: OnceLock<Vec<u8>> = OnceLock::new();
    IMG.get_or_init(|| {
        let mut fs = Ext4::mkfs(vec![0u8; SIZE as usize], &MkfsOptions { size: SIZE }).unwrap();
        let root = fs.root();
        let d = fs.mkdir(root, b"d", &attrs()).unwrap();
        for i in 0..300 {
            fs.create(d, format!("name-{i}").as_bytes(), &attrs())
                .unwrap();
        }
        let f = fs.create(root, b"f", &attrs()).unwrap();
        fs.write(f, 0, &[5u8; 20000]).unwrap();
        fs.set_xattrs(f, &[(b"user.x".to_vec(), vec![1u8; 300])])
            .unwrap();
        fs.symlink(root, b"s", &[b'a'; 100], &attrs()).unwrap();
        fs.mknod(root, b"c", FileType::CharDevice, 4, 5, &attrs())
            .unwrap();
        fs.into_inner().unwrap()
    })
}

/// Visits everything reachable, reading a little of each inode; errors are fine.
fn walk(fs: &mut Ext4<Vec<u8>>) {
    let mut seen = HashSet::new();
    let mut stack: Vec<Ino> = vec![fs.root()];
    while let Some(ino) = stack.pop() {
        if !seen.insert(ino) || seen.len() > 2000 {
            continue;
        }
        let _ = fs.stat(ino as u32);
        let _ = fs.xattrs(ino as u32);
        match fs.file_type(ino) {
            Ok(FileType::Directory) => {
                if let Ok(list) = fs.list_dir(ino) {
                    stack.extend(list.into_iter().map(|e| e.1));
                }
            }
            Ok(FileType::Symlink) => {
                let _ = fs.read_link(ino);
            }
            Ok(FileType::Regular) => {
                let _ = fs.read(ino as u32, 0, 1 << 16);
            }
            _ => {}
        }
    }
}

fn exercise(img: Vec<u8>) {
    let Ok(mut fs) = Ext4::open(img) else {
        return;
    };
    walk(&mut fs);
    let root = fs.root();
    if let Ok(n) = fs.create(root, b"new", &attrs()) {
        let _ = fs.write(n, 3, &[9u8; 9000]);
        let _ = fs.set_xattrs(n, &[(b"user.y".to_vec(), vec![2u8; 900])]);
    }
    let _ = fs.unlink(root, b"f");
    let _ = fs.unlink(root, b"s");
    if let Ok(Some((d, _))) = fs.lookup(root, b"d") {
        let _ = fs.unlink(d, b"name-7");
        let _ = fs.mkdir(d, b"sub", &attrs());
    }
    let _ = fs.flush();
}

#[test]
fn untouched_image_walks_cleanly() {
    let mut fs = Ext4::open(base_image().clone()).unwrap();
    walk(&mut fs);
    let root = fs.root();
    let d = fs.lookup(root, b"d").unwrap().unwrap().0;
    assert_eq!(fs.list_dir(d).unwrap().len(), 300);
}

/// 256 by default; EXT4_FUZZ_CASES runs a longer campaign.
fn cases() -> u32 {
    std::env::var("EXT4_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]
    #[test]
    fn corrupted_metadata_never_panics(edits in prop::collection::vec((0..META_BYTES, any::<u8>()), 1..6)) {
        let mut img = base_image().clone();
        for (off, b) in edits {
            img[off] ^= b | 1;
        }
        exercise(img);
    }
}

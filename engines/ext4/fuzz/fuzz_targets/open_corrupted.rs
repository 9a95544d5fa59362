//! Opens, walks and modifies a small populated image with fuzzer-chosen bytes XORed into its
//! metadata; any outcome but a panic is fine.
#![no_main]

use std::collections::HashSet;
use std::sync::OnceLock;

use ext4::{Ext4, MkfsOptions};
use libfuzzer_sys::fuzz_target;
use ociapply::{Attrs, FileType, Filesystem, Timestamp};

const SIZE: u64 = 16 << 20;
const META_BYTES: usize = 200 * 4096;

fn attrs() -> Attrs {
    Attrs {
        mode: 0o755,
        uid: 1,
        gid: 1,
        mtime: Timestamp { sec: 1, nsec: 2 },
    }
}

fn base() -> &'static Vec<u8> {
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
        fs.into_inner().unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let mut img = base().clone();
    for c in data.chunks_exact(4) {
        let off = u32::from_le_bytes([c[0], c[1], c[2], 0]) as usize % META_BYTES;
        img[off] ^= c[3];
    }
    let Ok(mut fs) = Ext4::open(img) else { return };
    let mut seen = HashSet::new();
    let mut stack = vec![fs.root()];
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
    let root = fs.root();
    if let Ok(n) = fs.create(root, b"new", &attrs()) {
        let _ = fs.write(n, 3, &[9u8; 9000]);
    }
    let _ = fs.unlink(root, b"f");
    let _ = fs.flush();
});

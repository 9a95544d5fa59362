//! Layered devices: mkfs into one overlay layer, open over it and record a second, small layer;
//! the merged device stays e2fsck clean. Also determinism of the written bytes.

mod common;

use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;

use blockio::{ReadAt, WriteAt};
use common::*;
use ext4::{Ext4, MkfsOptions};
use ociapply::{Attrs, FileType, Filesystem, Timestamp};

const BS: u64 = 4096;
type Layer = BTreeMap<u64, Box<[u8]>>;

/// Reads fall through the upper layer to the lowers (top first) and then zeros; writes go to
/// the upper layer in whole blocks.
struct Overlay {
    size: u64,
    lowers: Vec<Arc<Layer>>,
    upper: Layer,
}

impl Overlay {
    fn new(size: u64, lowers: Vec<Arc<Layer>>) -> Self {
        Overlay {
            size,
            lowers,
            upper: Layer::new(),
        }
    }
    fn block(&self, b: u64) -> Option<&[u8]> {
        if let Some(d) = self.upper.get(&b) {
            return Some(d);
        }
        self.lowers
            .iter()
            .rev()
            .find_map(|l| l.get(&b).map(|d| &**d))
    }
}

impl ReadAt for Overlay {
    fn size(&self) -> u64 {
        self.size
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        if offset >= self.size {
            return Ok(0);
        }
        let n = buf.len().min((self.size - offset) as usize);
        let mut done = 0;
        while done < n {
            let pos = offset + done as u64;
            let (b, within) = (pos / BS, (pos % BS) as usize);
            let take = (BS as usize - within).min(n - done);
            match self.block(b) {
                Some(d) => buf[done..done + take].copy_from_slice(&d[within..within + take]),
                None => buf[done..done + take].fill(0),
            }
            done += take;
        }
        Ok(n)
    }
}

impl WriteAt for Overlay {
    fn write_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()> {
        assert!(
            offset.is_multiple_of(BS) && (buf.len() as u64).is_multiple_of(BS),
            "unaligned write {offset}+{}",
            buf.len()
        );
        for (i, c) in buf.chunks(BS as usize).enumerate() {
            self.upper.insert(offset / BS + i as u64, c.into());
        }
        Ok(())
    }
}

fn attrs(mode: u32) -> Attrs {
    Attrs {
        mode,
        uid: 0,
        gid: 0,
        mtime: Timestamp {
            sec: 1_600_000_000,
            nsec: 0,
        },
    }
}

fn materialize(path: &std::path::Path, size: u64, layers: &[&Layer]) {
    let mut f = sparse_file(path, size);
    for l in layers {
        for (b, d) in l.iter() {
            f.write_at(b * BS, d).unwrap();
        }
    }
}

#[test]
fn second_layer_records_only_changed_blocks() {
    let size = 64 * GIB;
    let fs = Ext4::mkfs(Overlay::new(size, vec![]), &MkfsOptions { size }).unwrap();
    let base = Arc::new(fs.into_inner().unwrap().upper);
    assert!(base.len() < 2100, "mkfs wrote {} blocks", base.len());

    let mut fs = Ext4::open(Overlay::new(size, vec![base.clone()])).unwrap();
    let root = fs.root();
    let f = fs.create(root, b"hello.txt", &attrs(0o644)).unwrap();
    fs.write(f, 0, b"hello, layer two\n").unwrap();
    let upper1 = Arc::new(fs.into_inner().unwrap().upper);
    eprintln!(
        "mkfs layer {} blocks, one-file layer {} blocks",
        base.len(),
        upper1.len()
    );
    assert!(
        upper1.len() < 50,
        "adding one file wrote {} blocks",
        upper1.len()
    );

    // A third layer with a bit of everything, including a deletion of the lower file.
    let mut fs = Ext4::open(Overlay::new(size, vec![base.clone(), upper1.clone()])).unwrap();
    let root = fs.root();
    let d = fs.mkdir(root, b"etc", &attrs(0o755)).unwrap();
    let g = fs.create(d, b"big", &attrs(0o600)).unwrap();
    fs.write(g, 0, &vec![7u8; 3 << 20]).unwrap();
    fs.symlink(root, b"link", b"etc/big", &attrs(0o777))
        .unwrap();
    fs.mknod(d, b"null", FileType::CharDevice, 1, 3, &attrs(0o666))
        .unwrap();
    fs.unlink(root, b"hello.txt").unwrap();
    let upper2 = fs.into_inner().unwrap().upper;
    let data_blocks = (3 << 20) / BS as usize;
    assert!(
        upper2.len() < data_blocks + 50,
        "third layer wrote {} blocks",
        upper2.len()
    );

    if !have_e2fsprogs() {
        eprintln!("e2fsprogs missing; skipping e2fsck of the merged device");
        return;
    }
    let dir = TempDir::new("layers");
    let path = dir.path("merged");
    materialize(&path, size, &[&base, &upper1, &upper2]);
    assert_clean(&path);
    assert!(debugfs(&path, "ls -l /etc").contains("big"));
    assert!(!debugfs(&path, "ls -l /").contains("hello.txt"));
}

fn scripted_run() -> (Layer, Layer) {
    let size = 8 * GIB;
    let fs = Ext4::mkfs(Overlay::new(size, vec![]), &MkfsOptions { size }).unwrap();
    let base = Arc::new(fs.into_inner().unwrap().upper);
    let mut fs = Ext4::open(Overlay::new(size, vec![base.clone()])).unwrap();
    let root = fs.root();
    for i in 0..300u32 {
        let d = fs
            .mkdir(root, format!("d{i}").as_bytes(), &attrs(0o755))
            .unwrap();
        let f = fs.create(d, b"f", &attrs(0o644)).unwrap();
        fs.write(f, 0, &vec![i as u8; (i as usize * 977) % 70_000])
            .unwrap();
        fs.set_xattrs(f, &[(b"user.i".to_vec(), i.to_le_bytes().to_vec())])
            .unwrap();
        if i % 3 == 0 {
            fs.unlink(d, b"f").unwrap();
        }
    }
    let upper = fs.into_inner().unwrap().upper;
    (Arc::try_unwrap(base).unwrap(), upper)
}

#[test]
fn same_operations_give_identical_bytes() {
    let a = scripted_run();
    let b = scripted_run();
    assert!(a.0 == b.0, "mkfs layers differ");
    assert!(a.1 == b.1, "applied layers differ");
    assert!(!a.1.is_empty());
}

//! Same filesystem state and tar give the same sequence of filesystem calls.

mod common;
use common::*;
use ociapply::memfs::MemFs;
use ociapply::{ApplyOptions, Attrs, FileType, Filesystem, FsResult, Ino, apply_layer};
use tarstream::TarReader;

/// Forwards to a MemFs and logs every call with its arguments.
struct Recording {
    fs: MemFs,
    log: Vec<String>,
}

impl Filesystem for Recording {
    fn root(&self) -> Ino {
        self.fs.root()
    }
    fn lookup(&mut self, dir: Ino, name: &[u8]) -> FsResult<Option<(Ino, FileType)>> {
        self.log.push(format!("lookup {dir} {name:?}"));
        self.fs.lookup(dir, name)
    }
    fn file_type(&mut self, ino: Ino) -> FsResult<FileType> {
        self.log.push(format!("file_type {ino}"));
        self.fs.file_type(ino)
    }
    fn read_link(&mut self, ino: Ino) -> FsResult<Vec<u8>> {
        self.log.push(format!("read_link {ino}"));
        self.fs.read_link(ino)
    }
    fn list_dir(&mut self, dir: Ino) -> FsResult<Vec<(Vec<u8>, Ino, FileType)>> {
        self.log.push(format!("list_dir {dir}"));
        self.fs.list_dir(dir)
    }
    fn mkdir(&mut self, parent: Ino, name: &[u8], attrs: &Attrs) -> FsResult<Ino> {
        self.log.push(format!("mkdir {parent} {name:?} {attrs:?}"));
        self.fs.mkdir(parent, name, attrs)
    }
    fn create(&mut self, parent: Ino, name: &[u8], attrs: &Attrs) -> FsResult<Ino> {
        self.log.push(format!("create {parent} {name:?} {attrs:?}"));
        self.fs.create(parent, name, attrs)
    }
    fn symlink(&mut self, parent: Ino, name: &[u8], target: &[u8], attrs: &Attrs) -> FsResult<Ino> {
        self.log
            .push(format!("symlink {parent} {name:?} {target:?} {attrs:?}"));
        self.fs.symlink(parent, name, target, attrs)
    }
    fn mknod(
        &mut self,
        parent: Ino,
        name: &[u8],
        kind: FileType,
        major: u32,
        minor: u32,
        attrs: &Attrs,
    ) -> FsResult<Ino> {
        self.log.push(format!(
            "mknod {parent} {name:?} {kind:?} {major} {minor} {attrs:?}"
        ));
        self.fs.mknod(parent, name, kind, major, minor, attrs)
    }
    fn link(&mut self, parent: Ino, name: &[u8], target: Ino) -> FsResult<()> {
        self.log.push(format!("link {parent} {name:?} {target}"));
        self.fs.link(parent, name, target)
    }
    fn unlink(&mut self, parent: Ino, name: &[u8]) -> FsResult<()> {
        self.log.push(format!("unlink {parent} {name:?}"));
        self.fs.unlink(parent, name)
    }
    fn rmdir(&mut self, parent: Ino, name: &[u8]) -> FsResult<()> {
        self.log.push(format!("rmdir {parent} {name:?}"));
        self.fs.rmdir(parent, name)
    }
    fn set_attrs(&mut self, ino: Ino, attrs: &Attrs) -> FsResult<()> {
        self.log.push(format!("set_attrs {ino} {attrs:?}"));
        self.fs.set_attrs(ino, attrs)
    }
    fn set_xattrs(&mut self, ino: Ino, xattrs: &[(Vec<u8>, Vec<u8>)]) -> FsResult<()> {
        self.log.push(format!("set_xattrs {ino} {xattrs:?}"));
        self.fs.set_xattrs(ino, xattrs)
    }
    fn write(&mut self, ino: Ino, offset: u64, data: &[u8]) -> FsResult<()> {
        self.log
            .push(format!("write {ino} {offset} {}", data.len()));
        self.fs.write(ino, offset, data)
    }
    fn set_size(&mut self, ino: Ino, size: u64) -> FsResult<()> {
        self.log.push(format!("set_size {ino} {size}"));
        self.fs.set_size(ino, size)
    }
    fn allocate(&mut self, ino: Ino, offset: u64, len: u64) -> FsResult<Vec<(u64, u64)>> {
        self.log.push(format!("allocate {ino} {offset} {len}"));
        self.fs.allocate(ino, offset, len)
    }
}

#[test]
fn same_state_and_tar_give_the_same_calls() {
    let lower = build(&[&[
        dir("usr/lib"),
        symlink("lib", "usr/lib"),
        dir("o"),
        file("o/x", "x"),
        file("f", "f"),
    ]]);
    let layer = tar(&[
        dir("o"),
        whiteout("o/.wh..wh..opq"),
        file("o/y", vec![7u8; 3 << 20]),
        file("lib/z.so", "z"),
        hardlink("h", "f"),
        dir("f"),
        whiteout(".wh.usr"),
    ]);
    let run = |meta_only: bool| {
        let mut rec = Recording {
            fs: lower.clone(),
            log: Vec::new(),
        };
        let r = apply_layer(
            &mut rec,
            &mut TarReader::new(&layer[..]),
            &ApplyOptions { meta_only },
        );
        (r.map_err(|e| e.to_string()), rec.log, rec.fs.snapshot())
    };
    for meta_only in [false, true] {
        let (a, b) = (run(meta_only), run(meta_only));
        assert!(a.0.is_ok(), "{:?}", a.0);
        assert!(a.1.len() > 20);
        assert_eq!(a, b);
    }
}

//! Builders for test layers: tar members described in a few words, written with the `tar`
//! crate (raw names, PAX records and GNU sparse members by hand), applied onto a `MemFs`.
#![allow(dead_code)]

use ociapply::memfs::{MemFs, Snapshot, SnapshotEntry};
use ociapply::{ApplyError, ApplyOptions, ApplyReport, apply_layer};
use tarstream::TarReader;

#[derive(Debug, Clone)]
pub enum Kind {
    File(Vec<u8>),
    Dir,
    Symlink(Vec<u8>),
    Hard(Vec<u8>),
    Char(u32, u32),
    Block(u32, u32),
    Fifo,
    /// Content and data regions (offset, len) of a GNU PAX 1.0 sparse member.
    Sparse(Vec<u8>, Vec<(u64, u64)>),
    /// Any other typeflag, no data.
    Raw(u8),
}

#[derive(Debug, Clone)]
pub struct T {
    pub path: Vec<u8>,
    pub kind: Kind,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: u64,
    pub nsec: Option<u32>,
    pub xattrs: Vec<(String, Vec<u8>)>,
}

fn t(path: impl AsRef<[u8]>, kind: Kind, mode: u32) -> T {
    T {
        path: path.as_ref().to_vec(),
        kind,
        mode,
        uid: 0,
        gid: 0,
        mtime: 1_700_000_000,
        nsec: None,
        xattrs: Vec::new(),
    }
}

pub fn file(path: impl AsRef<[u8]>, data: impl AsRef<[u8]>) -> T {
    t(path, Kind::File(data.as_ref().to_vec()), 0o644)
}
pub fn dir(path: impl AsRef<[u8]>) -> T {
    t(path, Kind::Dir, 0o755)
}
pub fn symlink(path: impl AsRef<[u8]>, target: impl AsRef<[u8]>) -> T {
    t(path, Kind::Symlink(target.as_ref().to_vec()), 0o777)
}
pub fn hardlink(path: impl AsRef<[u8]>, target: impl AsRef<[u8]>) -> T {
    t(path, Kind::Hard(target.as_ref().to_vec()), 0o644)
}
pub fn node(path: impl AsRef<[u8]>, kind: Kind) -> T {
    t(path, kind, 0o600)
}
pub fn sparse(path: impl AsRef<[u8]>, content: Vec<u8>, regions: &[(u64, u64)]) -> T {
    t(path, Kind::Sparse(content, regions.to_vec()), 0o644)
}
pub fn whiteout(path: impl AsRef<[u8]>) -> T {
    file(path, b"")
}

impl T {
    pub fn mode(mut self, m: u32) -> T {
        self.mode = m;
        self
    }
    pub fn owner(mut self, uid: u32, gid: u32) -> T {
        self.uid = uid;
        self.gid = gid;
        self
    }
    pub fn mtime(mut self, sec: u64, nsec: Option<u32>) -> T {
        self.mtime = sec;
        self.nsec = nsec;
        self
    }
    pub fn xattr(mut self, k: &str, v: impl AsRef<[u8]>) -> T {
        self.xattrs.push((k.to_string(), v.as_ref().to_vec()));
        self
    }
}

fn raw_name(field: &mut [u8], name: &[u8]) {
    let n = name.len().min(field.len());
    field[..n].copy_from_slice(&name[..n]);
}

/// A complete tar stream of the members, in order.
pub fn tar(members: &[T]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for m in members {
        append(&mut b, m);
    }
    b.into_inner().expect("tar finish")
}

fn append(b: &mut tar::Builder<Vec<u8>>, m: &T) {
    let (flag, data, link): (u8, Vec<u8>, &[u8]) = match &m.kind {
        Kind::File(d) => (b'0', d.clone(), b""),
        Kind::Dir => (b'5', Vec::new(), b""),
        Kind::Symlink(l) => (b'2', Vec::new(), l),
        Kind::Hard(l) => (b'1', Vec::new(), l),
        Kind::Char(..) => (b'3', Vec::new(), b""),
        Kind::Block(..) => (b'4', Vec::new(), b""),
        Kind::Fifo => (b'6', Vec::new(), b""),
        Kind::Sparse(content, regions) => (b'0', sparse_payload(content, regions), b""),
        Kind::Raw(f) => (*f, Vec::new(), b""),
    };
    let mut pax: Vec<(String, Vec<u8>)> = Vec::new();
    let mut name = m.path.clone();
    if let Kind::Sparse(content, regions) = &m.kind {
        pax.push(("GNU.sparse.major".into(), b"1".to_vec()));
        pax.push(("GNU.sparse.minor".into(), b"0".to_vec()));
        pax.push(("GNU.sparse.name".into(), m.path.clone()));
        let real = content.len().to_string().into_bytes();
        pax.push(("GNU.sparse.realsize".into(), real));
        let _ = regions;
        name = b"GNUSparseFile.0/x".to_vec();
    } else if name.len() > 100 {
        pax.push(("path".into(), name.clone()));
    }
    if link.len() > 100 {
        pax.push(("linkpath".into(), link.to_vec()));
    }
    if let Some(ns) = m.nsec {
        pax.push(("mtime".into(), format!("{}.{ns:09}", m.mtime).into_bytes()));
    }
    for (k, v) in &m.xattrs {
        pax.push((format!("SCHILY.xattr.{k}"), v.clone()));
    }
    if !pax.is_empty() {
        b.append_pax_extensions(pax.iter().map(|(k, v)| (k.as_str(), v.as_slice())))
            .expect("pax");
    }
    let mut h = tar::Header::new_ustar();
    raw_name(&mut h.as_old_mut().name, &name);
    raw_name(&mut h.as_old_mut().linkname, link);
    h.set_mode(m.mode);
    h.set_uid(u64::from(m.uid));
    h.set_gid(u64::from(m.gid));
    h.set_mtime(m.mtime);
    h.set_size(data.len() as u64);
    h.set_entry_type(tar::EntryType::new(flag));
    if let Kind::Char(ma, mi) | Kind::Block(ma, mi) = m.kind {
        h.set_device_major(ma).expect("major");
        h.set_device_minor(mi).expect("minor");
    }
    h.set_cksum();
    b.append(&h, &data[..]).expect("append");
}

/// GNU sparse 1.0 data: the decimal map padded to a block, then the regions' bytes.
fn sparse_payload(content: &[u8], regions: &[(u64, u64)]) -> Vec<u8> {
    let mut map = format!("{}\n", regions.len());
    for (o, l) in regions {
        map.push_str(&format!("{o}\n{l}\n"));
    }
    let mut out = map.into_bytes();
    out.resize(out.len().div_ceil(512) * 512, 0);
    for &(o, l) in regions {
        out.extend_from_slice(&content[o as usize..(o + l) as usize]);
    }
    out
}

pub fn apply_opts(fs: &mut MemFs, tar: &[u8], meta_only: bool) -> Result<ApplyReport, ApplyError> {
    let mut r = TarReader::new(tar);
    let res = apply_layer(fs, &mut r, &ApplyOptions { meta_only });
    fs.check().expect("memfs consistent after apply");
    res
}

pub fn apply(fs: &mut MemFs, members: &[T]) -> Result<ApplyReport, ApplyError> {
    apply_opts(fs, &tar(members), false)
}

/// Applies the layers in order, each of which must succeed.
pub fn build(layers: &[&[T]]) -> MemFs {
    let mut fs = MemFs::new();
    for l in layers {
        apply(&mut fs, l).expect("layer applies");
    }
    fs
}

/// Snapshot entry of an absolute path.
pub fn at<'a>(s: &'a Snapshot, path: &str) -> &'a SnapshotEntry {
    s.get(path.as_bytes())
        .unwrap_or_else(|| panic!("{path} missing; have {:?}", paths(s)))
}

pub fn paths(s: &Snapshot) -> Vec<String> {
    s.keys()
        .map(|k| String::from_utf8_lossy(k).into_owned())
        .collect()
}

pub fn content(fs: &MemFs, path: &str) -> Vec<u8> {
    let ino = fs.lookup_path(path.as_bytes()).expect("path exists");
    fs.read_file(ino).expect("regular file")
}

//! The per-entry rules (spec §3.6 with the product decisions) driven over an entry source.

use std::io::Read;

use tarstream::{Entry, EntryKind, TarReader};

use crate::data::fill_file;
use crate::error::{ApplyError, AtPath, show};
use crate::extracted::Node;
use crate::fs::{Attrs, FileType, Filesystem, Ino, Timestamp};
use crate::name::{Marker, clean, marker, too_long};
use crate::remove::{clear_spared, remove_all, remove_spared};
use crate::report::{ApplyOptions, ApplyReport};
use crate::resolve::{Dir, Mode, Outcome, resolve_dir};
use crate::restamp::Restamp;
use crate::source::EntrySource;

/// Size of the reads and writes regular file data is streamed in.
const CHUNK: usize = 1 << 20;
/// Xattr namespaces a Linux filesystem stores; anything else is skipped.
const XATTR_NAMESPACES: [&[u8]; 4] = [b"user.", b"trusted.", b"security.", b"system."];
/// Warnings beyond this many are only counted.
const MAX_WARNINGS: usize = 256;

/// Applies one uncompressed layer tar onto `fs` (spec §3.6, §4.4 with `meta_only`).
pub fn apply_layer<F: Filesystem, R: Read>(
    fs: &mut F,
    tar: &mut TarReader<R>,
    opts: &ApplyOptions,
) -> Result<ApplyReport, ApplyError> {
    apply_entries(fs, tar, opts)
}

/// Applies every entry of `src` onto `fs`, then re-stamps the directories.
pub fn apply_entries<F: Filesystem, S: EntrySource>(
    fs: &mut F,
    src: &mut S,
    opts: &ApplyOptions,
) -> Result<ApplyReport, ApplyError> {
    let mut a = Applier {
        fs,
        meta_only: opts.meta_only,
        report: ApplyReport::default(),
        extracted: Node::default(),
        restamp: Restamp::default(),
        cache: None,
        buf: Vec::new(),
        suppressed: 0,
    };
    while let Some(entry) = src.next_entry()? {
        a.report.entries += 1;
        a.entry(src, &entry)?;
        src.skip_data()?;
    }
    a.finish()
}

struct Applier<'f, F: Filesystem> {
    fs: &'f mut F,
    meta_only: bool,
    report: ApplyReport,
    /// Real paths created by this layer, spared by its whiteouts.
    extracted: Node,
    restamp: Restamp,
    /// The last directory resolved, by cleaned path. Creating entries never invalidates
    /// a resolved directory, so only removals drop it.
    cache: Option<(Vec<Vec<u8>>, Dir)>,
    buf: Vec<u8>,
    suppressed: u64,
}

fn attrs_of(e: &Entry) -> Attrs {
    Attrs {
        mode: e.mode & 0o7777,
        uid: e.uid,
        gid: e.gid,
        mtime: Timestamp {
            sec: e.mtime,
            nsec: e.mtime_nsec,
        },
    }
}

fn symlink_attrs(a: Attrs) -> Attrs {
    Attrs { mode: 0o777, ..a }
}

impl<F: Filesystem> Applier<'_, F> {
    fn warn(&mut self, w: String) {
        if self.report.warnings.len() < MAX_WARNINGS {
            self.report.warnings.push(w);
        } else {
            self.suppressed += 1;
        }
    }

    fn finish(mut self) -> Result<ApplyReport, ApplyError> {
        for (ino, attrs, path) in self.restamp.in_order() {
            self.fs.set_attrs(ino, &attrs).at(&path)?;
        }
        if self.suppressed > 0 {
            let w = format!("{} more warnings suppressed", self.suppressed);
            self.report.warnings.push(w);
        }
        Ok(self.report)
    }

    fn entry<S: EntrySource>(&mut self, src: &mut S, e: &Entry) -> Result<(), ApplyError> {
        let comps = clean(&e.path);
        let Some((name, parent)) = comps.split_last() else {
            return self.root_entry(e);
        };
        let name_too_long = || ApplyError::NameTooLong {
            path: show(&e.path),
        };
        if parent.iter().any(|c| too_long(c)) {
            return Err(name_too_long());
        }
        match marker(name) {
            Marker::None => {}
            Marker::Opaque => return self.opaque(parent, &e.path),
            Marker::Whiteout(victim) if too_long(victim) => return Err(name_too_long()),
            Marker::Whiteout(victim) => return self.whiteout(parent, victim, &e.path),
            Marker::Ignored => {
                self.warn(format!(
                    "{}: whiteout names nothing, skipped",
                    show(&e.path)
                ));
                return Ok(());
            }
        }
        if too_long(name) {
            return Err(name_too_long());
        }
        if let EntryKind::Unsupported(typeflag) = e.kind {
            return Err(ApplyError::UnsupportedType {
                path: show(&e.path),
                typeflag,
            });
        }
        let dir = match self.resolve(parent, Mode::Create, &e.path)? {
            Outcome::Found(d) => d,
            Outcome::Missing | Outcome::NotDir => {
                return Err(ApplyError::ParentNotDirectory {
                    path: show(&e.path),
                });
            }
        };
        let mut target = match e.kind {
            EntryKind::HardLink => Some(self.link_target(e)?),
            _ => None,
        };
        let attrs = attrs_of(e);
        match self.fs.lookup(dir.ino, name).at(&e.path)? {
            Some((ino, FileType::Directory)) if e.kind == EntryKind::Directory => {
                self.fs.set_attrs(ino, &attrs).at(&e.path)?;
                self.xattrs(ino, e)?;
                self.restamp.record(ino, attrs, &e.path);
                self.extracted.mark(&dir.real, name);
                return Ok(());
            }
            Some((ino, kind)) if target.is_some_and(|t| t.0 == ino) => {
                self.link_attrs(ino, kind, attrs, e)?;
                self.extracted.mark(&dir.real, name);
                return Ok(());
            }
            Some((ino, kind)) => {
                self.replace(&dir, name, ino, kind, &e.path)?;
                if target.is_some() {
                    // The removal may have taken the link target with it.
                    target = Some(self.link_target(e)?);
                }
            }
            None => {}
        }
        self.create(src, &dir, name, e, attrs, target)?;
        self.extracted.mark(&dir.real, name);
        Ok(())
    }

    fn create<S: EntrySource>(
        &mut self,
        src: &mut S,
        dir: &Dir,
        name: &[u8],
        e: &Entry,
        attrs: Attrs,
        target: Option<(Ino, FileType)>,
    ) -> Result<(), ApplyError> {
        let p = &e.path[..];
        let ino = match e.kind {
            EntryKind::Directory => {
                let ino = self.fs.mkdir(dir.ino, name, &attrs).at(p)?;
                self.restamp.record(ino, attrs, p);
                ino
            }
            EntryKind::Regular => {
                let ino = self.fs.create(dir.ino, name, &attrs).at(p)?;
                if self.buf.is_empty() {
                    self.buf = vec![0; CHUNK];
                }
                fill_file(
                    self.fs,
                    src,
                    ino,
                    e,
                    self.meta_only,
                    &mut self.buf,
                    &mut self.report,
                )?;
                ino
            }
            EntryKind::Symlink => {
                let a = symlink_attrs(attrs);
                self.fs.symlink(dir.ino, name, &e.link_target, &a).at(p)?
            }
            EntryKind::HardLink => {
                let Some((ino, kind)) = target else {
                    return Err(self.missing_target(e));
                };
                self.fs.link(dir.ino, name, ino).at(p)?;
                return self.link_attrs(ino, kind, attrs, e);
            }
            EntryKind::CharDevice | EntryKind::BlockDevice | EntryKind::Fifo => {
                let kind = match e.kind {
                    EntryKind::CharDevice => FileType::CharDevice,
                    EntryKind::BlockDevice => FileType::BlockDevice,
                    _ => FileType::Fifo,
                };
                let (major, minor) = (e.dev_major, e.dev_minor);
                self.fs
                    .mknod(dir.ino, name, kind, major, minor, &attrs)
                    .at(p)?
            }
            EntryKind::Unsupported(typeflag) => {
                return Err(ApplyError::UnsupportedType {
                    path: show(p),
                    typeflag,
                });
            }
        };
        self.xattrs(ino, e)
    }

    /// A hard-link entry re-applies its own header's attributes to the shared inode.
    fn link_attrs(
        &mut self,
        ino: Ino,
        kind: FileType,
        attrs: Attrs,
        e: &Entry,
    ) -> Result<(), ApplyError> {
        let a = if kind == FileType::Symlink {
            symlink_attrs(attrs)
        } else {
            attrs
        };
        self.fs.set_attrs(ino, &a).at(&e.path)?;
        self.xattrs(ino, e)
    }

    /// Sets the entry's storable xattrs. On existing inodes (directory over directory, hard
    /// links) an entry without xattrs leaves theirs alone, as headers often omit what a lower
    /// layer set; the trait can only replace the whole set, so listed ones replace them all.
    fn xattrs(&mut self, ino: Ino, e: &Entry) -> Result<(), ApplyError> {
        let mut keep = Vec::with_capacity(e.xattrs.len());
        for (k, v) in &e.xattrs {
            if XATTR_NAMESPACES.iter().any(|ns| k.starts_with(ns)) {
                keep.push((k.clone(), v.clone()));
            } else {
                self.warn(format!(
                    "{}: xattr {} is in no Linux namespace, skipped",
                    show(&e.path),
                    show(k)
                ));
            }
        }
        if keep.is_empty() {
            return Ok(());
        }
        self.fs.set_xattrs(ino, &keep).at(&e.path)
    }

    fn root_entry(&mut self, e: &Entry) -> Result<(), ApplyError> {
        if e.kind != EntryKind::Directory {
            self.warn(format!(
                "{}: names the root but is no directory, skipped",
                show(&e.path)
            ));
            return Ok(());
        }
        let root = self.fs.root();
        let attrs = attrs_of(e);
        self.fs.set_attrs(root, &attrs).at(&e.path)?;
        self.xattrs(root, e)?;
        self.restamp.record(root, attrs, &e.path);
        Ok(())
    }

    fn resolve(
        &mut self,
        comps: &[Vec<u8>],
        mode: Mode,
        path: &[u8],
    ) -> Result<Outcome, ApplyError> {
        if let Some((key, dir)) = &self.cache
            && key.as_slice() == comps
        {
            return Ok(Outcome::Found(dir.clone()));
        }
        let out = resolve_dir(self.fs, comps, mode, path)?;
        if let Outcome::Found(d) = &out {
            self.cache = Some((comps.to_vec(), d.clone()));
        }
        Ok(out)
    }

    fn missing_target(&self, e: &Entry) -> ApplyError {
        ApplyError::HardLinkTargetMissing {
            path: show(&e.path),
            target: show(&e.link_target),
        }
    }

    /// The existing non-directory a hard link entry names, found like a path (parents
    /// followed, the last component not).
    fn link_target(&mut self, e: &Entry) -> Result<(Ino, FileType), ApplyError> {
        let comps = clean(&e.link_target);
        let Some((name, parent)) = comps.split_last() else {
            return Err(self.missing_target(e));
        };
        if too_long(name) {
            return Err(self.missing_target(e));
        }
        let Outcome::Found(dir) = self.resolve(parent, Mode::Lookup, &e.path)? else {
            return Err(self.missing_target(e));
        };
        match self.fs.lookup(dir.ino, name).at(&e.path)? {
            Some((ino, kind)) if kind != FileType::Directory => Ok((ino, kind)),
            _ => Err(self.missing_target(e)),
        }
    }

    /// Clears the way for a new entry at `dir/name`. A directory is only removable when
    /// nothing below it came from this layer.
    fn replace(
        &mut self,
        dir: &Dir,
        name: &[u8],
        ino: Ino,
        kind: FileType,
        path: &[u8],
    ) -> Result<(), ApplyError> {
        if kind == FileType::Directory
            && self
                .extracted
                .get(&dir.real, name)
                .is_some_and(Node::has_children)
        {
            return Err(ApplyError::ReplacedDirectoryNotEmpty { path: show(path) });
        }
        self.cache = None;
        remove_all(self.fs, &mut self.restamp, dir.ino, name, ino, kind, path)
    }

    fn whiteout(
        &mut self,
        parent: &[Vec<u8>],
        victim: &[u8],
        path: &[u8],
    ) -> Result<(), ApplyError> {
        let Outcome::Found(dir) = self.resolve(parent, Mode::Lookup, path)? else {
            return Ok(());
        };
        let Some((ino, kind)) = self.fs.lookup(dir.ino, victim).at(path)? else {
            return Ok(());
        };
        self.cache = None;
        let node = self.extracted.get(&dir.real, victim);
        remove_spared(
            self.fs,
            &mut self.restamp,
            dir.ino,
            victim,
            ino,
            kind,
            node,
            path,
        )
    }

    fn opaque(&mut self, parent: &[Vec<u8>], path: &[u8]) -> Result<(), ApplyError> {
        let Outcome::Found(dir) = self.resolve(parent, Mode::Lookup, path)? else {
            return Ok(());
        };
        self.cache = None;
        let node = self.extracted.get_dir(&dir.real);
        clear_spared(self.fs, &mut self.restamp, dir.ino, node, path)
    }
}

//! A comparable picture of a filesystem tree, in the shape of the edge fixture's
//! expected-tree.json, built from that file, from the MemFs oracle or from a directory.

use super::work::hex;
use ociapply::FileType;
use ociapply::memfs::Snapshot;
use serde_json::Value;
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// file, dir, symlink, char, block, fifo or socket.
    pub kind: String,
    /// Permission bits including setuid/setgid/sticky.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: i64,
    pub mtime_nsec: u32,
    /// Files: the size; symlinks: the target length.
    pub size: Option<u64>,
    pub sha256: Option<String>,
    pub target: Option<String>,
    pub rdev: Option<(u32, u32)>,
    /// Name -> value as hex.
    pub xattrs: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default)]
pub struct Tree {
    /// Absolute path (`/` for the root) -> entry.
    pub entries: BTreeMap<String, Entry>,
    /// Paths sharing one inode, each group sorted, groups sorted.
    pub hardlink_groups: Vec<Vec<String>>,
}

impl Tree {
    /// From an expected-tree.json document.
    pub fn from_json(doc: &Value) -> Self {
        let mut entries = BTreeMap::new();
        for (path, e) in doc["entries"].as_object().expect("entries object") {
            let s = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_owned);
            let n = |k: &str| e.get(k).and_then(Value::as_i64);
            let xattrs = e
                .get("xattrs")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                        .collect()
                })
                .unwrap_or_default();
            let entry = Entry {
                kind: s("type").expect("type"),
                mode: u32::from_str_radix(&s("mode").expect("mode"), 8).expect("octal mode"),
                uid: n("uid").expect("uid") as u32,
                gid: n("gid").expect("gid") as u32,
                mtime: n("mtime").expect("mtime"),
                mtime_nsec: n("mtime_nsec").unwrap_or(0) as u32,
                size: e.get("size").and_then(Value::as_u64),
                sha256: s("sha256"),
                target: s("target"),
                rdev: e.get("rdev").map(|r| {
                    (
                        r["major"].as_u64().expect("major") as u32,
                        r["minor"].as_u64().expect("minor") as u32,
                    )
                }),
                xattrs,
            };
            entries.insert(path.clone(), entry);
        }
        let hardlink_groups =
            serde_json::from_value(doc["hardlink_groups"].clone()).unwrap_or_default();
        Self::sorted(entries, hardlink_groups)
    }

    /// From the MemFs oracle.
    pub fn from_memfs(snap: &Snapshot) -> Self {
        let mut entries = BTreeMap::new();
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (path, e) in snap {
            let path = String::from_utf8_lossy(path).into_owned();
            let kind = kind_name(e.kind);
            let entry = Entry {
                kind: kind.into(),
                mode: e.mode,
                uid: e.uid,
                gid: e.gid,
                mtime: e.mtime.sec,
                mtime_nsec: e.mtime.nsec,
                size: matches!(kind, "file" | "symlink").then_some(e.size),
                sha256: e.sha256.map(|h| hex(&h)),
                target: e
                    .target
                    .as_ref()
                    .map(|t| String::from_utf8_lossy(t).into_owned()),
                rdev: e.rdev,
                xattrs: e
                    .xattrs
                    .iter()
                    .map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), hex(v)))
                    .collect(),
            };
            if let Some(g) = &e.hardlink_group {
                groups
                    .entry(String::from_utf8_lossy(g).into_owned())
                    .or_default()
                    .push(path.clone());
            }
            entries.insert(path, entry);
        }
        Self::sorted(entries, groups.into_values().collect())
    }

    /// Walks a directory (a mount point, or a dump of one) with lstat, reading file data
    /// and extended attributes.
    pub fn from_dir(root: &Path) -> Self {
        let mut entries = BTreeMap::new();
        let mut by_inode: BTreeMap<(u64, u64), Vec<String>> = BTreeMap::new();
        let mut todo = vec![("/".to_string(), root.to_path_buf())];
        while let Some((path, full)) = todo.pop() {
            let md = std::fs::symlink_metadata(&full)
                .unwrap_or_else(|e| panic!("lstat {}: {e}", full.display()));
            let ft = md.file_type();
            let kind = file_kind(&ft);
            let mut e = Entry {
                kind: kind.into(),
                mode: md.mode() & 0o7777,
                uid: md.uid(),
                gid: md.gid(),
                mtime: md.mtime(),
                mtime_nsec: md.mtime_nsec() as u32,
                size: None,
                sha256: None,
                target: None,
                rdev: None,
                xattrs: read_xattrs(&full),
            };
            match kind {
                "file" => {
                    e.size = Some(md.len());
                    e.sha256 = Some(sha256_readable(&full, &md));
                    if md.nlink() > 1 {
                        by_inode
                            .entry((md.dev(), md.ino()))
                            .or_default()
                            .push(path.clone());
                    }
                }
                "symlink" => {
                    let t = std::fs::read_link(&full).expect("readlink");
                    let t = t.as_os_str().to_string_lossy().into_owned();
                    e.size = Some(t.len() as u64);
                    e.target = Some(t);
                }
                "char" | "block" => e.rdev = Some(split_dev(md.rdev())),
                "dir" => {
                    for child in std::fs::read_dir(&full).expect("readdir") {
                        let child = child.expect("dir entry");
                        let name = child.file_name().to_string_lossy().into_owned();
                        let p = if path == "/" {
                            format!("/{name}")
                        } else {
                            format!("{path}/{name}")
                        };
                        todo.push((p, child.path()));
                    }
                }
                _ => {}
            }
            entries.insert(path, e);
        }
        let groups = by_inode.into_values().filter(|g| g.len() > 1).collect();
        Self::sorted(entries, groups)
    }

    fn sorted(entries: BTreeMap<String, Entry>, mut groups: Vec<Vec<String>>) -> Self {
        for g in &mut groups {
            g.sort();
        }
        groups.sort();
        Self {
            entries,
            hardlink_groups: groups,
        }
    }

    /// The entries not below any of `ignore` (each a path like `/lost+found`).
    pub fn without(&self, ignore: &[&str]) -> Self {
        let skip = |p: &str| {
            ignore
                .iter()
                .any(|i| p == *i || p.starts_with(&format!("{i}/")))
        };
        Self {
            entries: self
                .entries
                .iter()
                .filter(|(p, _)| !skip(p))
                .map(|(p, e)| (p.clone(), e.clone()))
                .collect(),
            hardlink_groups: self
                .hardlink_groups
                .iter()
                .filter(|g| !g.iter().any(|p| skip(p)))
                .cloned()
                .collect(),
        }
    }

    /// Applies `f` to every entry (to blank fields a reader cannot see).
    pub fn map(&self, f: impl Fn(&Entry) -> Entry) -> Self {
        Self {
            entries: self
                .entries
                .iter()
                .map(|(p, e)| (p.clone(), f(e)))
                .collect(),
            hardlink_groups: self.hardlink_groups.clone(),
        }
    }

    /// Keeps the entries for which `f` holds.
    pub fn filter(&self, f: impl Fn(&str, &Entry) -> bool) -> Self {
        Self {
            entries: self
                .entries
                .iter()
                .filter(|(p, e)| f(p, e))
                .map(|(p, e)| (p.clone(), e.clone()))
                .collect(),
            hardlink_groups: self.hardlink_groups.clone(),
        }
    }
}

/// Differences between an expected and an actual tree, readable, at most `limit` lines
/// plus a count.
pub fn diff(expected: &Tree, actual: &Tree, check_links: bool) -> Vec<String> {
    let mut out = Vec::new();
    for (p, e) in &expected.entries {
        match actual.entries.get(p) {
            None => out.push(format!("missing {p:?} ({})", e.kind)),
            Some(a) if a != e => out.push(format!("{p:?}: expected {e:?}\n      got {a:?}")),
            Some(_) => {}
        }
    }
    for (p, a) in &actual.entries {
        if !expected.entries.contains_key(p) {
            out.push(format!("unexpected {p:?} ({})", a.kind));
        }
    }
    if check_links && expected.hardlink_groups != actual.hardlink_groups {
        out.push(format!(
            "hardlink groups: expected {:?}, got {:?}",
            expected.hardlink_groups, actual.hardlink_groups
        ));
    }
    out
}

/// Panics with the first differences when the trees differ.
pub fn assert_same(what: &str, expected: &Tree, actual: &Tree, check_links: bool) {
    let d = diff(expected, actual, check_links);
    assert!(
        d.is_empty(),
        "{what}: {} differences, first ones:\n{}",
        d.len(),
        d.iter().take(15).cloned().collect::<Vec<_>>().join("\n")
    );
}

pub fn kind_name(k: FileType) -> &'static str {
    match k {
        FileType::Regular => "file",
        FileType::Directory => "dir",
        FileType::Symlink => "symlink",
        FileType::CharDevice => "char",
        FileType::BlockDevice => "block",
        FileType::Fifo => "fifo",
        FileType::Socket => "socket",
    }
}

fn file_kind(ft: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_file() {
        "file"
    } else if ft.is_dir() {
        "dir"
    } else if ft.is_symlink() {
        "symlink"
    } else if ft.is_char_device() {
        "char"
    } else if ft.is_block_device() {
        "block"
    } else if ft.is_fifo() {
        "fifo"
    } else {
        "socket"
    }
}

/// Linux dev_t -> (major, minor).
fn split_dev(d: u64) -> (u32, u32) {
    let major = ((d >> 8) & 0xfff) | ((d >> 32) & !0xfff);
    let minor = (d & 0xff) | ((d >> 12) & !0xff);
    (major as u32, minor as u32)
}

fn read_xattrs(path: &Path) -> BTreeMap<String, String> {
    let Ok(names) = xattr::list(path) else {
        return BTreeMap::new();
    };
    names
        .filter_map(|n| {
            let v = xattr::get(path, &n).ok().flatten()?;
            Some((n.to_string_lossy().into_owned(), hex(&v)))
        })
        .collect()
}

/// SHA-256 of a file, briefly granting the owner read access when its mode has none
/// (dumps written without root keep modes such as 0000).
fn sha256_readable(path: &Path, md: &std::fs::Metadata) -> String {
    use std::os::unix::fs::PermissionsExt;
    if std::fs::File::open(path).is_ok() {
        return super::work::sha256_file(path);
    }
    let mode = md.mode() & 0o7777;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode | 0o400))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
    let h = super::work::sha256_file(path);
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
    h
}

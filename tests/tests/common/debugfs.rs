//! Reading a converted device with e2fsprogs only (no root needed): e2fsck, debugfs rdump
//! for contents, debugfs stat/ea_list/ea_get for owners, times, devices, links and xattrs.

use super::tree::{Entry, Tree, assert_same};
use super::work::{Work, hex};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// `e2fsck -fn` exits 0 and prints nothing but its banner, the five passes and the summary.
pub fn assert_fsck_clean(image: &Path) {
    let text = convertor_tests::tools::e2fsck_clean(image).unwrap_or_else(|e| panic!("{e:#}"));
    let findings: Vec<&str> = text
        .lines()
        .filter(|l| {
            let l = l.trim();
            !(l.is_empty()
                || l.starts_with("e2fsck ")
                || l.starts_with("Pass ")
                || (l.contains(" files (") && l.ends_with(" blocks")))
        })
        .collect();
    assert!(
        findings.is_empty(),
        "e2fsck -fn {} reported:\n{}",
        image.display(),
        findings.join("\n")
    );
}

/// Runs debugfs requests in one process; returns each request with its output.
pub fn batch(image: &Path, requests: &[String], work: &Work) -> Vec<(String, String)> {
    let cmdfile = work.path(format!("debugfs-{}.cmds", unique()));
    std::fs::write(&cmdfile, requests.join("\n") + "\n").expect("writing debugfs requests");
    let out = Command::new("debugfs")
        .arg("-f")
        .arg(&cmdfile)
        .arg(image)
        .output()
        .expect("running debugfs (install e2fsprogs)");
    let _ = std::fs::remove_file(&cmdfile);
    assert!(
        out.status.success(),
        "debugfs failed on {}",
        image.display()
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut res: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(req) = line.strip_prefix("debugfs: ") {
            res.push((req.to_string(), String::new()));
        } else if let Some((_, body)) = res.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    assert_eq!(
        res.len(),
        requests.len(),
        "debugfs answered {} of {} requests",
        res.len(),
        requests.len()
    );
    res
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// debugfs's quoting: the path in double quotes (paths holding `"`, `\` or newlines are not
/// sampled).
pub fn quotable(path: &str) -> bool {
    !path.contains(['"', '\\', '\n'])
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    pub ino: u64,
    pub kind: String,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub links: u32,
    /// 512-byte units allocated, as the inode counts them.
    pub blockcount: u64,
    pub mtime: i64,
    pub mtime_nsec: u32,
    pub rdev: Option<(u32, u32)>,
}

fn after<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split_once(key)
        .and_then(|(_, rest)| rest.split_whitespace().next())
}

fn parse_stat(body: &str) -> Option<Stat> {
    let mut st = Stat {
        ino: 0,
        kind: String::new(),
        mode: 0,
        uid: 0,
        gid: 0,
        size: 0,
        links: 0,
        blockcount: 0,
        mtime: 0,
        mtime_nsec: 0,
        rdev: None,
    };
    let mut seen = false;
    for line in body.lines() {
        let t = line.trim_start();
        if t.starts_with("Inode:") {
            seen = true;
            st.ino = after(t, "Inode:")?.parse().ok()?;
            let kind = t.split_once("Type:")?.1.split_once("Mode:")?.0.trim();
            st.kind = match kind {
                "regular" => "file",
                "directory" => "dir",
                "symlink" => "symlink",
                "character special" => "char",
                "block special" => "block",
                "FIFO" => "fifo",
                "socket" => "socket",
                other => other,
            }
            .to_string();
            st.mode = u32::from_str_radix(after(t, "Mode:")?, 8).ok()?;
        } else if t.starts_with("User:") {
            st.uid = after(t, "User:")?.parse().ok()?;
            st.gid = after(t, "Group:")?.parse().ok()?;
            st.size = after(t, "Size:")?.parse().ok()?;
        } else if t.starts_with("Links:") {
            st.links = after(t, "Links:")?.parse().ok()?;
            st.blockcount = after(t, "Blockcount:")?.parse().ok()?;
        } else if let Some(v) = t.strip_prefix("mtime: 0x") {
            let v = v.split_whitespace().next()?;
            let (lo, extra) = v.split_once(':').unwrap_or((v, "0"));
            let lo = u32::from_str_radix(lo, 16).ok()? as i32 as i64;
            let extra = u32::from_str_radix(extra, 16).ok()?;
            st.mtime = lo + (i64::from(extra & 3) << 32);
            st.mtime_nsec = extra >> 2;
        } else if let Some((_, v)) = t.split_once("Device major/minor number:") {
            let v = v.split_whitespace().next()?;
            let (ma, mi) = v.split_once(':')?;
            st.rdev = Some((ma.parse().ok()?, mi.parse().ok()?));
        }
    }
    seen.then_some(st)
}

/// `stat` of each path (absent from the map when debugfs cannot find it).
pub fn stat_many(image: &Path, paths: &[String], work: &Work) -> BTreeMap<String, Stat> {
    let reqs: Vec<String> = paths.iter().map(|p| format!("stat \"{p}\"")).collect();
    batch(image, &reqs, work)
        .into_iter()
        .zip(paths)
        .filter_map(|((_, body), p)| parse_stat(&body).map(|s| (p.clone(), s)))
        .collect()
}

/// Extended attributes of each path: names from `ea_list`, values through `ea_get -f`.
pub fn xattrs_many(
    image: &Path,
    paths: &[String],
    work: &Work,
) -> BTreeMap<String, BTreeMap<String, String>> {
    let reqs: Vec<String> = paths.iter().map(|p| format!("ea_list \"{p}\"")).collect();
    let mut names: Vec<(String, String)> = Vec::new();
    for ((_, body), p) in batch(image, &reqs, work).into_iter().zip(paths) {
        for line in body.lines() {
            if let Some(rest) = line.strip_prefix("  ")
                && let Some((name, _)) = rest.split_once(" (")
            {
                names.push((p.clone(), name.to_string()));
            }
        }
    }
    let dir = work.subdir("ea-values");
    let reqs: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, (p, n))| {
            format!(
                "ea_get -f \"{}\" \"{p}\" {n}",
                dir.join(i.to_string()).display()
            )
        })
        .collect();
    let mut out: BTreeMap<String, BTreeMap<String, String>> =
        paths.iter().map(|p| (p.clone(), BTreeMap::new())).collect();
    if !reqs.is_empty() {
        batch(image, &reqs, work);
    }
    for (i, (p, n)) in names.into_iter().enumerate() {
        let v = std::fs::read(dir.join(i.to_string()))
            .unwrap_or_else(|e| panic!("debugfs ea_get {p} {n} wrote nothing: {e}"));
        out.entry(p).or_default().insert(n, hex(&v));
    }
    out
}

/// Checks a device against an expected tree with e2fsprogs alone: every file, directory
/// and symlink (type, mode, size, content, target) through `rdump`, and owners, times,
/// devices, xattrs and hard links through `stat`/`ea_list` on a sample: every entry that
/// is not a plain root-owned file/dir/symlink without xattrs, every hard link, the root,
/// and the paths `extra` picks.
pub fn assert_tree(image: &Path, expected: &Tree, work: &Work, extra: &dyn Fn(&str) -> bool) {
    let t = std::time::Instant::now();
    let dump = work.subdir("rdump");
    let out = Command::new("debugfs")
        .arg("-R")
        .arg(format!("rdump / \"{}\"", dump.display()))
        .arg(image)
        .output()
        .expect("running debugfs rdump");
    assert!(out.status.success(), "debugfs rdump failed");
    eprintln!("  (rdump in {:.1?})", t.elapsed());
    // rdump restores the rwx bits only (no setuid/setgid/sticky) and no owners or times.
    let content = |e: &Entry| Entry {
        mode: e.mode & 0o777,
        uid: 0,
        gid: 0,
        mtime: 0,
        mtime_nsec: 0,
        xattrs: BTreeMap::new(),
        ..e.clone()
    };
    let dumpable =
        |p: &str, e: &Entry| p != "/" && matches!(e.kind.as_str(), "file" | "dir" | "symlink");
    let want = expected.filter(dumpable).map(content);
    let t = std::time::Instant::now();
    let got = Tree::from_dir(&dump)
        .without(&["/lost+found"])
        .filter(dumpable)
        .map(content);
    eprintln!("  (rdump walked in {:.1?})", t.elapsed());
    super::work::remove_tree(&dump);
    assert_same(
        &format!("debugfs rdump of {}", image.display()),
        &want,
        &got,
        false,
    );

    let linked: std::collections::BTreeSet<&String> =
        expected.hardlink_groups.iter().flatten().collect();
    let sample: Vec<String> = expected
        .entries
        .iter()
        .filter(|(p, e)| {
            *p == "/"
                || !matches!(e.kind.as_str(), "file" | "dir" | "symlink")
                || e.uid != 0
                || e.gid != 0
                || e.mode & 0o7000 != 0
                || !e.xattrs.is_empty()
                || linked.contains(p)
                || extra(p)
        })
        .map(|(p, _)| p.clone())
        .filter(|p| quotable(p))
        .collect();
    let stats = stat_many(image, &sample, work);
    let xattrs = xattrs_many(image, &sample, work);
    let mut problems = Vec::new();
    for p in &sample {
        let e = &expected.entries[p];
        let Some(st) = stats.get(p) else {
            problems.push(format!("debugfs cannot stat {p:?}"));
            continue;
        };
        let got = (
            st.kind.as_str(),
            st.mode,
            st.uid,
            st.gid,
            st.mtime,
            st.mtime_nsec,
            st.rdev,
        );
        let want = (
            e.kind.as_str(),
            e.mode,
            e.uid,
            e.gid,
            e.mtime,
            e.mtime_nsec,
            e.rdev,
        );
        if got != want {
            problems.push(format!(
                "{p:?}: (kind, mode, uid, gid, mtime, nsec, rdev) expected {want:?}, got {got:?}"
            ));
        }
        if let Some(size) = e.size
            && size != st.size
        {
            problems.push(format!("{p:?}: size expected {size}, got {}", st.size));
        }
        if xattrs.get(p) != Some(&e.xattrs) {
            problems.push(format!(
                "{p:?}: xattrs expected {:?}, got {:?}",
                e.xattrs,
                xattrs.get(p)
            ));
        }
        if e.kind == "file" {
            let group = expected.hardlink_groups.iter().find(|g| g.contains(p));
            let want_links = group.map_or(1, |g| g.len() as u32);
            if st.links != want_links {
                problems.push(format!("{p:?}: {} links, expected {want_links}", st.links));
            }
        }
    }
    for g in &expected.hardlink_groups {
        let inos: Vec<Option<u64>> = g.iter().map(|p| stats.get(p).map(|s| s.ino)).collect();
        if inos.iter().any(|i| *i != inos[0]) || inos[0].is_none() {
            problems.push(format!("hard links {g:?} have inodes {inos:?}"));
        }
    }
    assert!(
        problems.is_empty(),
        "debugfs stat of {} ({} sampled paths):\n{}",
        image.display(),
        sample.len(),
        problems.join("\n")
    );
}

//! Helpers shared by the integration tests: sparse temp images and e2fsprogs wrappers.
#![allow(dead_code)]

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

pub const GIB: u64 = 1 << 30;

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A scratch directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("ext4-test-{}-{tag}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A sparse file of `size` bytes.
pub fn sparse_file(path: &Path, size: u64) -> File {
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .unwrap();
    f.set_len(size).unwrap();
    f
}

pub fn have_e2fsprogs() -> bool {
    Path::new("/usr/sbin/e2fsck").exists()
}

/// `e2fsck -fn`: exit code and combined output.
pub fn e2fsck(path: &Path) -> (i32, String) {
    let out = Command::new("/usr/sbin/e2fsck")
        .arg("-fn")
        .arg(path)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// Panics with e2fsck's findings unless the image is clean.
pub fn assert_clean(path: &Path) {
    let (code, text) = e2fsck(path);
    assert_eq!(code, 0, "e2fsck -fn found problems:\n{text}");
}

pub fn dumpe2fs_h(path: &Path) -> String {
    let out = Command::new("/usr/sbin/dumpe2fs")
        .arg("-h")
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn debugfs(path: &Path, cmd: &str) -> String {
    let out = Command::new("/usr/sbin/debugfs")
        .arg("-R")
        .arg(cmd)
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The value after `key:` on a dumpe2fs line.
pub fn field<'a>(dump: &'a str, key: &str) -> &'a str {
    dump.lines()
        .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix(':')))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no {key} in dumpe2fs output"))
}

/// Bytes the file really occupies on the host.
pub fn allocated_bytes(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).unwrap().blocks() * 512
}

//! e2fsprogs helpers for the unit tests that check our on-disk structures with the real tools.

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn tool(name: &str) -> Option<PathBuf> {
    let p = Path::new("/usr/sbin").join(name);
    p.exists().then_some(p)
}

pub fn have_tools() -> bool {
    let ok = ["mke2fs", "debugfs", "e2fsck"]
        .iter()
        .all(|t| tool(t).is_some());
    if !ok {
        eprintln!("note: e2fsprogs not found in /usr/sbin, skipping");
    }
    ok
}

pub struct Scratch(pub PathBuf);
impl Scratch {
    pub fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!("ext4-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
}
impl Drop for Scratch {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

pub fn mkfs(img: &Path) {
    let st = Command::new(tool("mke2fs").unwrap())
        .args([
            "-F",
            "-q",
            "-t",
            "ext4",
            "-O",
            "^metadata_csum,^has_journal",
            "-b",
            "4096",
            "-I",
            "256",
        ])
        .arg(img)
        .arg("16M")
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "mke2fs: {}",
        String::from_utf8_lossy(&st.stderr)
    );
}

/// Runs debugfs commands from a file (names may hold any bytes but whitespace).
pub fn debugfs(img: &Path, cmds: &[u8], write: bool) -> String {
    let file = img.with_extension("cmds");
    std::fs::write(&file, cmds).unwrap();
    let mut c = Command::new(tool("debugfs").unwrap());
    if write {
        c.arg("-w");
    }
    let out = c.arg("-f").arg(&file).arg(img).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

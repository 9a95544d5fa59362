//! Read-only loop mounts through the kernel's ext4 driver (root only).

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// Unmounts a directory when dropped.
pub struct LoopMount {
    dir: PathBuf,
}

impl LoopMount {
    /// Mounts `image` read-only at `dir`; None (with a note) when not running as root. As
    /// root a failing mount fails the test: this machine and CI can loop-mount.
    pub fn new(image: &Path, dir: &Path) -> Option<Self> {
        if !is_root() {
            eprintln!("note: not root, kernel mount check skipped");
            return None;
        }
        std::fs::create_dir_all(dir).expect("creating the mount point");
        let mut last = String::new();
        // Loop device setup can race with other mounts running in parallel: retry a little.
        for attempt in 0..4 {
            let out = Command::new("mount")
                .args(["-t", "ext4", "-o", "ro,loop"])
                .arg(image)
                .arg(dir)
                .output()
                .expect("running mount");
            if out.status.success() {
                return Some(Self {
                    dir: dir.to_path_buf(),
                });
            }
            last = String::from_utf8_lossy(&out.stderr).into_owned();
            std::thread::sleep(std::time::Duration::from_millis(200 * (attempt + 1)));
        }
        panic!("mount -o ro,loop {} failed: {last}", image.display());
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for LoopMount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
    }
}

/// Unmounts whatever a crashed earlier run left mounted below `dir`.
pub fn unmount_below(dir: &Path) {
    let Ok(mounts) = std::fs::read_to_string("/proc/self/mounts") else {
        return;
    };
    // Compared as paths: a string prefix would take `edge-turbo-tar` for a child of
    // `edge-turbo` and unmount a parallel test's device under it.
    let mut points: Vec<&str> = mounts
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .filter(|p| Path::new(p).starts_with(dir))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for p in points {
        let _ = Command::new("umount").arg(p).status();
    }
}

//! Scratch directories under the target dir, removed when a test passes and kept (with a
//! note of where) when it fails.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// `<target>/<profile>`, where the test executable's `deps/` lives.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("locating the test executable");
    exe.parent()
        .and_then(Path::parent)
        .expect("the test executable lives in <target>/<profile>/deps")
        .to_path_buf()
}

pub struct Work {
    dir: PathBuf,
}

impl Work {
    /// An empty directory `<target>/<profile>/e2e-work/<name>`.
    pub fn new(name: &str) -> Self {
        let dir = profile_dir().join("e2e-work").join(name);
        remove_tree(&dir);
        std::fs::create_dir_all(&dir).expect("creating the scratch directory");
        Self { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self, name: impl AsRef<Path>) -> PathBuf {
        self.dir.join(name)
    }

    /// A new empty subdirectory.
    pub fn subdir(&self, name: &str) -> PathBuf {
        let d = self.dir.join(name);
        remove_tree(&d);
        std::fs::create_dir_all(&d).expect("creating a scratch subdirectory");
        d
    }
}

impl Drop for Work {
    fn drop(&mut self) {
        // E2E_KEEP=1 keeps the scratch files of passing tests too (debugging aid).
        if std::thread::panicking() || std::env::var_os("E2E_KEEP").is_some() {
            eprintln!("note: scratch files kept in {}", self.dir.display());
        } else {
            remove_tree(&self.dir);
        }
    }
}

/// Removes a tree, first making its directories writable (dumps keep modes such as 0555).
pub fn remove_tree(dir: &Path) {
    fn open_up(d: &Path) {
        let _ = std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755));
        if let Ok(rd) = std::fs::read_dir(d) {
            for e in rd.flatten() {
                if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                    open_up(&e.path());
                }
            }
        }
    }
    if dir.exists() {
        crate::common::mount::unmount_below(dir);
        open_up(dir);
        let _ = std::fs::remove_dir_all(dir);
    }
}

pub fn sha256_file(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    let mut f =
        std::fs::File::open(path).unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    hex(&h.finalize())
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Names in a directory, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

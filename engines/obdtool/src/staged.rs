//! Outputs written under a temporary name and renamed into place only on success.

use anyhow::{Context, Result};
use std::fs::File;
use std::path::{Path, PathBuf};

/// Outputs are written as `<path>.partial` and renamed into place only once the whole
/// conversion succeeded, so a failed run leaves nothing that looks like a result.
#[derive(Default)]
pub struct Staged {
    /// (temporary, final) paths not yet renamed.
    pending: Vec<(PathBuf, PathBuf)>,
}

impl Staged {
    pub fn create(&mut self, path: &Path) -> Result<File> {
        let tmp = PathBuf::from(format!("{}.partial", path.display()));
        let file = File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        self.pending.push((tmp, path.to_path_buf()));
        Ok(file)
    }

    pub fn write(&mut self, path: &Path, bytes: &[u8]) -> Result<()> {
        use std::io::Write;
        let mut file = self.create(path)?;
        file.write_all(bytes)
            .with_context(|| format!("writing {}", path.display()))
    }

    pub fn commit(&mut self) -> Result<()> {
        while let Some((tmp, dst)) = self.pending.first() {
            std::fs::rename(tmp, dst)
                .with_context(|| format!("renaming {} to {}", tmp.display(), dst.display()))?;
            self.pending.remove(0);
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        for (tmp, _) in &self.pending {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

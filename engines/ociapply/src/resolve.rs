//! Walking a cleaned directory path inside the image, following symlinks the way
//! containerd's applier does: relative targets against the link's directory, absolute ones
//! against the image root, `..` clamped at the root.

use crate::error::{ApplyError, AtPath, show};
use crate::fs::{Attrs, FileType, Filesystem, Ino, Timestamp};
use crate::name::{link_components, too_long};

/// Linux's limit on symlinks followed in one lookup.
const MAX_LINKS: u32 = 40;

/// Attributes of parent directories the tar does not list.
pub(crate) const IMPLICIT_DIR: Attrs = Attrs {
    mode: 0o755,
    uid: 0,
    gid: 0,
    mtime: Timestamp { sec: 0, nsec: 0 },
};

#[derive(Debug, Clone)]
pub(crate) struct Dir {
    pub ino: Ino,
    /// Names from the root to this directory after following symlinks.
    pub real: Vec<Vec<u8>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Missing directories are created with [`IMPLICIT_DIR`].
    Create,
    Lookup,
}

#[derive(Debug)]
pub(crate) enum Outcome {
    Found(Dir),
    /// Only in lookup mode.
    Missing,
    /// A component is neither a directory nor a symlink leading to one.
    NotDir,
}

/// Resolves `comps` (already cleaned) to a directory; `path` is the tar name for errors.
pub(crate) fn resolve_dir<F: Filesystem>(
    fs: &mut F,
    comps: &[Vec<u8>],
    mode: Mode,
    path: &[u8],
) -> Result<Outcome, ApplyError> {
    let root = fs.root();
    let mut stack: Vec<(Ino, Vec<u8>)> = Vec::new();
    // Components still to walk, next one last.
    let mut pending: Vec<Vec<u8>> = comps.iter().rev().cloned().collect();
    let mut links = 0u32;
    while let Some(name) = pending.pop() {
        if name == b".." {
            stack.pop();
            continue;
        }
        if too_long(&name) {
            return match mode {
                Mode::Create => Err(ApplyError::NameTooLong { path: show(path) }),
                Mode::Lookup => Ok(Outcome::Missing),
            };
        }
        let cur = stack.last().map_or(root, |e| e.0);
        match fs.lookup(cur, &name).at(path)? {
            None => match mode {
                Mode::Create => {
                    let ino = fs.mkdir(cur, &name, &IMPLICIT_DIR).at(path)?;
                    stack.push((ino, name));
                }
                Mode::Lookup => return Ok(Outcome::Missing),
            },
            Some((ino, FileType::Directory)) => stack.push((ino, name)),
            Some((ino, FileType::Symlink)) => {
                links += 1;
                if links > MAX_LINKS {
                    return Err(ApplyError::SymlinkLoop { path: show(path) });
                }
                let target = fs.read_link(ino).at(path)?;
                if target.is_empty() {
                    return Ok(Outcome::NotDir);
                }
                if target.starts_with(b"/") {
                    stack.clear();
                }
                pending.extend(link_components(&target).rev().map(<[u8]>::to_vec));
            }
            Some(_) => return Ok(Outcome::NotDir),
        }
    }
    Ok(Outcome::Found(Dir {
        ino: stack.last().map_or(root, |e| e.0),
        real: stack.into_iter().map(|e| e.1).collect(),
    }))
}

//! Recursive deletion, iterative so that deep trees cannot exhaust the stack.

use crate::error::{ApplyError, AtPath};
use crate::extracted::Node;
use crate::fs::{FileType, Filesystem, Ino};
use crate::restamp::Restamp;

type Children = Vec<(Vec<u8>, Ino, FileType)>;

/// Lists a directory with the first entry last, so popping visits them in order.
fn children<F: Filesystem>(fs: &mut F, dir: Ino, path: &[u8]) -> Result<Children, ApplyError> {
    let mut c = fs.list_dir(dir).at(path)?;
    c.reverse();
    Ok(c)
}

/// Removes `name` (inode `ino` of type `kind`) from `dir`, with everything below it.
pub(crate) fn remove_all<F: Filesystem>(
    fs: &mut F,
    restamp: &mut Restamp,
    dir: Ino,
    name: &[u8],
    ino: Ino,
    kind: FileType,
    path: &[u8],
) -> Result<(), ApplyError> {
    if kind != FileType::Directory {
        return fs.unlink(dir, name).at(path);
    }
    struct Frame {
        parent: Ino,
        name: Vec<u8>,
        ino: Ino,
        children: Children,
    }
    let mut stack = vec![Frame {
        parent: dir,
        name: name.to_vec(),
        ino,
        children: children(fs, ino, path)?,
    }];
    while let Some(top) = stack.last_mut() {
        match top.children.pop() {
            Some((n, i, FileType::Directory)) => {
                let parent = top.ino;
                let c = children(fs, i, path)?;
                stack.push(Frame {
                    parent,
                    name: n,
                    ino: i,
                    children: c,
                });
            }
            Some((n, _, _)) => fs.unlink(top.ino, &n).at(path)?,
            None => {
                let parent = top.parent;
                let name = std::mem::take(&mut top.name);
                let ino = top.ino;
                stack.pop();
                fs.rmdir(parent, &name).at(path)?;
                restamp.forget(ino);
            }
        }
    }
    Ok(())
}

/// Removes `name` from `dir` like [`remove_all`], except what `node` (its entry in the
/// extracted-paths trie, if any) marks as extracted from this layer: such paths stay, and so
/// do the directories leading to them, whose other children are removed.
#[allow(clippy::too_many_arguments)]
pub(crate) fn remove_spared<F: Filesystem>(
    fs: &mut F,
    restamp: &mut Restamp,
    dir: Ino,
    name: &[u8],
    ino: Ino,
    kind: FileType,
    node: Option<&Node>,
    path: &[u8],
) -> Result<(), ApplyError> {
    match node {
        None => remove_all(fs, restamp, dir, name, ino, kind, path),
        Some(n) if kind == FileType::Directory => clear_spared(fs, restamp, ino, Some(n), path),
        Some(n) if n.marked => Ok(()),
        Some(_) => fs.unlink(dir, name).at(path),
    }
}

/// Removes the children of directory `dir` under the sparing rule of [`remove_spared`];
/// `node` is the trie node of `dir` itself.
pub(crate) fn clear_spared<F: Filesystem>(
    fs: &mut F,
    restamp: &mut Restamp,
    dir: Ino,
    node: Option<&Node>,
    path: &[u8],
) -> Result<(), ApplyError> {
    let mut stack: Vec<(Ino, Option<&Node>, Children)> =
        vec![(dir, node, children(fs, dir, path)?)];
    while let Some((cur, cur_node, kids)) = stack.last_mut() {
        let Some((n, i, k)) = kids.pop() else {
            stack.pop();
            continue;
        };
        let (cur, child_node) = (*cur, cur_node.and_then(|m| m.children.get(&n)));
        match child_node {
            None => remove_all(fs, restamp, cur, &n, i, k, path)?,
            Some(c) if k == FileType::Directory => {
                let grand = children(fs, i, path)?;
                stack.push((i, Some(c), grand));
            }
            Some(c) if c.marked => {}
            Some(_) => fs.unlink(cur, &n).at(path)?,
        }
    }
    Ok(())
}

//! Unpacking an image's tar layers (plain, gzip or zstd) into a directory the way a container
//! runtime does (whiteouts and opaque directories honoured), and a comparable snapshot of the
//! tree, so two images can be shown to hold the same files.

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Component, Path, PathBuf};

const WHITEOUT: &str = ".wh.";
const OPAQUE: &str = ".wh..wh..opq";

/// Opens a layer blob as its uncompressed tar stream, by media type.
pub fn open_layer(media_type: &str, blob: &Path) -> Result<Box<dyn Read>> {
    let file = BufReader::new(
        File::open(blob).with_context(|| format!("failed to open {}", blob.display()))?,
    );
    Ok(if media_type.ends_with("gzip") {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else if media_type.ends_with("zstd") {
        Box::new(ruzstd::decoding::StreamingDecoder::new(file).context("not a zstd stream")?)
    } else if media_type.ends_with(".tar") {
        Box::new(file)
    } else {
        bail!("{media_type} is not a tar layer")
    })
}

/// Applies the layers (bottom first) onto `dest`.
pub fn unpack_layers(layers: &[(String, PathBuf)], dest: &Path) -> Result<()> {
    std::fs::create_dir_all(dest)?;
    for (media_type, blob) in layers {
        apply(open_layer(media_type, blob)?, dest)
            .with_context(|| format!("failed to apply {}", blob.display()))?;
    }
    Ok(())
}

/// Without root, owners and device nodes cannot be made; both sides of a comparison then skip
/// them alike.
fn apply(tar: Box<dyn Read>, dest: &Path) -> Result<()> {
    let root = crate::rootfs::is_root();
    let mut archive = tar::Archive::new(tar);
    archive.set_preserve_permissions(true);
    archive.set_preserve_ownerships(root);
    archive.set_unpack_xattrs(true);
    archive.set_overwrite(true);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let kind = entry.header().entry_type();
        if !root && (kind.is_character_special() || kind.is_block_special()) {
            continue;
        }
        let rel = confined(&entry.path()?)?;
        let name = rel
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let parent = dest.join(rel.parent().unwrap_or(Path::new("")));
        if name == OPAQUE {
            for child in std::fs::read_dir(&parent)? {
                remove(&child?.path())?;
            }
        } else if let Some(hidden) = name.strip_prefix(WHITEOUT) {
            remove(&parent.join(hidden))?;
        } else {
            let target = dest.join(&rel);
            // A file replacing a directory (or the reverse) replaces it whole.
            if let Ok(old) = std::fs::symlink_metadata(&target)
                && !(old.is_dir() && entry.header().entry_type().is_dir())
            {
                remove(&target)?;
            }
            entry.unpack_in(dest)?;
        }
    }
    Ok(())
}

fn confined(path: &Path) -> Result<PathBuf> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::CurDir | Component::RootDir => {}
            _ => bail!("{} leaves the root", path.display()),
        }
    }
    Ok(out)
}

fn remove(path: &Path) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path)?,
        Ok(_) => std::fs::remove_file(path)?,
        Err(_) => {}
    }
    Ok(())
}

/// What a tree holds, path by path: type, mode, owner, and content digest, link target or
/// device number. Timestamps are left out (unpacking changes directory times).
pub fn snapshot(root: &Path) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    walk(root, root, &mut out)?;
    Ok(out)
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<std::io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let m = std::fs::symlink_metadata(&path)?;
        let ft = m.file_type();
        let what = if ft.is_dir() {
            "dir".to_string()
        } else if ft.is_symlink() {
            format!("symlink {}", std::fs::read_link(&path)?.display())
        } else if ft.is_file() {
            let mut hash = Sha256::new();
            std::io::copy(&mut File::open(&path)?, &mut hash)?;
            format!("file {} nlink {}", hex(&hash.finalize()), m.nlink())
        } else if ft.is_char_device() || ft.is_block_device() {
            format!("dev {:x}", m.rdev())
        } else {
            "fifo/socket".to_string()
        };
        let rel = path.strip_prefix(root)?.display().to_string();
        out.insert(
            rel,
            format!(
                "{what} mode {:o} {}:{}",
                m.mode() & 0o7777,
                m.uid(),
                m.gid()
            ),
        );
        if ft.is_dir() {
            walk(root, &path, out)?;
        }
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The first differences between two snapshots, for a failure message.
pub fn diff(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in a {
        match b.get(k) {
            None => out.push(format!("only in the first: {k} ({v})")),
            Some(w) if w != v => out.push(format!("{k}: {v} != {w}")),
            _ => {}
        }
    }
    for (k, w) in b {
        if !a.contains_key(k) {
            out.push(format!("only in the second: {k} ({w})"));
        }
    }
    out.truncate(20);
    out
}

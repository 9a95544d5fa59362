//! Moving a manifest or index and everything under it between a registry repository and an
//! OCI layout, byte for byte: blobs in parallel, documents children first, the root last.

use super::api::Repo;
use super::graph::children;
use super::parallel::for_each;
use super::{TRANSFER_JOBS, document_media_type};
use crate::gojson::Descriptor;
use crate::layout::{Layout, Verify};
use anyhow::{Context, Result};
use std::collections::BTreeSet;

/// Everything under a root: documents children first (root last), blobs once each.
#[derive(Debug, Default)]
pub struct Closure {
    pub documents: Vec<Descriptor>,
    pub blobs: Vec<Descriptor>,
    /// Documents whose push the registry answered with `OCI-Subject` (filled by a push).
    pub subject_indexed: BTreeSet<String>,
}

/// The closure of `root`, read from `layout`.
pub fn layout_closure(layout: &Layout, root: &Descriptor) -> Result<Closure> {
    let mut out = Closure::default();
    let mut seen = BTreeSet::new();
    visit(&mut out, &mut seen, root, 0, &mut |d| {
        layout.read_blob(&d.digest, Verify::Yes)
    })?;
    Ok(out)
}

/// Nested indexes deeper than this are refused.
const MAX_DEPTH: usize = 8;

fn visit(
    out: &mut Closure,
    seen: &mut BTreeSet<String>,
    desc: &Descriptor,
    depth: usize,
    read: &mut dyn FnMut(&Descriptor) -> Result<Vec<u8>>,
) -> Result<()> {
    if depth > MAX_DEPTH {
        anyhow::bail!(
            "{}: indexes nest deeper than {MAX_DEPTH} levels",
            desc.digest
        );
    }
    if !seen.insert(desc.digest.clone()) {
        return Ok(());
    }
    let bytes = read(desc)?;
    let c = children(&desc.digest, &bytes)?;
    for m in &c.manifests {
        visit(out, seen, m, depth + 1, read)?;
    }
    for b in c.blobs {
        if seen.insert(b.digest.clone()) {
            out.blobs.push(b);
        }
    }
    let mut d = desc.clone();
    if d.media_type.is_empty() {
        d.media_type = document_media_type(None, &bytes);
    }
    out.documents.push(d);
    Ok(())
}

/// Pulls `reference` (tag or digest) and everything under it into `layout`, verifying every
/// digest; returns the root's descriptor. Nothing is tagged.
pub fn pull_all(repo: &Repo<'_>, reference: &str, layout: &Layout) -> Result<Descriptor> {
    let root = pull_document(repo, reference, layout)?;
    let mut closure = Closure::default();
    let mut seen = BTreeSet::new();
    visit(&mut closure, &mut seen, &root, 0, &mut |d| {
        if !layout.has_blob(&d.digest)? {
            pull_document(repo, &d.digest, layout)?;
        }
        layout.read_blob(&d.digest, Verify::Yes)
    })?;
    pull_blobs(repo, &closure.blobs, layout)?;
    Ok(root)
}

/// GETs one manifest or index into `layout`.
pub fn pull_document(repo: &Repo<'_>, reference: &str, layout: &Layout) -> Result<Descriptor> {
    let f = repo.get_manifest(reference)?;
    layout
        .put_document(&f.media_type, &f.bytes)
        .with_context(|| format!("failed to store manifest {}", f.digest))
}

/// Downloads the blobs `layout` lacks, a few at a time.
pub fn pull_blobs(repo: &Repo<'_>, blobs: &[Descriptor], layout: &Layout) -> Result<()> {
    let mut missing = Vec::new();
    for b in blobs {
        if !layout.has_blob(&b.digest)? {
            missing.push(b.clone());
        }
    }
    for_each(&missing, TRANSFER_JOBS, |b| {
        repo.pull_blob(&b.digest, u64::try_from(b.size).ok(), layout)
            .map_err(anyhow::Error::from)
    })
}

/// Where blobs a target repository lacks can be mounted from: a repository on the same host,
/// and the digests it is known to hold (`None`: try every blob).
#[derive(Debug, Clone, Copy)]
pub struct MountFrom<'a> {
    pub repository: &'a str,
    pub digests: Option<&'a BTreeSet<String>>,
}

/// Pushes everything under `root` from `layout` except the root's tag: blobs the registry
/// lacks (mounted when `mount` may hold them), then documents by digest, children first.
pub fn push_all(
    repo: &Repo<'_>,
    layout: &Layout,
    root: &Descriptor,
    mount: Option<MountFrom<'_>>,
) -> Result<Closure> {
    let closure = layout_closure(layout, root)?;
    for_each(&closure.blobs, TRANSFER_JOBS, |b| {
        push_one_blob(repo, layout, b, mount)
    })?;
    let mut closure = closure;
    for d in &closure.documents {
        let bytes = layout.read_blob(&d.digest, Verify::Yes)?;
        if repo
            .put_manifest(&d.digest, &d.media_type, &bytes)
            .with_context(|| format!("failed to push manifest {}", d.digest))?
        {
            closure.subject_indexed.insert(d.digest.clone());
        }
    }
    Ok(closure)
}

/// One blob of `layout` into `repo`: nothing when it is there, a mount when `mount` holds it,
/// else an upload.
pub fn push_one_blob(
    repo: &Repo<'_>,
    layout: &Layout,
    b: &Descriptor,
    mount: Option<MountFrom<'_>>,
) -> Result<()> {
    if repo.has_blob(&b.digest)? {
        return Ok(());
    }
    if let Some(m) = mount
        .filter(|m| m.repository != repo.name && m.digests.is_none_or(|d| d.contains(&b.digest)))
        && repo.mount_blob(&b.digest, m.repository)?
    {
        return Ok(());
    }
    let path = layout.blob_path(&b.digest)?;
    repo.upload_blob(&b.digest, &path)
        .with_context(|| format!("failed to push blob {}", b.digest))
}

/// PUTs the root's exact bytes under `tag`: the last step of a push.
pub fn push_tag(repo: &Repo<'_>, layout: &Layout, root: &Descriptor, tag: &str) -> Result<()> {
    let bytes = layout.read_blob(&root.digest, Verify::Yes)?;
    let media_type = if root.media_type.is_empty() {
        document_media_type(None, &bytes)
    } else {
        root.media_type.clone()
    };
    repo.put_manifest(tag, &media_type, &bytes)
        .with_context(|| format!("failed to tag {tag}"))?;
    Ok(())
}

/// Copies the closure of `root` from one layout into another (blob files as they are).
pub fn copy_layout(from: &Layout, root: &Descriptor, to: &Layout) -> Result<()> {
    let closure = layout_closure(from, root)?;
    for d in closure.blobs.iter().chain(&closure.documents) {
        if !to.has_blob(&d.digest)? {
            let f = from.open_blob(&d.digest)?;
            to.write_blob_from(f, Some(&d.digest))?;
        }
    }
    Ok(())
}

//! The image graph: a root descriptor resolved into manifests (with their configs) and nested
//! indexes, walked in child order (upstream-convertor.md §2.3).

use super::ImageError;
use super::media::{ANNOTATION_DOCKER_REFERENCE_TYPE, ATTESTATION_MANIFEST, NodeKind, node_kind};
use super::platform::{PlatformFilter, format_platform};
use crate::gojson::{self, Descriptor, Image, Index, Manifest};
use anyhow::{Context, Result};

/// Nested indexes deeper than this are rejected; real images nest one or two levels.
const MAX_DEPTH: usize = 8;

/// Where the walk reads manifests, indexes and configs from.
pub trait BlobSource {
    /// The bytes `desc` points at, checked against its digest and size.
    fn fetch(&self, desc: &Descriptor) -> Result<Vec<u8>>;
}

/// A manifest with its decoded config.
#[derive(Debug, Clone)]
pub struct ImageNode {
    /// The descriptor the manifest was reached by (an index entry keeps platform and
    /// annotations here).
    pub source: Descriptor,
    pub manifest: Manifest,
    pub config: Image,
}

/// An index with one entry per source child, in source order.
#[derive(Debug, Clone)]
pub struct IndexNode {
    pub source: Descriptor,
    pub index: Index,
    pub children: Vec<Child>,
}

// A graph holds tens of nodes at most; boxing would only complicate matching.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Node {
    Image(ImageNode),
    Index(IndexNode),
}

/// A child of an index: walked, or left out of the output.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Child {
    Node(Node),
    Skipped {
        entry: Descriptor,
        reason: SkipReason,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// BuildKit attestation manifest: it cannot be re-associated after conversion.
    Attestation,
    /// Not one of the `--platform` values.
    Platform,
}

/// A walked graph and the warnings the walk produced.
#[derive(Debug, Clone)]
pub struct Graph {
    pub root: Node,
    pub warnings: Vec<String>,
}

impl Node {
    pub fn source(&self) -> &Descriptor {
        match self {
            Node::Image(n) => &n.source,
            Node::Index(n) => &n.source,
        }
    }

    /// Every manifest in depth-first child order.
    pub fn images(&self) -> Vec<&ImageNode> {
        let mut out = Vec::new();
        self.collect_images(&mut out);
        out
    }

    fn collect_images<'a>(&'a self, out: &mut Vec<&'a ImageNode>) {
        match self {
            Node::Image(n) => out.push(n),
            Node::Index(n) => {
                for c in &n.children {
                    if let Child::Node(node) = c {
                        node.collect_images(out);
                    }
                }
            }
        }
    }
}

/// Whether an index entry is a BuildKit attestation manifest. Only the annotation counts; an
/// `unknown/unknown` platform alone does not.
pub fn is_attestation(entry: &Descriptor) -> bool {
    entry
        .annotations
        .get(ANNOTATION_DOCKER_REFERENCE_TYPE)
        .is_some_and(|v| v == ATTESTATION_MANIFEST)
}

/// Walks the graph under `root`, fetching every manifest, index and config.
pub fn walk(src: &dyn BlobSource, root: &Descriptor, filter: &PlatformFilter) -> Result<Graph> {
    let mut warnings = Vec::new();
    let node = visit(src, root, filter, 0, &mut warnings)?;
    let Some(node) = node else {
        return Err(ImageError::NoMatchingPlatform(root.digest.clone()).into());
    };
    if node.images().is_empty() {
        return Err(ImageError::NoMatchingPlatform(root.digest.clone()).into());
    }
    Ok(Graph {
        root: node,
        warnings,
    })
}

/// `None` when the platform filter leaves nothing under `desc`.
fn visit(
    src: &dyn BlobSource,
    desc: &Descriptor,
    filter: &PlatformFilter,
    depth: usize,
    warnings: &mut Vec<String>,
) -> Result<Option<Node>> {
    if depth > MAX_DEPTH {
        return Err(ImageError::TooDeep(desc.digest.clone()).into());
    }
    match node_kind(&desc.media_type)? {
        NodeKind::Manifest => {
            let image = load_image(src, desc)?;
            let platform = desc
                .platform
                .clone()
                .unwrap_or_else(|| image.config.platform());
            if !filter.matches(&platform) {
                return Ok(None);
            }
            Ok(Some(Node::Image(image)))
        }
        NodeKind::Index => {
            let bytes = src.fetch(desc).context("failed to fetch index")?;
            let index: Index = gojson::from_slice(&bytes)
                .with_context(|| format!("failed to decode index {}", desc.digest))?;
            let mut children = Vec::with_capacity(index.manifests().len());
            for entry in index.manifests() {
                if is_attestation(entry) {
                    warnings.push(format!(
                        "skipping attestation manifest {}: cannot be re-associated after conversion",
                        entry.digest
                    ));
                    children.push(Child::Skipped {
                        entry: entry.clone(),
                        reason: SkipReason::Attestation,
                    });
                    continue;
                }
                let child = visit(src, entry, filter, depth + 1, warnings)
                    .with_context(|| format!("failed to walk {:?}", entry.digest))?;
                children.push(match child {
                    Some(node) => Child::Node(node),
                    None => {
                        if let Some(p) = &entry.platform {
                            warnings.push(format!(
                                "skipping {} ({}): not a requested platform",
                                entry.digest,
                                format_platform(p)
                            ));
                        }
                        Child::Skipped {
                            entry: entry.clone(),
                            reason: SkipReason::Platform,
                        }
                    }
                });
            }
            let any_kept = children.iter().any(|c| matches!(c, Child::Node(_)));
            let any_filtered = children.iter().any(|c| {
                matches!(
                    c,
                    Child::Skipped {
                        reason: SkipReason::Platform,
                        ..
                    }
                )
            });
            if !any_kept && any_filtered {
                return Ok(None);
            }
            Ok(Some(Node::Index(IndexNode {
                source: desc.clone(),
                index,
                children,
            })))
        }
    }
}

/// Fetches and decodes a manifest and its config, checking there is a diff_id per layer.
pub fn load_image(src: &dyn BlobSource, desc: &Descriptor) -> Result<ImageNode> {
    let bytes = src.fetch(desc).context("failed to fetch manifest")?;
    let manifest: Manifest = gojson::from_slice(&bytes)
        .with_context(|| format!("failed to decode manifest {}", desc.digest))?;
    let config_bytes = src
        .fetch(&manifest.config)
        .with_context(|| format!("failed to fetch config of manifest {}", desc.digest))?;
    let config: Image = gojson::from_slice(&config_bytes)
        .with_context(|| format!("failed to decode config {}", manifest.config.digest))?;
    let (layers, diff_ids) = (manifest.layers().len(), config.diff_ids().len());
    if diff_ids < layers {
        return Err(ImageError::MissingDiffIds {
            manifest: desc.digest.clone(),
            layers,
            diff_ids,
        }
        .into());
    }
    Ok(ImageNode {
        source: desc.clone(),
        manifest,
        config,
    })
}

//! The first step of a run: resolve the source in its repository and walk its graph.

use crate::cli::Selector;
use crate::gojson::Descriptor;
use crate::image::{self, Graph, PlatformFilter};
use crate::layout::Layout;
use anyhow::{Context, Result};

/// The source root and everything under it.
#[derive(Debug, Clone)]
pub struct Plan {
    pub root: Descriptor,
    pub graph: Graph,
}

/// Resolves `source` (a tag wins over a digest, as upstream) in an OCI layout and walks it.
pub fn plan_layout(layout: &Layout, source: &Selector, filter: &PlatformFilter) -> Result<Plan> {
    let root = match source {
        Selector::Tag(t) => layout.resolve_tag(t)?,
        Selector::Digest(d) => layout.resolve_digest(d)?,
    };
    let graph = image::walk(layout, &root, filter)
        .with_context(|| format!("failed to walk {:?}", root.digest))?;
    Ok(Plan { root, graph })
}

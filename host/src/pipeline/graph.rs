//! One target over the whole source graph: images converted concurrently (at most
//! `--concurrency-limit` at a time, each image's layers in order), then the indexes rebuilt
//! bottom-up around them.

use super::image::{Cancelled, TargetCtx, convert_image};
use super::report::ImageReport;
use crate::assemble::assemble_index;
use crate::gojson::Descriptor;
use crate::image::{Child, ImageNode, Node};
use anyhow::{Result, anyhow};
use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Converts every image under `root`; `first_n` numbers the first image's work directory.
/// Returns the reports in graph order.
pub fn convert_images(
    ctx: &TargetCtx<'_>,
    images: &[&ImageNode],
    first_n: usize,
    limit: Option<NonZeroUsize>,
) -> Result<Vec<ImageReport>> {
    let workers = limit
        .map_or(images.len(), NonZeroUsize::get)
        .min(images.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<ImageReport>>> = images.iter().map(|_| Mutex::new(None)).collect();
    // The first failure in time; later ones are usually its consequence (cancellation).
    let failure: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(node) = images.get(i) else { break };
                    if ctx.cancel.load(Ordering::Relaxed) {
                        break;
                    }
                    match convert_image(ctx, first_n + i, node) {
                        Ok(r) => {
                            if let Some(Ok(mut slot)) = slots.get(i).map(Mutex::lock) {
                                *slot = Some(r);
                            }
                        }
                        Err(e) => {
                            ctx.cancel.store(true, Ordering::Relaxed);
                            if e.downcast_ref::<Cancelled>().is_none()
                                && let Ok(mut f) = failure.lock()
                                && f.is_none()
                            {
                                *f = Some(e.context(describe(node)));
                            }
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().ok().flatten() {
        return Err(e);
    }
    slots
        .into_iter()
        .zip(images)
        .map(|(slot, node)| {
            slot.into_inner()
                .ok()
                .flatten()
                .ok_or_else(|| anyhow!("{} was not converted", describe(node)))
        })
        .collect()
}

fn describe(node: &ImageNode) -> String {
    format!("failed to build {:?}", node.source.digest)
}

/// Rebuilds `node` from converted images (consumed in graph order) and stores every index;
/// returns the node's converted descriptor. Indexes are appended to `indexes` children first.
pub fn assemble_node<'r>(
    ctx: &TargetCtx<'_>,
    node: &Node,
    images: &mut impl Iterator<Item = &'r ImageReport>,
    indexes: &mut Vec<Descriptor>,
) -> Result<Descriptor> {
    match node {
        Node::Image(n) => images
            .next()
            .map(|r| r.manifest.clone())
            .ok_or_else(|| anyhow!("no converted image for {}", n.source.digest)),
        Node::Index(idx) => {
            let mut converted = Vec::with_capacity(idx.children.len());
            for child in &idx.children {
                converted.push(match child {
                    Child::Node(n) => Some(assemble_node(ctx, n, images, indexes)?),
                    Child::Skipped { .. } => None,
                });
            }
            let doc = assemble_index(&idx.index, &idx.source, &converted, &ctx.assemble)?;
            ctx.store
                .put_document(&doc.descriptor.media_type, &doc.bytes)?;
            if ctx.dump {
                ctx.work.dump(&ctx.work.root, "index.json", &doc.bytes)?;
            }
            indexes.push(doc.descriptor.clone());
            Ok(doc.descriptor)
        }
    }
}

//! The shared edge image converted layer by layer with `obdtool apply` into native
//! overlaybd blobs (from mkfs, and on upstream's ext4_64 base layer), flattened with
//! `obdtool flatten`, and read back with e2fsck, the kernel and debugfs.

mod common;

use common::edge::{self, Edge};
use common::obd::Args;
use common::work::Work;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Applies the four layers, each onto the previous outputs (and `base` below them, else
/// mkfs), with the convertor's chainID uuids; returns the whole stack, bottom first.
fn convert(edge: &Edge, base: Option<&Path>, work: &Work) -> Vec<PathBuf> {
    let uuids = edge.chain_uuids();
    let mut stack: Vec<PathBuf> = base.into_iter().map(Path::to_path_buf).collect();
    for (i, layer) in edge.layers.iter().enumerate() {
        let out = work.path(format!("layer-{i}.commit"));
        let mut a = Args::new("apply");
        if stack.is_empty() {
            a = a.arg("--mkfs");
        }
        for l in &stack {
            a = a.opt("--lower", l);
        }
        a = a.opt("--uuid", &uuids[i]);
        if i > 0 {
            a = a.opt("--parent-uuid", &uuids[i - 1]);
        }
        a.arg(layer).opt("-o", &out).ok();
        stack.push(out);
    }
    stack
}

/// `obdtool info` shows the uuid chain the layers were committed with.
fn assert_uuids(edge: &Edge, work: &Work) {
    let uuids = edge.chain_uuids();
    for (i, uuid) in uuids.iter().enumerate() {
        let info = Args::new("info")
            .arg(work.path(format!("layer-{i}.commit")))
            .ok();
        let parent = if i == 0 {
            "00000000-0000-0000-0000-000000000000".to_string()
        } else {
            uuids[i - 1].to_uppercase()
        };
        let want = format!("uuid {}  parent {parent}", uuid.to_uppercase());
        assert!(
            info.contains(&want),
            "layer {i}: expected {want:?} in\n{info}"
        );
        assert!(info.contains("tar wrapper: payload at 1536"), "{info}");
        assert!(info.contains("zfile: Lz4, block size 4096"), "{info}");
    }
}

fn flatten(stack: &[PathBuf], work: &Work) -> PathBuf {
    let raw = work.path("device.raw");
    let mut a = Args::new("flatten");
    for l in stack {
        a = a.arg(l);
    }
    a.opt("-o", &raw).ok();
    raw
}

#[test]
fn edge_image_native_from_mkfs() {
    let Some(edge) = edge::image() else {
        return;
    };
    let work = Work::new("edge-native");
    let t = Instant::now();
    let stack = convert(&edge, None, &work);
    assert_uuids(&edge, &work);
    let raw = flatten(&stack, &work);
    eprintln!("native: converted and flattened in {:.1?}", t.elapsed());
    edge::assert_device(&raw, &edge, &work);
}

#[test]
fn edge_image_native_on_upstream_ext4_64_base() {
    let Some(edge) = edge::image() else {
        return;
    };
    let base = convertor_tests::shared_dir()
        .expect("shared")
        .join("golden/ext4_64");
    let work = Work::new("edge-native-ext4_64");
    let t = Instant::now();
    let stack = convert(&edge, Some(&base), &work);
    assert_uuids(&edge, &work);
    let raw = flatten(&stack, &work);
    eprintln!(
        "ext4_64 base: converted and flattened in {:.1?}",
        t.elapsed()
    );
    edge::assert_device(&raw, &edge, &work);
}

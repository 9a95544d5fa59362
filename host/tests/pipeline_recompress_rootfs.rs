//! The recompress sample engine through `convertor --engine` on the Debian rootfs-small image
//! (../shared/bench, built once into target/bench): unpacking its zstd output gives the same
//! tree as unpacking the gzip source, whiteouts honoured. Without the image (no root, no
//! mirror) the test says why and compares on the project's sample image instead.
//!
//! Components come from `ENGINE_WASM_DIR` (`just engines`).

mod pipeline_common;

use convertor::gojson::{self, Manifest};
use convertor::layout::{Layout, Verify};
use convertor_tests::rootfs::rootfs_image;
use convertor_tests::sample::write_sample_image;
use convertor_tests::unpack::{diff, snapshot, unpack_layers};
use convertor_tests::wasm::component;
use pipeline_common::{assert_ok, convertor, tempdir};
use std::path::{Path, PathBuf};

/// A layout of its own: blobs hard-linked (never rewritten: content-addressed), the rest copied.
fn link_layout(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            link_layout(&e.path(), &dst);
        } else if from.ends_with("sha256") {
            std::fs::hard_link(e.path(), &dst)
                .or_else(|_| std::fs::copy(e.path(), &dst).map(drop))
                .unwrap();
        } else {
            std::fs::copy(e.path(), &dst).unwrap();
        }
    }
}

fn layers(layout: &Layout, tag: &str) -> Vec<(String, PathBuf)> {
    let desc = layout.resolve_tag(tag).unwrap();
    let m: Manifest =
        gojson::from_slice(&layout.read_blob(&desc.digest, Verify::Yes).unwrap()).unwrap();
    m.layers()
        .iter()
        .map(|d| (d.media_type.clone(), layout.blob_path(&d.digest).unwrap()))
        .collect()
}

#[test]
fn recompressed_rootfs_unpacks_to_the_same_tree() {
    let dir = tempdir();
    let layout_dir = dir.path().join("layout");
    let name = match rootfs_image("small") {
        Ok(image) => {
            link_layout(&image, &layout_dir);
            "rootfs-small"
        }
        Err(why) => {
            eprintln!("rootfs-small is not available ({why:#}): comparing on the sample image");
            write_sample_image(&layout_dir).unwrap();
            "sample"
        }
    };
    let start = std::time::Instant::now();
    assert_ok(&convertor(&[
        "-r",
        &format!("oci:{}", layout_dir.display()),
        "-i",
        "latest",
        "--oci",
        "-d",
        &dir.path().join("work").display().to_string(),
        "--engine",
        &format!("zst={}", component("recompress_engine").unwrap().display()),
    ]));
    eprintln!("{name}: recompressed in {:.2?}", start.elapsed());

    let layout = Layout::open(&layout_dir).unwrap();
    let (src, out) = (layers(&layout, "latest"), layers(&layout, "zst"));
    assert_eq!(src.len(), out.len());
    assert!(out.iter().all(|(t, _)| t.ends_with("+zstd")), "{out:?}");
    let (src_tree, out_tree) = (dir.path().join("src"), dir.path().join("out"));
    unpack_layers(&src, &src_tree).unwrap();
    unpack_layers(&out, &out_tree).unwrap();
    let (a, b) = (snapshot(&src_tree).unwrap(), snapshot(&out_tree).unwrap());
    eprintln!("{name}: {} entries in both trees", a.len());
    assert!(a.len() > 10, "{name} unpacked to only {} entries", a.len());
    assert!(a == b, "{name}: trees differ: {:#?}", diff(&a, &b));
}

//! Upstream's hello-world fixture through the `convertor` binary: the converted config and
//! manifest equal upstream's bytes once our layer stands in for theirs, and multi-platform and
//! nested indexes keep order, platforms and annotations.

mod common;
mod pipeline_common;

use common::shared_dir;
use convertor::gojson::{self, Index, Manifest};
use convertor::image::{OCI_INDEX, OCI_MANIFEST};
use convertor::layout::{Layout, Verify};
use pipeline_common::{assert_ok, checked_manifest, convertor, copy_dir, tempdir};
use std::path::Path;

const UPSTREAM_LAYER: &str =
    "sha256:022231c3f1af70e0cc42f0c3781eabf174cff608210585bf93fc83e16d33672d";
const UPSTREAM_CONFIG: &str =
    "sha256:b67b1f1224de620e9a932ab7ff0e819d7dd9d236605dd8027e5ecf2df650e65e";

/// A writable copy of the fixture layout.
fn fixture(shared: &Path, dir: &Path) -> String {
    let layout = dir.join("hello-world");
    copy_dir(&shared.join("fixtures/hello-world"), &layout);
    layout.display().to_string()
}

fn convert(layout: &str, work: &Path, input: &str, tag: &str) -> String {
    assert_ok(&convertor(&[
        "-r",
        &format!("oci:{layout}"),
        "-i",
        input,
        "--oci",
        "--overlaybd",
        tag,
        "-d",
        &work.display().to_string(),
    ]))
}

#[test]
fn amd64_config_and_manifest_match_upstream_bytes() {
    let Some(shared) = shared_dir() else { return };
    let dir = tempdir();
    let layout_dir = fixture(&shared, dir.path());
    convert(&layout_dir, &dir.path().join("work"), "amd64", "X");

    let golden = Layout::open(shared.join("golden/hello-world-converted")).unwrap();
    let g_desc = golden.resolve_tag("amd64-converted").unwrap();
    let g_manifest =
        String::from_utf8(golden.read_blob(&g_desc.digest, Verify::Yes).unwrap()).unwrap();
    let g_config =
        String::from_utf8(golden.read_blob(UPSTREAM_CONFIG, Verify::Yes).unwrap()).unwrap();
    let g_layer = gojson::from_slice::<Manifest>(g_manifest.as_bytes())
        .unwrap()
        .layers()[0]
        .clone();
    assert_eq!(g_layer.digest, UPSTREAM_LAYER);

    let layout = Layout::open(&layout_dir).unwrap();
    let desc = layout.resolve_tag("X").unwrap();
    assert_eq!(desc.media_type, OCI_MANIFEST);
    let m = checked_manifest(&layout, &desc);
    assert_eq!(m.layers().len(), 1);
    let ours = &m.layers()[0];

    let config =
        String::from_utf8(layout.read_blob(&m.config.digest, Verify::Yes).unwrap()).unwrap();
    assert_eq!(config, g_config.replace(UPSTREAM_LAYER, &ours.digest));

    let manifest = String::from_utf8(layout.read_blob(&desc.digest, Verify::Yes).unwrap()).unwrap();
    let expected = g_manifest
        .replace(UPSTREAM_LAYER, &ours.digest)
        .replace(
            &format!("\"size\":{}", g_layer.size),
            &format!("\"size\":{}", ours.size),
        )
        .replace(
            &format!("blob-size\":\"{}\"", g_layer.size),
            &format!("blob-size\":\"{}\"", ours.size),
        )
        .replace(UPSTREAM_CONFIG, &m.config.digest)
        .replace(
            &format!("\"size\":{}}}", g_config.len()),
            &format!("\"size\":{}}}", m.config.size),
        );
    assert_eq!(manifest, expected);
}

/// Every entry of a converted index next to its source entry: same platform and annotations,
/// a converted OCI manifest (or index) that exists in the layout.
fn assert_index_kept(layout: &Layout, source: &Index, converted: &Index) -> Vec<(String, String)> {
    assert_eq!(converted.media_type, OCI_INDEX);
    assert_eq!(converted.annotations, source.annotations);
    assert_eq!(converted.manifests().len(), source.manifests().len());
    let mut pairs = Vec::new();
    for (o, s) in converted.manifests().iter().zip(source.manifests()) {
        assert_eq!(o.platform, s.platform);
        assert_eq!(o.annotations, s.annotations);
        assert_ne!(o.digest, s.digest);
        assert!(layout.has_blob(&o.digest).unwrap());
        pairs.push((s.digest.clone(), o.digest.clone()));
    }
    pairs
}

fn read_index(layout: &Layout, digest: &str) -> Index {
    gojson::from_slice(&layout.read_blob(digest, Verify::Yes).unwrap()).unwrap()
}

#[test]
fn multi_arch_and_nested_index_keep_order_platforms_and_annotations() {
    let Some(shared) = shared_dir() else { return };
    let dir = tempdir();
    let layout_dir = fixture(&shared, dir.path());
    let work = dir.path().join("work");
    let start = std::time::Instant::now();
    convert(&layout_dir, &work, "multi-arch", "ma");
    eprintln!("multi-arch (9 images): {:.2?}", start.elapsed());
    convert(&layout_dir, &work, "nested-index", "ni");
    let layout = Layout::open(&layout_dir).unwrap();

    let src = layout.resolve_tag("multi-arch").unwrap();
    let out = layout.resolve_tag("ma").unwrap();
    assert_eq!(out.media_type, OCI_INDEX);
    let pairs = assert_index_kept(
        &layout,
        &read_index(&layout, &src.digest),
        &read_index(&layout, &out.digest),
    );
    assert_eq!(pairs.len(), 9);
    for (_, converted) in &pairs {
        let desc = convertor::gojson::Descriptor::new(OCI_MANIFEST, converted, 0);
        let bytes = layout.read_blob(&desc.digest, Verify::Yes).unwrap();
        let m: Manifest = gojson::from_slice(&bytes).unwrap();
        assert_eq!(m.media_type, OCI_MANIFEST);
        assert_eq!(m.layers().len(), 1);
    }

    // One image at a time gives the same index.
    assert_ok(&convertor(&[
        "-r",
        &format!("oci:{layout_dir}"),
        "-i",
        "multi-arch",
        "--oci",
        "--overlaybd",
        "ma1",
        "--concurrency-limit",
        "1",
        "-d",
        &work.display().to_string(),
    ]));
    assert_eq!(layout.resolve_tag("ma1").unwrap().digest, out.digest);

    let src = layout.resolve_tag("nested-index").unwrap();
    let out = layout.resolve_tag("ni").unwrap();
    let (src_top, out_top) = (
        read_index(&layout, &src.digest),
        read_index(&layout, &out.digest),
    );
    let top = assert_index_kept(&layout, &src_top, &out_top);
    assert_eq!(top.len(), 2);
    // The second entry is itself an index, converted the same way.
    let inner = assert_index_kept(
        &layout,
        &read_index(&layout, &top[1].0),
        &read_index(&layout, &top[1].1),
    );
    assert_eq!(inner.len(), 2);
    // The amd64 image inside the nested index is the multi-arch one's first image: the same
    // source converts to the same manifest.
    assert_eq!(inner[0].0, pairs[0].0);
    assert_eq!(inner[0].1, pairs[0].1);
}

fn blob_count(layout: &str) -> usize {
    std::fs::read_dir(Path::new(layout).join("blobs/sha256"))
        .unwrap()
        .count()
}

#[test]
fn no_upload_stores_nothing_and_dump_manifest_writes_the_documents() {
    let Some(shared) = shared_dir() else { return };
    let dir = tempdir();
    let layout_dir = fixture(&shared, dir.path());
    let work = dir.path().join("work");
    let tags_before = pipeline_common::tags(Path::new(&layout_dir));
    let blobs_before = blob_count(&layout_dir);
    let stdout = assert_ok(&convertor(&[
        "-r",
        &format!("oci:{layout_dir}"),
        "-i",
        "nested-index",
        "--overlaybd",
        "x",
        "--no-upload",
        "--dump-manifest",
        "--json",
        "-d",
        &work.display().to_string(),
    ]));
    assert_eq!(pipeline_common::tags(Path::new(&layout_dir)), tags_before);
    assert_eq!(blob_count(&layout_dir), blobs_before);
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let target = &json["targets"][0];
    assert_eq!(target["tagged"], false);
    // Docker mode keeps the source list type of the root.
    assert_eq!(
        target["descriptor"]["mediaType"],
        "application/vnd.docker.distribution.manifest.list.v2+json"
    );

    // Each manifest's documents are in its work directory, the root index in the work root,
    // byte for byte what the digests in the report name.
    let images = target["images"].as_array().unwrap();
    assert_eq!(images.len(), 3);
    for image in images {
        let dumped: Vec<&str> = image["dumped"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        assert_eq!(dumped.len(), 2);
        for (path, key) in dumped.iter().zip(["config", "manifest"]) {
            let bytes = std::fs::read(path).unwrap();
            assert_eq!(
                convertor::image::sha256_digest(&bytes),
                image[key]["digest"].as_str().unwrap()
            );
        }
    }
    let index = std::fs::read(work.join("index.json")).unwrap();
    assert_eq!(
        convertor::image::sha256_digest(&index),
        target["descriptor"]["digest"].as_str().unwrap()
    );
}

#[test]
fn referrer_outputs_name_their_source_as_subject() {
    let Some(shared) = shared_dir() else { return };
    let dir = tempdir();
    let layout_dir = fixture(&shared, dir.path());
    assert_ok(&convertor(&[
        "-r",
        &format!("oci:{layout_dir}"),
        "-i",
        "nested-index",
        "--referrer",
        "--turboOCI",
        "ref",
        "-d",
        &dir.path().join("work").display().to_string(),
    ]));
    let layout = Layout::open(&layout_dir).unwrap();
    let src = layout.resolve_tag("nested-index").unwrap();
    let out = read_index(&layout, &layout.resolve_tag("ref").unwrap().digest);
    let turbo = "application/vnd.containerd.overlaybd.turbo.v1+json";
    assert_eq!(out.artifact_type, turbo);
    assert_eq!(out.subject.as_ref().unwrap().digest, src.digest);
    let src_index = read_index(&layout, &src.digest);
    let Some(first) = out.manifests().first() else {
        panic!("empty index")
    };
    let m = checked_manifest(&layout, first);
    assert_eq!(m.artifact_type, turbo);
    assert_eq!(m.subject, Some(src_index.manifests()[0].bare()));
}

//! Byte-for-byte comparison with upstream's converted hello-world (upstream-convertor.md §2.9,
//! Appendix B), plus Docker-family and referrer output and the multi-arch / nested-index walks.

mod common;

use common::shared_dir;
use convertor::assemble::{AssembleOptions, OutputLayer, assemble_image, assemble_index};
use convertor::gojson::{self, Descriptor, Manifest};
use convertor::image::{self, Child, MediaFamily, Node, PlatformFilter};
use convertor::layout::{Layout, Verify};
use std::path::Path;

const NATIVE: &str = "application/vnd.containerd.overlaybd.native.v1+json";

struct Golden {
    fixture: Layout,
    converted: Layout,
    manifest_bytes: Vec<u8>,
    manifest: Manifest,
    config_bytes: Vec<u8>,
}

fn golden(shared: &Path) -> Golden {
    let fixture = Layout::open(shared.join("fixtures/hello-world")).unwrap();
    let converted = Layout::open(shared.join("golden/hello-world-converted")).unwrap();
    let desc = converted.resolve_tag("amd64-converted").unwrap();
    let manifest_bytes = converted.read_blob(&desc.digest, Verify::Yes).unwrap();
    let manifest: Manifest = gojson::from_slice(&manifest_bytes).unwrap();
    let config_bytes = converted
        .read_blob(&manifest.config.digest, Verify::Yes)
        .unwrap();
    Golden {
        fixture,
        converted,
        manifest_bytes,
        manifest,
        config_bytes,
    }
}

/// The native engine's layer descriptor, built from scratch for blob digest `d` and `size`.
fn native_layer(family: MediaFamily, d: &str, size: i64) -> OutputLayer {
    let mut desc = Descriptor::new(family.layer(), d, size);
    for (k, v) in [
        (
            "containerd.io/snapshot/overlaybd/blob-digest",
            d.to_string(),
        ),
        (
            "containerd.io/snapshot/overlaybd/blob-size",
            size.to_string(),
        ),
        (
            "containerd.io/snapshot/overlaybd/version",
            "0.1.0".to_string(),
        ),
    ] {
        desc.annotations.insert(k.to_string(), v);
    }
    OutputLayer {
        descriptor: desc,
        diff_id: d.to_string(),
    }
}

fn oci() -> AssembleOptions {
    AssembleOptions {
        family: MediaFamily::Oci,
        referrer_artifact_type: None,
    }
}

#[test]
fn hello_world_config_and_manifest_are_byte_identical() {
    let Some(shared) = shared_dir() else { return };
    let g = golden(&shared);
    let upstream_layer = g.manifest.layers()[0].clone();
    assert!(upstream_layer.digest.starts_with("sha256:022231c3"));

    let src = image::load_image(&g.fixture, &g.fixture.resolve_tag("amd64").unwrap()).unwrap();
    let layer = native_layer(
        MediaFamily::Oci,
        &upstream_layer.digest,
        upstream_layer.size,
    );
    assert_eq!(layer.descriptor, upstream_layer);

    let out = assemble_image(&src.source, &src.manifest, &src.config, &[layer], &oci());
    assert_eq!(
        String::from_utf8_lossy(&out.config.bytes),
        String::from_utf8_lossy(&g.config_bytes)
    );
    assert_eq!(out.config.bytes.len(), 584);
    assert!(
        out.config
            .descriptor
            .digest
            .starts_with("sha256:b67b1f1224de")
    );
    assert_eq!(
        String::from_utf8_lossy(&out.manifest.bytes),
        String::from_utf8_lossy(&g.manifest_bytes)
    );
    assert_eq!(out.manifest.bytes.len(), 641);
    assert_eq!(
        out.manifest.descriptor.digest,
        "sha256:42caa56a19e082b872d43f645bb392e25c9e78bce429755bd709fac598265f88"
    );
    // The converted layout's own index entry agrees with what we computed.
    let tagged = g.converted.resolve_tag("amd64-converted").unwrap();
    assert_eq!(tagged.digest, out.manifest.descriptor.digest);
    assert_eq!(tagged.size, out.manifest.descriptor.size);
}

#[test]
fn hello_world_docker_family_output() {
    let Some(shared) = shared_dir() else { return };
    let g = golden(&shared);
    let up = g.manifest.layers()[0].clone();
    let src = image::load_image(&g.fixture, &g.fixture.resolve_tag("amd64").unwrap()).unwrap();
    let layer = native_layer(MediaFamily::Docker, &up.digest, up.size);
    let opts = AssembleOptions {
        family: MediaFamily::Docker,
        referrer_artifact_type: None,
    };
    let out = assemble_image(&src.source, &src.manifest, &src.config, &[layer], &opts);
    // The config body does not depend on the family, only its descriptor's media type.
    assert_eq!(out.config.bytes, g.config_bytes);
    assert_eq!(
        out.config.descriptor.media_type,
        "application/vnd.docker.container.image.v1+json"
    );
    // Docker output keeps the OCI descriptor key order (mediaType, digest, size).
    let expected = String::from_utf8(g.manifest_bytes.clone())
        .unwrap()
        .replace(
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.v2+json",
        )
        .replace(
            "application/vnd.oci.image.config.v1+json",
            "application/vnd.docker.container.image.v1+json",
        )
        .replace(
            "application/vnd.oci.image.layer.v1.tar",
            "application/vnd.docker.image.rootfs.diff.tar",
        );
    assert_eq!(String::from_utf8(out.manifest.bytes).unwrap(), expected);
    assert_eq!(
        out.manifest.descriptor.media_type,
        "application/vnd.docker.distribution.manifest.v2+json"
    );
}

#[test]
fn hello_world_referrer_manifest_has_subject_and_artifact_type() {
    let Some(shared) = shared_dir() else { return };
    let g = golden(&shared);
    let up = g.manifest.layers()[0].clone();
    let src = image::load_image(&g.fixture, &g.fixture.resolve_tag("amd64").unwrap()).unwrap();
    let opts = AssembleOptions {
        family: MediaFamily::Oci,
        referrer_artifact_type: Some(NATIVE.to_string()),
    };
    let layer = native_layer(MediaFamily::Oci, &up.digest, up.size);
    let out = assemble_image(&src.source, &src.manifest, &src.config, &[layer], &opts);
    let golden_text = String::from_utf8(g.manifest_bytes.clone()).unwrap();
    let expected = golden_text
        .replacen(
            r#""mediaType":"application/vnd.oci.image.manifest.v1+json","#,
            &format!(
                r#""mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"{NATIVE}","#
            ),
            1,
        )
        .strip_suffix('}')
        .unwrap()
        .to_string()
        + r#","subject":{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"sha256:7e9b6e7ba2842c91cf49f3e214d04a7a496f8214356f41d81a6e6dcad11f11e3","size":525}}"#;
    assert_eq!(String::from_utf8(out.manifest.bytes).unwrap(), expected);
    // Referrer mode does not touch the config.
    assert_eq!(out.config.bytes, g.config_bytes);
}

fn entry_platform(d: &Descriptor) -> String {
    d.platform
        .as_ref()
        .map(image::format_platform)
        .unwrap_or_default()
}

#[test]
fn multi_arch_walk_keeps_order_and_platforms() {
    let Some(shared) = shared_dir() else { return };
    let layout = Layout::open(shared.join("fixtures/hello-world")).unwrap();
    let root = layout.resolve_tag("multi-arch").unwrap();
    let graph = image::walk(&layout, &root, &PlatformFilter::all()).unwrap();
    assert!(graph.warnings.is_empty());
    let Node::Index(idx) = &graph.root else {
        panic!("multi-arch is an index")
    };
    assert_eq!(idx.children.len(), 9);
    let walked: Vec<String> = idx
        .children
        .iter()
        .map(|c| match c {
            Child::Node(n) => format!("{} {}", n.source().digest, entry_platform(n.source())),
            Child::Skipped { entry, .. } => format!("skipped {}", entry.digest),
        })
        .collect();
    let source: Vec<String> = idx
        .index
        .manifests()
        .iter()
        .map(|d| format!("{} {}", d.digest, entry_platform(d)))
        .collect();
    assert_eq!(walked, source);
    assert_eq!(graph.root.images().len(), 9);
    assert!(walked[0].starts_with("sha256:7e9b6e7b") && walked[0].ends_with("linux/amd64"));

    // Docker mode keeps the list's media type; entries keep platform, only the triple changes.
    let converted: Vec<Option<Descriptor>> = (0..9)
        .map(|i| {
            Some(Descriptor::new(
                "application/vnd.docker.distribution.manifest.v2+json",
                &image::sha256_digest(&[i as u8]),
                100 + i,
            ))
        })
        .collect();
    let opts = AssembleOptions {
        family: MediaFamily::Docker,
        referrer_artifact_type: None,
    };
    let doc = assemble_index(&idx.index, &idx.source, &converted, &opts).unwrap();
    assert_eq!(
        doc.descriptor.media_type,
        "application/vnd.docker.distribution.manifest.list.v2+json"
    );
    let out: convertor::gojson::Index = gojson::from_slice(&doc.bytes).unwrap();
    for (i, (o, s)) in out
        .manifests()
        .iter()
        .zip(idx.index.manifests())
        .enumerate()
    {
        assert_eq!(o.platform, s.platform);
        assert_eq!(o.annotations, s.annotations);
        assert_eq!(o.size, 100 + i as i64);
    }
    let text = String::from_utf8(doc.bytes).unwrap();
    assert!(text.starts_with(
        r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"sha256:"#
    ));
    assert!(text.contains(r#","size":100,"platform":{"architecture":"amd64","os":"linux"}}"#));
}

#[test]
fn nested_index_walk_and_referrer_index() {
    let Some(shared) = shared_dir() else { return };
    let layout = Layout::open(shared.join("fixtures/hello-world")).unwrap();
    let root = layout.resolve_tag("nested-index").unwrap();
    let graph = image::walk(&layout, &root, &PlatformFilter::all()).unwrap();
    let Node::Index(top) = &graph.root else {
        panic!("nested-index is an index")
    };
    assert_eq!(top.children.len(), 2);
    let Child::Node(Node::Image(i386)) = &top.children[0] else {
        panic!("first child is a manifest")
    };
    assert!(i386.source.digest.starts_with("sha256:004d23c6"));
    assert_eq!(entry_platform(&i386.source), "linux/386");
    assert_eq!(i386.config.architecture, "386");
    let Child::Node(Node::Index(inner)) = &top.children[1] else {
        panic!("second child is an index")
    };
    assert!(inner.source.digest.starts_with("sha256:a88a816b"));
    assert!(inner.source.platform.is_none());
    let inner_platforms: Vec<String> = inner
        .children
        .iter()
        .map(|c| match c {
            Child::Node(n) => entry_platform(n.source()),
            Child::Skipped { .. } => "skipped".into(),
        })
        .collect();
    assert_eq!(inner_platforms, ["linux/amd64", "linux/arm64/v8"]);
    let order: Vec<&str> = graph
        .root
        .images()
        .iter()
        .map(|n| &n.source.digest[7..15])
        .collect();
    assert_eq!(order, ["004d23c6", "7e9b6e7b", "efebf0f7"]);

    // Referrer mode forces OCI and names the source index as subject.
    let opts = AssembleOptions {
        family: MediaFamily::Oci,
        referrer_artifact_type: Some(NATIVE.to_string()),
    };
    let d1 = Descriptor::new(
        "application/vnd.oci.image.manifest.v1+json",
        &image::sha256_digest(b"a"),
        7,
    );
    let d2 = Descriptor::new(
        "application/vnd.oci.image.manifest.v1+json",
        &image::sha256_digest(b"b"),
        8,
    );
    let doc = assemble_index(
        &inner.index,
        &inner.source,
        &[Some(d1.clone()), Some(d2.clone())],
        &opts,
    )
    .unwrap();
    let expected = format!(
        concat!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","artifactType":"{at}","#,
            r#""manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{d1}","size":7,"platform":{{"architecture":"amd64","os":"linux"}}}},"#,
            r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{d2}","size":8,"platform":{{"architecture":"arm64","os":"linux","variant":"v8"}}}}],"#,
            r#""subject":{{"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","digest":"{src}","size":709}}}}"#
        ),
        at = NATIVE,
        d1 = d1.digest,
        d2 = d2.digest,
        src = inner.source.digest
    );
    assert_eq!(String::from_utf8(doc.bytes).unwrap(), expected);
    assert_eq!(
        doc.descriptor.media_type,
        "application/vnd.oci.image.index.v1+json"
    );
}

#[test]
fn golden_layout_index_round_trips_byte_for_byte() {
    let Some(shared) = shared_dir() else { return };
    // The e2e store's index.json is compact Go JSON; re-encoding must not change a byte.
    {
        let path = shared.join("fixtures/hello-world/index.json");
        let bytes = std::fs::read(&path).unwrap();
        let index: convertor::gojson::Index = gojson::from_slice(&bytes).unwrap();
        assert_eq!(
            String::from_utf8(gojson::to_vec(&index)).unwrap(),
            String::from_utf8(bytes).unwrap(),
            "{}",
            path.display()
        );
    }
}

//! Graph walk rules, chain IDs and assembly edge cases on synthetic images.

mod common;

use common::{MemSource, shared_dir};
use convertor::assemble::{AssembleOptions, OutputLayer, assemble_index, new_config, new_manifest};
use convertor::gojson::{self, Descriptor, Image, Index, Manifest, Platform};
use convertor::image::{
    self, Child, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, ImageError, MediaFamily, Node, OCI_CONFIG,
    OCI_INDEX, OCI_MANIFEST, PlatformFilter, PlatformSpec, SkipReason, chain_ids,
    uuid_from_chain_id,
};

fn d(n: u8) -> String {
    image::sha256_digest(&[n])
}

/// Stores a one-layer image for `arch` and returns its manifest descriptor.
fn put_image(src: &mut MemSource, arch: &str, diff_ids: &[String], layers: usize) -> Descriptor {
    let cfg = Image {
        architecture: arch.into(),
        os: "linux".into(),
        rootfs: gojson::RootFs {
            kind: "layers".into(),
            diff_ids: Some(diff_ids.to_vec()),
        },
        ..Image::default()
    };
    let cfg_desc = src.put(OCI_CONFIG, &gojson::to_vec(&cfg));
    let m = Manifest {
        schema_version: 2,
        media_type: OCI_MANIFEST.into(),
        config: cfg_desc,
        layers: Some(
            (0..layers)
                .map(|i| {
                    Descriptor::new(
                        "application/vnd.oci.image.layer.v1.tar+gzip",
                        &d(i as u8),
                        10,
                    )
                })
                .collect(),
        ),
        ..Manifest::default()
    };
    src.put(OCI_MANIFEST, &gojson::to_vec(&m))
}

fn with_platform(mut desc: Descriptor, arch: &str) -> Descriptor {
    desc.platform = Some(Platform {
        architecture: arch.into(),
        os: "linux".into(),
        ..Platform::default()
    });
    desc
}

fn put_index(src: &mut MemSource, media_type: &str, entries: Vec<Descriptor>) -> Descriptor {
    let idx = Index {
        schema_version: 2,
        media_type: media_type.into(),
        manifests: Some(entries),
        ..Index::default()
    };
    src.put(media_type, &gojson::to_vec(&idx))
}

#[test]
fn attestation_manifests_are_dropped_with_a_warning() {
    let mut src = MemSource::default();
    let amd = with_platform(put_image(&mut src, "amd64", &[d(1)], 1), "amd64");
    let mut att = put_image(&mut src, "unknown", &[], 0);
    att.platform = Some(Platform {
        architecture: "unknown".into(),
        os: "unknown".into(),
        ..Platform::default()
    });
    att.annotations.insert(
        "vnd.docker.reference.type".into(),
        "attestation-manifest".into(),
    );
    att.annotations
        .insert("vnd.docker.reference.digest".into(), amd.digest.clone());
    // unknown/unknown alone is not an attestation.
    let unk = with_platform(put_image(&mut src, "unknown", &[d(2)], 1), "unknown");
    let root = put_index(
        &mut src,
        OCI_INDEX,
        vec![amd.clone(), att.clone(), unk.clone()],
    );
    assert!(
        image::is_attestation(&att) && !image::is_attestation(&unk) && !image::is_attestation(&amd)
    );

    let g = image::walk(&src, &root, &PlatformFilter::all()).unwrap();
    assert_eq!(g.warnings.len(), 1);
    assert!(
        g.warnings[0].contains("skipping attestation manifest")
            && g.warnings[0].contains(&att.digest)
    );
    let Node::Index(idx) = &g.root else {
        panic!("index expected")
    };
    assert!(matches!(
        &idx.children[1],
        Child::Skipped {
            reason: SkipReason::Attestation,
            ..
        }
    ));
    assert_eq!(g.root.images().len(), 2);

    // The converted index drops the entry and keeps the others in order.
    let conv: Vec<Option<Descriptor>> = idx
        .children
        .iter()
        .enumerate()
        .map(|(i, c)| {
            matches!(c, Child::Node(_)).then(|| Descriptor::new(OCI_MANIFEST, &d(100 + i as u8), 1))
        })
        .collect();
    let opts = AssembleOptions {
        family: MediaFamily::Oci,
        referrer_artifact_type: None,
    };
    let doc = assemble_index(&idx.index, &idx.source, &conv, &opts).unwrap();
    let out: Index = gojson::from_slice(&doc.bytes).unwrap();
    let digests: Vec<&str> = out.manifests().iter().map(|m| m.digest.as_str()).collect();
    assert_eq!(digests, [d(100), d(102)]);
    assert_eq!(out.manifests()[1].platform, unk.platform);
    assert!(assemble_index(&idx.index, &idx.source, &conv[..2], &opts).is_err());
}

#[test]
fn unsupported_media_types_and_missing_diff_ids_are_errors() {
    let mut src = MemSource::default();
    let mut schema1 = put_image(&mut src, "amd64", &[d(1)], 1);
    schema1.media_type = "application/vnd.docker.distribution.manifest.v1+prettyjws".into();
    let err = image::walk(&src, &schema1, &PlatformFilter::all()).unwrap_err();
    assert_eq!(
        err.downcast_ref::<ImageError>(),
        Some(&ImageError::UnsupportedMediaType(
            schema1.media_type.clone()
        ))
    );
    assert_eq!(
        err.to_string(),
        "unsupported media type \"application/vnd.docker.distribution.manifest.v1+prettyjws\""
    );
    // Inside an index the error names the path.
    let root = put_index(&mut src, OCI_INDEX, vec![schema1]);
    let err = image::walk(&src, &root, &PlatformFilter::all()).unwrap_err();
    assert!(
        format!("{err:#}").contains("unsupported media type"),
        "{err:#}"
    );

    let short = put_image(&mut src, "amd64", &[d(1)], 2);
    let err = image::walk(&src, &short, &PlatformFilter::all()).unwrap_err();
    assert!(matches!(
        err.downcast_ref::<ImageError>(),
        Some(ImageError::MissingDiffIds {
            layers: 2,
            diff_ids: 1,
            ..
        })
    ));
    assert!(err.to_string().contains("has 1 diff_ids for 2 layers"));
}

#[test]
fn platform_filter_prunes_nested_indexes() {
    let mut src = MemSource::default();
    let i386 = with_platform(put_image(&mut src, "386", &[d(1)], 1), "386");
    let amd = with_platform(put_image(&mut src, "amd64", &[d(2)], 1), "amd64");
    let mut arm = put_image(&mut src, "arm64", &[d(3)], 1);
    arm.platform = Some(Platform {
        architecture: "arm64".into(),
        os: "linux".into(),
        variant: "v8".into(),
        ..Platform::default()
    });
    let inner = put_index(&mut src, DOCKER_MANIFEST_LIST, vec![amd, arm.clone()]);
    let root = put_index(&mut src, DOCKER_MANIFEST_LIST, vec![i386, inner]);

    let want = PlatformFilter(vec![PlatformSpec::parse("linux/aarch64").unwrap()]);
    let g = image::walk(&src, &root, &want).unwrap();
    let images = g.root.images();
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].source.digest, arm.digest);
    let Node::Index(top) = &g.root else {
        panic!("index expected")
    };
    assert!(matches!(
        top.children[0],
        Child::Skipped {
            reason: SkipReason::Platform,
            ..
        }
    ));

    // A nested index with nothing wanted is pruned; nothing at all is an error.
    let want = PlatformFilter(vec![PlatformSpec::parse("linux/386").unwrap()]);
    let g = image::walk(&src, &root, &want).unwrap();
    let Node::Index(top) = &g.root else {
        panic!("index expected")
    };
    assert!(matches!(
        top.children[1],
        Child::Skipped {
            reason: SkipReason::Platform,
            ..
        }
    ));
    let want = PlatformFilter(vec![PlatformSpec::parse("windows/amd64").unwrap()]);
    let err = image::walk(&src, &root, &want).unwrap_err();
    assert!(matches!(
        err.downcast_ref::<ImageError>(),
        Some(ImageError::NoMatchingPlatform(_))
    ));

    assert!(PlatformSpec::parse("linux").is_err());
    assert!(PlatformSpec::parse("linux/arm/v7/x").is_err());
    let v7 = PlatformSpec::parse("linux/arm/v7").unwrap();
    assert_eq!(v7.to_string(), "linux/arm/v7");
    assert!(
        PlatformSpec::parse("linux/arm64/v8")
            .unwrap()
            .matches(&Platform {
                architecture: "arm64".into(),
                os: "linux".into(),
                ..Platform::default()
            })
    );
}

#[test]
fn chain_ids_and_uuids() {
    // hello-world: one layer, chainID = diff_id (upstream-convertor.md §2.7).
    let hw = "sha256:01bb4fce3eb1b56b05adf99504dafd31907a5aadac736e36b27595c8b92f07f1".to_string();
    assert_eq!(
        chain_ids(std::slice::from_ref(&hw)),
        std::slice::from_ref(&hw)
    );
    assert_eq!(
        uuid_from_chain_id(&hw).unwrap(),
        "01bb4fce-3eb1-b56b-05ad-f99504dafd31"
    );
    assert!(uuid_from_chain_id("sha256:01bb").is_err());
    assert!(chain_ids(&[]).is_empty());

    let Some(shared) = shared_dir() else { return };
    let text = std::fs::read(shared.join("golden/edge-native/layers.json")).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&text).unwrap();
    let layers = v["layers"].as_array().unwrap();
    let diff_ids: Vec<String> = layers
        .iter()
        .map(|l| l["diff_id"].as_str().unwrap().to_string())
        .collect();
    let chains = chain_ids(&diff_ids);
    assert_eq!(chains.len(), 4);
    for (l, c) in layers.iter().zip(&chains) {
        assert_eq!(l["chain_id"].as_str().unwrap(), c);
        assert_eq!(l["uuid"].as_str().unwrap(), uuid_from_chain_id(c).unwrap());
    }
}

#[test]
fn config_keeps_surplus_diff_ids_and_takes_a_base_layer() {
    let src = Image {
        rootfs: gojson::RootFs {
            kind: "layers".into(),
            diff_ids: Some(vec![d(1), d(2), d(3)]),
        },
        ..Image::default()
    };
    let layer = |n: u8| OutputLayer {
        descriptor: Descriptor::new(OCI_MANIFEST, &d(n), 1),
        diff_id: d(n),
    };
    // Two source layers converted, plus a base layer in front: [base, c1, c2, surplus d3].
    let out = new_config(&src, 2, &[layer(50), layer(51), layer(52)]);
    assert_eq!(out.rootfs.diff_ids, Some(vec![d(50), d(51), d(52), d(3)]));
    // No layers at all: a nil diff_ids stays nil.
    let empty = Image::default();
    assert_eq!(
        gojson::to_vec(&new_config(&empty, 0, &[])),
        gojson::to_vec(&empty)
    );
}

#[test]
fn manifest_keeps_source_annotations_subject_and_artifact_type() {
    let mut src = Manifest {
        schema_version: 2,
        media_type: DOCKER_MANIFEST.into(),
        artifact_type: "application/x-src".into(),
        config: Descriptor::new("c", &d(1), 1),
        layers: Some(vec![]),
        subject: Some(Descriptor::new(OCI_MANIFEST, &d(2), 2)),
        ..Manifest::default()
    };
    src.annotations.insert("org.example".into(), "kept".into());
    let mut cfg = Descriptor::new(OCI_CONFIG, &d(3), 3);
    cfg.annotations.insert("dropped".into(), "x".into());
    let mut entry = Descriptor::new(DOCKER_MANIFEST, &d(4), 4);
    entry
        .annotations
        .insert("entry".into(), "not in subject".into());
    let layers = [OutputLayer {
        descriptor: Descriptor::new("l", &d(5), 5),
        diff_id: d(5),
    }];

    let plain = AssembleOptions {
        family: MediaFamily::Oci,
        referrer_artifact_type: None,
    };
    let m = new_manifest(&src, &entry, &cfg, &layers, &plain);
    assert_eq!(m.media_type, OCI_MANIFEST);
    assert_eq!(m.artifact_type, "application/x-src");
    assert_eq!(m.subject, src.subject);
    assert_eq!(m.annotations, src.annotations);
    assert_eq!(
        m.config,
        Descriptor::new(OCI_CONFIG, &d(3), 3),
        "config descriptor has no annotations"
    );

    let referrer = AssembleOptions {
        family: MediaFamily::Oci,
        referrer_artifact_type: Some("at".into()),
    };
    let m = new_manifest(&src, &entry, &cfg, &layers, &referrer);
    assert_eq!(m.artifact_type, "at");
    assert_eq!(m.subject, Some(Descriptor::new(DOCKER_MANIFEST, &d(4), 4)));
    assert_eq!(m.annotations, src.annotations);
}

#[test]
fn docker_mode_keeps_a_missing_index_media_type() {
    // An OCI index without mediaType stays without one and is addressed with an empty type.
    let mut src = MemSource::default();
    let amd = with_platform(put_image(&mut src, "amd64", &[d(1)], 1), "amd64");
    let idx = Index {
        schema_version: 2,
        manifests: Some(vec![amd.clone()]),
        ..Index::default()
    };
    let root = src.put(OCI_INDEX, &gojson::to_vec(&idx));
    let conv = [Some(Descriptor::new(DOCKER_MANIFEST, &d(9), 9))];
    let docker = AssembleOptions {
        family: MediaFamily::Docker,
        referrer_artifact_type: None,
    };
    let doc = assemble_index(&idx, &root, &conv, &docker).unwrap();
    assert_eq!(doc.descriptor.media_type, "");
    assert!(
        String::from_utf8(doc.bytes.clone())
            .unwrap()
            .starts_with(r#"{"schemaVersion":2,"manifests":[{"#)
    );
    let oci = AssembleOptions {
        family: MediaFamily::Oci,
        referrer_artifact_type: None,
    };
    let doc = assemble_index(&idx, &root, &conv, &oci).unwrap();
    assert_eq!(doc.descriptor.media_type, OCI_INDEX);
}

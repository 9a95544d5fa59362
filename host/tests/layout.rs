//! OCI layout round trips: blobs, tags, atomic index updates.

mod common;

use common::{scratch, shared_dir};
use convertor::gojson::{self, Descriptor, Index};
use convertor::image::{OCI_MANIFEST, sha256_digest};
use convertor::layout::{Layout, Verify};
use std::path::Path;

fn leftovers(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for d in [dir.to_path_buf(), dir.join("blobs/sha256")] {
        for e in std::fs::read_dir(d).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().to_string();
            if name.starts_with(".tmp") {
                out.push(name);
            }
        }
    }
    out
}

#[test]
fn new_layout_has_marker_and_empty_index() {
    let tmp = scratch();
    let root = tmp.path().join("l");
    let layout = Layout::open_or_create(&root).unwrap();
    assert_eq!(
        std::fs::read_to_string(root.join("oci-layout")).unwrap(),
        r#"{"imageLayoutVersion":"1.0.0"}"#
    );
    assert_eq!(
        std::fs::read_to_string(root.join("index.json")).unwrap(),
        r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#
    );
    assert!(layout.tags().unwrap().is_empty());
    // Reopening does not rewrite anything.
    Layout::open_or_create(&root).unwrap();
    assert!(Layout::open(&root).is_ok());
    assert!(
        Layout::open(tmp.path()).is_err(),
        "a directory without oci-layout is not a layout"
    );
}

#[test]
fn blobs_round_trip_and_verify() {
    let tmp = scratch();
    let layout = Layout::open_or_create(tmp.path()).unwrap();
    let (digest, size) = layout.write_blob(b"hello").unwrap();
    assert_eq!(digest, sha256_digest(b"hello"));
    assert_eq!(size, 5);
    let path = layout.blob_path(&digest).unwrap();
    assert_eq!(path, tmp.path().join("blobs/sha256").join(&digest[7..]));
    assert_eq!(layout.read_blob(&digest, Verify::Yes).unwrap(), b"hello");
    // Writing the same content again is fine.
    assert_eq!(layout.write_blob(b"hello").unwrap().0, digest);

    std::fs::write(&path, b"HELLO").unwrap();
    let err = layout.read_blob(&digest, Verify::Yes).unwrap_err();
    assert!(format!("{err:#}").contains("corrupt"), "{err:#}");
    assert_eq!(layout.read_blob(&digest, Verify::No).unwrap(), b"HELLO");

    let other = sha256_digest(b"x");
    let err = layout.write_blob_from(&b"y"[..], Some(&other)).unwrap_err();
    assert!(format!("{err:#}").contains("expected"), "{err:#}");
    assert!(!layout.has_blob(&other).unwrap());
    assert!(
        !layout.has_blob(&sha256_digest(b"y")).unwrap(),
        "a mismatching blob must not be stored"
    );
    assert!(
        leftovers(tmp.path()).is_empty(),
        "{:?}",
        leftovers(tmp.path())
    );

    for bad in ["sha256:../../etc/passwd", "sha512:00", "sha256:ABCDEF", ""] {
        assert!(layout.blob_path(bad).is_err(), "{bad}");
    }
}

#[test]
fn tags_are_added_replaced_in_place_and_resolved() {
    let tmp = scratch();
    let layout = Layout::open_or_create(tmp.path()).unwrap();
    let a = layout
        .put_document(
            OCI_MANIFEST,
            br#"{"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#,
        )
        .unwrap();
    let b = layout.put_document(OCI_MANIFEST, b"{\"b\":2}").unwrap();
    let c = layout.put_document(OCI_MANIFEST, b"{\"c\":3}").unwrap();
    layout.tag("one", &a).unwrap();
    layout.tag("two", &b).unwrap();
    layout.tag("one", &c).unwrap();
    let tags: Vec<(String, String)> = layout
        .tags()
        .unwrap()
        .into_iter()
        .map(|(t, d)| (t, d.digest))
        .collect();
    assert_eq!(
        tags,
        [
            ("one".into(), c.digest.clone()),
            ("two".into(), b.digest.clone())
        ]
    );
    let one = layout.resolve_tag("one").unwrap();
    assert_eq!((one.digest.as_str(), one.size), (c.digest.as_str(), c.size));
    assert!(layout.resolve_tag("three").is_err());
    // A tag cannot point at a missing blob; an untagged stored document resolves by digest.
    let missing = Descriptor::new(OCI_MANIFEST, &sha256_digest(b"nope"), 4);
    assert!(layout.tag("bad", &missing).is_err());
    assert_eq!(
        layout.resolve_digest(&a.digest).unwrap(),
        Descriptor::new(OCI_MANIFEST, &a.digest, a.size)
    );
    let shapeless = layout
        .put_document(OCI_MANIFEST, br#"{"config":{}}"#)
        .unwrap();
    assert_eq!(
        layout.resolve_digest(&shapeless.digest).unwrap().media_type,
        OCI_MANIFEST
    );
    let by_entry = layout.resolve_digest(&c.digest).unwrap();
    assert!(
        by_entry.annotations.is_empty(),
        "the ref name is not part of the resolved descriptor"
    );
    assert!(leftovers(tmp.path()).is_empty());
}

#[test]
fn concurrent_tagging_loses_nothing() {
    let tmp = scratch();
    let layout = Layout::open_or_create(tmp.path()).unwrap();
    std::thread::scope(|s| {
        for i in 0..8 {
            let layout = &layout;
            s.spawn(move || {
                let d = layout
                    .put_document(OCI_MANIFEST, format!("{{\"n\":{i}}}").as_bytes())
                    .unwrap();
                layout.tag(&format!("t{i}"), &d).unwrap();
            });
        }
    });
    let mut tags: Vec<String> = layout.tags().unwrap().into_iter().map(|(t, _)| t).collect();
    tags.sort();
    assert_eq!(tags, (0..8).map(|i| format!("t{i}")).collect::<Vec<_>>());
}

#[test]
fn adding_outputs_to_the_fixture_layout_keeps_its_entries() {
    let Some(shared) = shared_dir() else { return };
    let tmp = scratch();
    let src = shared.join("fixtures/hello-world");
    std::fs::create_dir_all(tmp.path().join("blobs/sha256")).unwrap();
    for f in ["oci-layout", "index.json"] {
        std::fs::copy(src.join(f), tmp.path().join(f)).unwrap();
    }
    for e in std::fs::read_dir(src.join("blobs/sha256")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(
            e.path(),
            tmp.path().join("blobs/sha256").join(e.file_name()),
        )
        .unwrap();
    }
    let before = std::fs::read(tmp.path().join("index.json")).unwrap();
    let layout = Layout::open(tmp.path()).unwrap();
    let out = layout
        .put_document(OCI_MANIFEST, b"{\"schemaVersion\":2}")
        .unwrap();
    layout.tag("amd64_obd", &out).unwrap();
    let after = std::fs::read(tmp.path().join("index.json")).unwrap();
    // The old entries are byte-identical; one entry is appended.
    let old: Index = gojson::from_slice(&before).unwrap();
    let new: Index = gojson::from_slice(&after).unwrap();
    assert_eq!(
        new.manifests()[..old.manifests().len()],
        old.manifests()[..]
    );
    assert_eq!(new.manifests().len(), old.manifests().len() + 1);
    assert_eq!(&after[..before.len() - 2], &before[..before.len() - 2]);
    assert_eq!(layout.resolve_tag("amd64_obd").unwrap().digest, out.digest);
    // Retagging an existing tag rewrites only that entry.
    layout.tag("amd64", &out).unwrap();
    let new: Index =
        gojson::from_slice(&std::fs::read(tmp.path().join("index.json")).unwrap()).unwrap();
    assert_eq!(new.manifests().len(), old.manifests().len() + 1);
    assert_eq!(new.manifests()[2].digest, out.digest);
    assert_eq!(new.manifests()[1], old.manifests()[1]);
}

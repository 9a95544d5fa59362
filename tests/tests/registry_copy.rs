//! `convertor copy` between OCI layouts and registry repositories: every platform, Docker
//! media types and bytes unchanged, by tag or digest, across repositories (blob mounts); and
//! a conversion addressed by digest (`-g`).

mod common;
mod registry_support;

use common::work::Work;
use registry_support::{Auth, Registry, hello_world, layout_doc, layout_tag, ok, one_error, run};
use std::path::Path;

fn oci(dir: &Path, tag: &str) -> String {
    format!("oci:{}:{tag}", dir.display())
}

/// Every blob under `digest` is in `layout`: documents recursively, configs and layers.
fn assert_complete(layout: &Path, digest: &str) -> usize {
    let doc = layout_doc(layout, digest);
    let mut n = 1;
    if let Some(children) = doc["manifests"].as_array() {
        for c in children {
            n += assert_complete(layout, c["digest"].as_str().unwrap());
        }
    }
    for d in std::iter::once(&doc["config"]).chain(doc["layers"].as_array().into_iter().flatten()) {
        if let Some(d) = d["digest"].as_str() {
            let hex = d.trim_start_matches("sha256:");
            assert!(
                layout.join("blobs/sha256").join(hex).is_file(),
                "{d} missing"
            );
            n += 1;
        }
    }
    n
}

#[test]
fn copies_every_platform_byte_for_byte_across_repositories() {
    let Some(hw) = hello_world() else { return };
    let work = Work::new("registry-copy");
    let reg = Registry::start(&work.path("registry"), Auth::Plain);
    ok([
        "copy",
        "--plain",
        &oci(&hw, "multi-arch"),
        &reg.repo("a/hello:multi-arch"),
    ]);
    // Registry to registry on one host: blobs are mounted from the source repository.
    let out = ok([
        "copy",
        "--plain",
        &reg.repo("a/hello:multi-arch"),
        &reg.repo("b/hello:copied"),
    ]);
    assert!(out.contains("copied"), "{out}");
    let log = std::fs::read_to_string(reg.dir.join("registry.log")).unwrap();
    assert!(
        log.lines()
            .any(|l| l.contains("mount=sha256") && l.contains("http.response.status=201")),
        "no blob was mounted"
    );
    let back = work.path("back");
    ok([
        "copy",
        "--plain",
        &reg.repo("b/hello:copied"),
        &oci(&back, "copied"),
    ]);
    let want = layout_tag(&hw, "multi-arch");
    let got = layout_tag(&back, "copied");
    assert_eq!(got["digest"], want["digest"]);
    assert_eq!(
        got["mediaType"],
        "application/vnd.docker.distribution.manifest.list.v2+json"
    );
    let n = assert_complete(&back, got["digest"].as_str().unwrap());
    assert!(n > 20, "only {n} blobs under the multi-arch index");

    // By digest: one child manifest, into a layout tag.
    let child = layout_doc(&hw, want["digest"].as_str().unwrap())["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    ok([
        "copy",
        "--plain",
        &format!("{}@{child}", reg.repo("b/hello")),
        &oci(&back, "child"),
    ]);
    assert_eq!(layout_tag(&back, "child")["digest"], child.as_str());

    // A conversion addressed by digest.
    ok([
        "-r",
        &reg.repo("b/hello"),
        "--plain",
        "-g",
        &child,
        "--overlaybd",
        "by-digest-obd",
        "-d",
        &work.path("convert-work").display().to_string(),
    ]);
    assert!(reg.tags("b/hello").contains(&"by-digest-obd".to_string()));
}

#[test]
fn copy_rejects_bad_references_in_one_line() {
    let work = Work::new("registry-copy-errors");
    let line = one_error(&run(["copy", "--plain", "oci:/nonexistent", "NOT A REF"]));
    assert!(line.contains("NOT A REF"), "{line}");
    let line = one_error(&run([
        "copy",
        "--plain",
        &format!("oci:{}", work.path("missing").display()),
        "127.0.0.1:1/x:y",
    ]));
    assert!(line.contains("not an OCI layout"), "{line}");
}

//! Upstream's e2e referrer test against a registry with the OCI 1.1 referrers API
//! (ferro-oci-server): hello-world amd64, multi-arch and nested-index converted with
//! `--overlaybd X --turboOCI Y --referrer`. Every output node names its source descriptor as
//! `subject`, with the format's artifactType, children in source order; `GET referrers` of
//! every source node lists its outputs; no `sha256-<hex>` fallback tag is written.

mod common;
mod registry_support;

use common::work::Work;
use registry_support::check::assert_referrer;
use registry_support::ferro::Ferro;
use registry_support::{hello_world, layout_doc, layout_tag, ok};
use serde_json::Value;
use std::path::Path;

const NATIVE: &str = "application/vnd.containerd.overlaybd.native.v1+json";
const TURBO: &str = "application/vnd.containerd.overlaybd.turbo.v1+json";
const INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// (source node, output node) pairs of a converted tree, parents first.
fn pairs(layout: &Path, src: &Value, out: &Value, acc: &mut Vec<(Value, Value)>) {
    acc.push((src.clone(), out.clone()));
    let s = layout_doc(layout, src["digest"].as_str().unwrap());
    let o = layout_doc(layout, out["digest"].as_str().unwrap());
    if let (Some(s), Some(o)) = (s["manifests"].as_array(), o["manifests"].as_array()) {
        for (s, o) in s.iter().zip(o) {
            pairs(layout, s, o, acc);
        }
    }
}

#[test]
fn referrers_api_lists_every_output_node_and_no_fallback_tag_is_written() {
    let Some(hw) = hello_world() else { return };
    let work = Work::new("registry-referrers-api");
    let Some(reg) = Ferro::start(&work.path("ferro")) else {
        return;
    };
    let back = work.path("back");
    for tag in ["amd64", "multi-arch", "nested-index"] {
        ok([
            "copy",
            "--plain",
            &format!("oci:{}:{tag}", hw.display()),
            &reg.repo(&format!("hello-world:{tag}")),
        ]);
        let (obd, turbo) = (format!("{tag}-obd"), format!("{tag}-turbo"));
        ok([
            "-r",
            &reg.repo("hello-world"),
            "--plain",
            "-i",
            tag,
            "--overlaybd",
            &obd,
            "--turboOCI",
            &turbo,
            "--referrer",
            "--vsize",
            "1",
            "-d",
            &work.path("w").display().to_string(),
        ]);
        for t in [tag, &obd, &turbo] {
            ok([
                "copy",
                "--plain",
                &reg.repo(&format!("hello-world:{t}")),
                &format!("oci:{}:{t}", back.display()),
            ]);
        }
        let src = layout_tag(&back, tag);
        assert_eq!(src["digest"], layout_tag(&hw, tag)["digest"]);
        let mut listed_for_root = Vec::new();
        for (t, artifact) in [(&obd, NATIVE), (&turbo, TURBO)] {
            let out = layout_tag(&back, t);
            assert_referrer(&back, &src, &out, artifact);
            let mut acc = Vec::new();
            pairs(&back, &src, &out, &mut acc);
            for (s, o) in acc {
                let sd = s["digest"].as_str().unwrap();
                let refs = reg.json(&format!("/v2/hello-world/referrers/{sd}"), INDEX);
                let hit = refs["manifests"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|d| d["digest"] == o["digest"])
                    .unwrap_or_else(|| panic!("{} not a referrer of {sd}: {refs}", o["digest"]));
                assert_eq!(hit["artifactType"], artifact, "{hit}");
                assert_eq!(hit["mediaType"], o["mediaType"], "{hit}");
            }
            listed_for_root.push(out["digest"].clone());
        }
        // The root's referrers are exactly this run's two outputs.
        let sd = src["digest"].as_str().unwrap();
        let refs = reg.json(&format!("/v2/hello-world/referrers/{sd}"), INDEX);
        let mut got: Vec<Value> = refs["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["digest"].clone())
            .collect();
        // ferro-oci-server lists a referrer once per PUT, and the root goes up by digest and
        // again under its tag.
        got.sort_by_key(|v| v.to_string());
        got.dedup();
        listed_for_root.sort_by_key(|v| v.to_string());
        assert_eq!(got, listed_for_root);
    }
    let tags = reg.tags("hello-world");
    assert!(
        !tags.iter().any(|t| t.starts_with("sha256-")),
        "fallback tags written: {tags:?}"
    );
    assert_eq!(tags.len(), 9, "{tags:?}");
}

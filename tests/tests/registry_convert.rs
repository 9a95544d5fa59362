//! Registry conversions end to end through the `convertor` binary against Debian's
//! docker-registry over plain HTTP: fixtures are loaded with `convertor copy`, converted with
//! `-r HOST/REPO`, pulled back with `convertor copy` and checked with obdtool + e2fsck.

mod common;
mod registry_support;

use common::work::Work;
use registry_support::check::{assert_referrer, flatten_fsck};
use registry_support::proxy::{Faults, Proxy};
use registry_support::{Auth, Registry, hello_world, layout_doc, layout_tag, ok, run};
use serde_json::Value;
use std::path::Path;

const NATIVE: &str = "application/vnd.containerd.overlaybd.native.v1+json";
const TURBO: &str = "application/vnd.containerd.overlaybd.turbo.v1+json";

fn copy(src: &str, dst: &str) {
    ok(["copy", "--plain", src, dst]);
}

fn oci(dir: &Path, tag: &str) -> String {
    format!("oci:{}:{tag}", dir.display())
}

fn convert(reg: &Registry, repo: &str, work: &Work, extra: &[&str]) -> String {
    let dir = work.path("convert-work");
    let mut args = vec![
        "-r".to_string(),
        reg.repo(repo),
        "--plain".to_string(),
        "-d".to_string(),
        dir.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    ok(&args)
}

#[test]
fn hello_world_tags_convert_through_the_registry() {
    let Some(hw) = hello_world() else { return };
    let work = Work::new("registry-hello-world");
    let reg = Registry::start(&work.path("registry"), Auth::Plain);
    let back = work.path("back");
    for tag in ["amd64", "multi-arch", "nested-index"] {
        copy(&oci(&hw, tag), &reg.repo(&format!("hello-world:{tag}")));
        let (obd, turbo) = (format!("{tag}-obd"), format!("{tag}-turbo"));
        // A 1 GiB device keeps the six e2fsck runs quick.
        convert(
            &reg,
            "hello-world",
            &work,
            &[
                "-i",
                tag,
                "--overlaybd",
                &obd,
                "--turboOCI",
                &turbo,
                "--vsize",
                "1",
            ],
        );
        let tags = reg.tags("hello-world");
        assert!(tags.contains(&obd) && tags.contains(&turbo), "{tags:?}");
        for t in [tag, &obd, &turbo] {
            copy(&reg.repo(&format!("hello-world:{t}")), &oci(&back, t));
        }
        // The source came back byte for byte; the outputs mirror its shape.
        let src = layout_tag(&back, tag);
        assert_eq!(src["digest"], layout_tag(&hw, tag)["digest"]);
        let src_doc = layout_doc(&back, src["digest"].as_str().unwrap());
        for t in [&obd, &turbo] {
            let out = layout_doc(&back, layout_tag(&back, t)["digest"].as_str().unwrap());
            match src_doc["manifests"].as_array() {
                Some(children) => {
                    let outs = out["manifests"].as_array().expect("an output index");
                    assert_eq!(outs.len(), children.len(), "{t}");
                    for (s, o) in children.iter().zip(outs) {
                        assert_eq!(s["platform"], o["platform"], "{t}");
                    }
                }
                None => assert!(out["layers"].is_array(), "{t} is not a manifest"),
            }
        }
        // obdtool takes a platform from the top index only: 386 is there in nested-index.
        let platform = match tag {
            "amd64" => None,
            "multi-arch" => Some("linux/amd64"),
            _ => Some("linux/386"),
        };
        flatten_fsck(&back, &obd, platform, &work);
        flatten_fsck(&back, &turbo, platform, &work);
    }
}

/// Upstream's e2e referrer check: every output node's subject is its source descriptor, and
/// (registry 2.8 has no referrers API) the `sha256-<hex>` fallback tags list the outputs,
/// merged across runs.
#[test]
fn referrer_outputs_name_their_sources_and_fill_the_fallback_tags() {
    let Some(hw) = hello_world() else { return };
    let work = Work::new("registry-referrer");
    let reg = Registry::start(&work.path("registry"), Auth::Plain);
    let tag = "nested-index";
    copy(&oci(&hw, tag), &reg.repo(&format!("hello-world:{tag}")));
    // Two runs: the second must merge into the fallback indexes the first wrote.
    convert(
        &reg,
        "hello-world",
        &work,
        &["-i", tag, "--overlaybd", "ni-obd", "--referrer"],
    );
    convert(
        &reg,
        "hello-world",
        &work,
        &["-i", tag, "--turboOCI", "ni-turbo", "--referrer"],
    );
    let back = work.path("back");
    for t in [tag, "ni-obd", "ni-turbo"] {
        copy(&reg.repo(&format!("hello-world:{t}")), &oci(&back, t));
    }
    let src = layout_tag(&back, tag);
    for (t, artifact) in [("ni-obd", NATIVE), ("ni-turbo", TURBO)] {
        assert_referrer(&back, &src, &layout_tag(&back, t), artifact);
    }
    // The root's fallback tag lists both outputs, each with its artifactType.
    let hex = src["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:");
    let fallback = format!("sha256-{hex}");
    assert!(reg.tags("hello-world").contains(&fallback));
    copy(
        &reg.repo(&format!("hello-world:{fallback}")),
        &oci(&back, &fallback),
    );
    let idx = layout_doc(
        &back,
        layout_tag(&back, &fallback)["digest"].as_str().unwrap(),
    );
    let listed: Vec<(String, String)> = idx["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["digest"].as_str().unwrap().to_string(),
                d["artifactType"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expect = |t: &str, a: &str| {
        (
            layout_tag(&back, t)["digest"].as_str().unwrap().to_string(),
            a.to_string(),
        )
    };
    assert_eq!(
        listed,
        vec![expect("ni-obd", NATIVE), expect("ni-turbo", TURBO)]
    );
    // Every source child manifest has a fallback tag too.
    let src_doc = layout_doc(&back, src["digest"].as_str().unwrap());
    for child in src_doc["manifests"].as_array().unwrap() {
        let hex = child["digest"]
            .as_str()
            .unwrap()
            .trim_start_matches("sha256:");
        assert!(
            reg.tags("hello-world").contains(&format!("sha256-{hex}")),
            "{hex}"
        );
    }
}

/// The project's sample image (OCI, three gzip layers) through the registry, OCI outputs.
#[test]
fn sample_image_round_trips_with_oci_outputs() {
    let work = Work::new("registry-sample");
    let reg = Registry::start(&work.path("registry"), Auth::Plain);
    let src = work.path("sample");
    convertor_tests::sample::write_sample_image(&src).unwrap();
    copy(&oci(&src, "latest"), &reg.repo("sample:latest"));
    let out = convert(
        &reg,
        "sample",
        &work,
        &[
            "-i",
            "latest",
            "--overlaybd",
            "obd",
            "--turboOCI",
            "turbo",
            "--oci",
        ],
    );
    assert!(
        out.contains("tagged obd") && out.contains("tagged turbo"),
        "{out}"
    );
    let back = work.path("back");
    for t in ["latest", "obd", "turbo"] {
        copy(&reg.repo(&format!("sample:{t}")), &oci(&back, t));
    }
    assert_eq!(
        layout_tag(&back, "latest")["digest"],
        layout_tag(&src, "latest")["digest"]
    );
    let m = layout_doc(&back, layout_tag(&back, "obd")["digest"].as_str().unwrap());
    assert_eq!(m["mediaType"], "application/vnd.oci.image.manifest.v1+json");
    assert_eq!(m["layers"].as_array().unwrap().len(), 3);
    flatten_fsck(&back, "obd", None, &work);
    flatten_fsck(&back, "turbo", None, &work);
}

/// `--no-upload` converts but writes nothing to the registry.
#[test]
fn no_upload_pushes_nothing() {
    let work = Work::new("registry-no-upload");
    let reg = Registry::start(&work.path("registry"), Auth::Plain);
    let src = work.path("sample");
    convertor_tests::sample::write_sample_image(&src).unwrap();
    copy(&oci(&src, "latest"), &reg.repo("sample:latest"));
    let blobs_before = blob_count(&reg);
    let out = run([
        "-r",
        &reg.repo("sample"),
        "--plain",
        "-i",
        "latest",
        "--overlaybd",
        "obd",
        "--no-upload",
        "--dump-manifest",
        "-d",
        &work.path("convert-work").display().to_string(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(reg.tags("sample"), ["latest"]);
    assert_eq!(blob_count(&reg), blobs_before);
}

fn blob_count(reg: &Registry) -> usize {
    fn walk(d: &Path) -> usize {
        std::fs::read_dir(d)
            .map(|rd| {
                rd.flatten()
                    .map(|e| {
                        if e.path().is_dir() {
                            walk(&e.path())
                        } else {
                            1
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    walk(&reg.dir.join("data/docker/registry/v2/blobs"))
}

/// `--platform` pulls the layers of the selected platform only; the output index keeps just
/// that platform.
#[test]
fn platform_filter_pulls_only_the_selected_layers() {
    let Some(hw) = hello_world() else { return };
    let work = Work::new("registry-platform");
    let reg = Registry::start(&work.path("registry"), Auth::Plain);
    copy(&oci(&hw, "multi-arch"), &reg.repo("hello-world:multi-arch"));
    let proxy = Proxy::start(reg.port, Faults::default());
    ok([
        "-r",
        &format!("{}/hello-world", proxy.host()),
        "--plain",
        "-i",
        "multi-arch",
        "--overlaybd",
        "arm64-obd",
        "--platform",
        "linux/arm64/v8",
        "-d",
        &work.path("convert-work").display().to_string(),
    ]);
    let index = layout_doc(
        &hw,
        layout_tag(&hw, "multi-arch")["digest"].as_str().unwrap(),
    );
    let arm64 = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["platform"]["architecture"] == "arm64")
        .expect("an arm64 entry")
        .clone();
    let manifest = layout_doc(&hw, arm64["digest"].as_str().unwrap());
    let wanted = manifest["layers"][0]["digest"].as_str().unwrap();
    let layer_gets: Vec<String> = proxy
        .requests()
        .into_iter()
        .filter(|r| r.starts_with("GET ") && r.contains("/blobs/"))
        .filter(|r| {
            // Configs are blobs too: keep the GETs of layer digests only.
            index["manifests"].as_array().unwrap().iter().any(|m| {
                let hex = m["digest"].as_str().unwrap().trim_start_matches("sha256:");
                let doc = hw.join("blobs/sha256").join(hex);
                let doc: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(doc).unwrap()).unwrap();
                doc["layers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|l| r.ends_with(l["digest"].as_str().unwrap()))
            })
        })
        .collect();
    assert_eq!(layer_gets, [format!("GET /v2/hello-world/blobs/{wanted}")]);
    let back = work.path("back");
    copy(&reg.repo("hello-world:arm64-obd"), &oci(&back, "arm64-obd"));
    let out = layout_doc(
        &back,
        layout_tag(&back, "arm64-obd")["digest"].as_str().unwrap(),
    );
    let platforms: Vec<&Value> = out["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["platform"])
        .collect();
    assert_eq!(platforms, [&arm64["platform"]]);
}

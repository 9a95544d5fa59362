//! The dedup database with registry repositories (upstream-convertor.md §3.3–3.5), against
//! Debian's docker-registry behind the counting proxy: a first run converts and records, a
//! second run on the same repository re-tags the recorded manifest without converting or
//! uploading, another repository of the same registry gets the blobs by mounts, and a row
//! whose blob the registry lost is deleted and the layer converted again.

mod common;
mod registry_support;

use common::work::Work;
use registry_support::proxy::{Faults, Proxy};
use registry_support::{Auth, Registry, hello_world, ok, run};
use serde_json::Value;
use std::path::Path;

/// Converts `host/repo:amd64` to tag `obd` with the database `db`; returns the `--json`
/// report and the requests the proxy forwarded during the run.
fn convert(proxy: &Proxy, repo: &str, db: &Path, work: &Path) -> (Value, Vec<String>) {
    convert_to(proxy, repo, "obd", db, work, &[])
}

fn args(proxy: &Proxy, repo: &str, tag: &str, db: &Path, work: &Path) -> Vec<String> {
    [
        "-r",
        &format!("{}/{repo}", proxy.host()),
        "--plain",
        "-i",
        "amd64",
        "--overlaybd",
        tag,
        "--vsize",
        "1",
        "--db-type",
        "sqlite",
        "--db-str",
        &db.display().to_string(),
        "-d",
        &work.display().to_string(),
        "--json",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect()
}

fn convert_to(
    proxy: &Proxy,
    repo: &str,
    tag: &str,
    db: &Path,
    work: &Path,
    extra: &[&str],
) -> (Value, Vec<String>) {
    let before = proxy.requests().len();
    let mut a = args(proxy, repo, tag, db, work);
    a.extend(extra.iter().map(|e| e.to_string()));
    let out = ok(a);
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    (report, proxy.requests()[before..].to_vec())
}

fn dedup_counts(report: &Value) -> (u64, u64, u64) {
    let d = &report["targets"][0]["dedup"];
    (
        d["layersConverted"].as_u64().unwrap(),
        d["layersReused"].as_u64().unwrap(),
        d["imagesReused"].as_u64().unwrap(),
    )
}

fn digest(report: &Value) -> String {
    report["targets"][0]["descriptor"]["digest"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Blob uploads (not mounts) among `requests`.
fn uploads(requests: &[String]) -> Vec<&String> {
    requests
        .iter()
        .filter(|r| {
            r.starts_with("POST ") && r.contains("/blobs/uploads/") && !r.contains("mount=")
        })
        .collect()
}

fn start(work: &Work) -> Option<(Registry, Proxy)> {
    start_with(work, Faults::default())
}

fn start_with(work: &Work, faults: Faults) -> Option<(Registry, Proxy)> {
    let hw = hello_world()?;
    let reg = Registry::start(&work.path("registry"), Auth::Plain);
    let proxy = Proxy::start(reg.port, faults);
    let src = format!("oci:{}:amd64", hw.display());
    for repo in ["hello", "other/hello"] {
        ok(["copy", "--plain", &src, &reg.repo(&format!("{repo}:amd64"))]);
    }
    Some((reg, proxy))
}

#[test]
fn recorded_conversions_are_reused_in_the_same_and_another_repository() {
    let work = Work::new("dedup-registry-reuse");
    let Some((reg, proxy)) = start(&work) else {
        return;
    };
    let db = work.path("dedup.db");
    let w = work.path("w");

    let (first, _) = convert(&proxy, "hello", &db, &w);
    let (converted, reused, _) = dedup_counts(&first);
    assert!(converted >= 1 && reused == 0, "{first:#}");
    assert!(db.is_file());
    assert_eq!(reg.tags("hello"), ["amd64", "obd"]);

    // Same repository: the recorded manifest is tagged again, nothing converted or uploaded.
    let (second, requests) = convert_to(&proxy, "hello", "obd", &db, &w, &["--dump-manifest"]);
    assert_eq!(dedup_counts(&second), (0, converted, 1), "{second:#}");
    assert_eq!(digest(&second), digest(&first));
    assert!(uploads(&requests).is_empty(), "{requests:#?}");
    // An image reused whole needs none of its source layers.
    for l in first["targets"][0]["images"][0]["layers"]
        .as_array()
        .unwrap()
    {
        let get = format!(
            "GET /v2/hello/blobs/{}",
            l["source"]["digest"].as_str().unwrap()
        );
        assert!(!requests.contains(&get), "{get} in {requests:#?}");
    }
    assert!(
        requests.iter().all(
            |r| !r.starts_with("PATCH ") && !r.contains("/blobs/uploads/") || r.contains("mount=")
        ),
        "{requests:#?}"
    );
    assert_eq!(reg.tags("hello"), ["amd64", "obd"]);

    // Another repository of the registry: the outputs are mounted from the recorded one.
    let (third, requests) = convert(&proxy, "other/hello", &db, &w);
    assert_eq!(dedup_counts(&third), (0, converted, 1), "{third:#}");
    assert_eq!(digest(&third), digest(&first));
    assert!(uploads(&requests).is_empty(), "{requests:#?}");
    let layers = third["targets"][0]["images"][0]["layers"]
        .as_array()
        .unwrap();
    for l in layers {
        for o in l["outputs"].as_array().unwrap() {
            let d = o["digest"].as_str().unwrap();
            let mount = format!("POST /v2/other/hello/blobs/uploads/?mount={d}&from=hello");
            assert!(requests.contains(&mount), "{mount} not in {requests:#?}");
            assert!(reg.has_blob("other/hello", d));
        }
    }
    assert_eq!(reg.tags("other/hello"), ["amd64", "obd"]);
}

#[test]
fn a_row_whose_blob_the_registry_lost_is_deleted_and_converted_again() {
    let work = Work::new("dedup-registry-stale");
    let Some((reg, proxy)) = start(&work) else {
        return;
    };
    let db = work.path("dedup.db");
    let w = work.path("w");
    let (first, _) = convert(&proxy, "hello", &db, &w);
    let (converted, _, _) = dedup_counts(&first);
    assert!(converted >= 1, "{first:#}");

    // The registry loses the converted layers of the repository.
    let layers = first["targets"][0]["images"][0]["layers"]
        .as_array()
        .unwrap();
    let outputs: Vec<String> = layers
        .iter()
        .flat_map(|l| l["outputs"].as_array().unwrap().iter())
        .map(|o| o["digest"].as_str().unwrap().to_string())
        .collect();
    for d in &outputs {
        let link = reg
            .dir
            .join("data/docker/registry/v2/repositories/hello/_layers/sha256")
            .join(d.trim_start_matches("sha256:"));
        std::fs::remove_dir_all(&link).unwrap_or_else(|e| panic!("{}: {e}", link.display()));
        assert!(!reg.has_blob("hello", d));
    }

    let (second, requests) = convert(&proxy, "hello", &db, &w);
    assert_eq!(dedup_counts(&second), (converted, 0, 0), "{second:#}");
    assert_eq!(digest(&second), digest(&first));
    assert!(!uploads(&requests).is_empty(), "{requests:#?}");
    for d in &outputs {
        assert!(reg.has_blob("hello", d), "{d} was not pushed again");
    }
    // The rows were written again: a third run reuses the whole image.
    let (third, _) = convert(&proxy, "hello", &db, &w);
    assert_eq!(dedup_counts(&third), (0, converted, 1), "{third:#}");
}

#[test]
fn nothing_is_recorded_when_the_push_fails() {
    let work = Work::new("dedup-registry-failed-push");
    let faults = Faults {
        reject_manifest: Some("bad".to_string()),
        ..Faults::default()
    };
    let Some((reg, proxy)) = start_with(&work, faults) else {
        return;
    };
    let db = work.path("dedup.db");
    let w = work.path("w");
    let out = run(args(&proxy, "hello", "bad", &db, &w));
    assert!(!out.status.success(), "the tag push was meant to fail");
    assert_eq!(reg.tags("hello"), ["amd64"]);

    // No row names the unpublished output: the next run converts every layer again.
    let (good, _) = convert_to(&proxy, "hello", "good", &db, &w, &[]);
    let (converted, reused, images) = dedup_counts(&good);
    assert!(converted >= 1 && reused == 0 && images == 0, "{good:#}");
    let (again, _) = convert_to(&proxy, "hello", "good2", &db, &w, &[]);
    assert_eq!(dedup_counts(&again), (0, converted, 1), "{again:#}");
    assert_eq!(digest(&again), digest(&good));
}

#[test]
fn a_lost_manifest_is_assembled_again_from_recorded_layers() {
    let work = Work::new("dedup-registry-layers");
    let Some((reg, proxy)) = start(&work) else {
        return;
    };
    let db = work.path("dedup.db");
    let w = work.path("w");
    let (first, _) = convert(&proxy, "hello", &db, &w);
    let (converted, _, _) = dedup_counts(&first);
    assert!(converted >= 1, "{first:#}");

    // The registry loses the converted manifest (and its tag), not its blobs.
    let manifests = reg
        .dir
        .join("data/docker/registry/v2/repositories/hello/_manifests");
    let hex = digest(&first).trim_start_matches("sha256:").to_string();
    std::fs::remove_dir_all(manifests.join("revisions/sha256").join(hex)).unwrap();
    std::fs::remove_dir_all(manifests.join("tags/obd")).unwrap();
    assert_eq!(reg.tags("hello"), ["amd64"]);

    let (second, requests) = convert(&proxy, "hello", &db, &w);
    assert_eq!(dedup_counts(&second), (0, converted, 0), "{second:#}");
    assert_eq!(digest(&second), digest(&first));
    assert!(uploads(&requests).is_empty(), "{requests:#?}");
    assert_eq!(reg.tags("hello"), ["amd64", "obd"]);
}

#[test]
fn no_upload_does_not_use_the_database() {
    let work = Work::new("dedup-registry-no-upload");
    let Some((reg, proxy)) = start(&work) else {
        return;
    };
    let db = work.path("dedup.db");
    let mut a = args(&proxy, "hello", "obd", &db, &work.path("w"));
    a.push("--no-upload".to_string());
    let out = run(a);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("the dedup database is not used with --no-upload"),
        "{stderr}"
    );
    assert!(!db.exists());
    assert_eq!(reg.tags("hello"), ["amd64"]);
}

#[test]
fn records_name_the_output_repository() {
    let work = Work::new("dedup-registry-output-repo");
    let Some((reg, proxy)) = start(&work) else {
        return;
    };
    let db = work.path("dedup.db");
    let to = |out: &str| {
        let mut a = args(&proxy, "hello", "obd", &db, &work.path("w"));
        a.extend([
            "--output-repository".to_string(),
            format!("{}/{out}", proxy.host()),
        ]);
        let before = proxy.requests().len();
        let report: Value = serde_json::from_str(&ok(a)).unwrap();
        (report, proxy.requests()[before..].to_vec())
    };
    let (first, _) = to("dst/a");
    let (converted, _, _) = dedup_counts(&first);
    assert!(converted >= 1, "{first:#}");
    assert_eq!(reg.tags("dst/a"), ["obd"]);

    // The record is of dst/a, not of the source repository: dst/b mounts from there.
    let (second, requests) = to("dst/b");
    assert_eq!(dedup_counts(&second), (0, converted, 1), "{second:#}");
    assert_eq!(digest(&second), digest(&first));
    assert!(uploads(&requests).is_empty(), "{requests:#?}");
    assert!(
        requests
            .iter()
            .any(|r| r.contains("mount=") && r.ends_with("&from=dst%2Fa")),
        "{requests:#?}"
    );
    assert_eq!(reg.tags("dst/b"), ["obd"]);
    assert_eq!(reg.tags("hello"), ["amd64"]);
}

#[test]
fn a_multi_arch_index_in_both_formats_is_reused_whole() {
    let work = Work::new("dedup-registry-multi");
    let Some((reg, proxy)) = start(&work) else {
        return;
    };
    let hw = hello_world().unwrap();
    let src = format!("oci:{}:multi-arch", hw.display());
    ok(["copy", "--plain", &src, &reg.repo("multi:latest")]);
    let db = work.path("dedup.db");
    let run_in = |repo: &str| {
        let before = proxy.requests().len();
        let out = ok([
            "-r",
            &format!("{}/{repo}", proxy.host()),
            "--plain",
            "-i",
            "latest",
            "--overlaybd",
            "obd",
            "--turboOCI",
            "turbo",
            "--vsize",
            "1",
            "--db-type",
            "sqlite",
            "--db-str",
            &db.display().to_string(),
            "-d",
            &work.path("w").display().to_string(),
            "--json",
        ]);
        let report: Value = serde_json::from_str(&out).unwrap();
        (report, proxy.requests()[before..].to_vec())
    };
    let (first, _) = run_in("multi");
    let images = first["targets"][0]["images"].as_array().unwrap().len() as u64;
    assert!(images >= 2, "{first:#}");
    let (second, requests) = run_in("multi");
    for (a, b) in first["targets"]
        .as_array()
        .unwrap()
        .iter()
        .zip(second["targets"].as_array().unwrap())
    {
        assert_eq!(b["dedup"]["layersConverted"], 0, "{second:#}");
        assert_eq!(b["dedup"]["imagesReused"], images, "{second:#}");
        assert_eq!(a["descriptor"]["digest"], b["descriptor"]["digest"]);
    }
    assert!(uploads(&requests).is_empty(), "{requests:#?}");
    assert_eq!(reg.tags("multi"), ["latest", "obd", "turbo"]);
}

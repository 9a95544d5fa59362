//! Failures of registry conversions through the `convertor` binary: an unknown tag, an
//! unreachable registry, a blob corrupted in transit (a fault proxy in front of the real
//! registry), and a connection cut mid-blob and a burst of 503s that retries ride out. A failure is one error line, a
//! non-zero exit and no output tag.

mod common;
mod registry_support;

use common::work::Work;
use registry_support::proxy::{Faults, Proxy};
use registry_support::server::free_port;
use registry_support::{Auth, Registry, layout_doc, layout_tag, ok, one_error, run};
use std::path::Path;

fn sample_registry(work: &Work) -> (Registry, std::path::PathBuf) {
    let reg = Registry::start(&work.path("registry"), Auth::Plain);
    let src = work.path("sample");
    convertor_tests::sample::write_sample_image(&src).unwrap();
    ok([
        "copy",
        "--plain",
        &format!("oci:{}:latest", src.display()),
        &reg.repo("sample:latest"),
    ]);
    (reg, src)
}

fn convert(host_repo: &str, tag: &str, work: &Path) -> std::process::Output {
    run([
        "-r",
        host_repo,
        "--plain",
        "-i",
        tag,
        "--overlaybd",
        "obd",
        "--turboOCI",
        "turbo",
        "-d",
        &work.display().to_string(),
    ])
}

#[test]
fn unknown_tag_and_unreachable_registry_are_one_error_line() {
    let work = Work::new("registry-errors");
    let (reg, _) = sample_registry(&work);
    let line = one_error(&convert(&reg.repo("sample"), "nope", &work.path("w")));
    assert!(line.contains("manifest nope not found"), "{line}");
    let line = one_error(&convert(&reg.repo("absent"), "latest", &work.path("w")));
    assert!(line.contains("not found"), "{line}");
    assert_eq!(reg.tags("sample"), ["latest"]);

    let port = free_port();
    let t = std::time::Instant::now();
    let line = one_error(&convert(
        &format!("127.0.0.1:{port}/sample"),
        "latest",
        &work.path("w"),
    ));
    assert!(
        line.contains(&format!("cannot reach registry 127.0.0.1:{port}")),
        "{line}"
    );
    assert!(
        t.elapsed().as_secs() < 10,
        "gave up only after {:?}",
        t.elapsed()
    );
}

#[test]
fn a_corrupted_blob_fails_the_run_and_tags_nothing() {
    let work = Work::new("registry-corrupt");
    let (reg, src) = sample_registry(&work);
    let manifest = layout_doc(&src, layout_tag(&src, "latest")["digest"].as_str().unwrap());
    let layer = manifest["layers"][1]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let proxy = Proxy::start(
        reg.port,
        Faults {
            corrupt_blob: Some(layer.clone()),
            ..Faults::default()
        },
    );
    let line = one_error(&convert(
        &format!("{}/sample", proxy.host()),
        "latest",
        &work.path("w"),
    ));
    assert!(
        line.contains("digest mismatch") && line.contains(&layer),
        "{line}"
    );
    assert!(proxy.corrupted() >= 1);
    assert_eq!(reg.tags("sample"), ["latest"]);
}

#[test]
fn a_connection_cut_mid_blob_is_retried() {
    let work = Work::new("registry-cut");
    let (reg, src) = sample_registry(&work);
    let manifest = layout_doc(&src, layout_tag(&src, "latest")["digest"].as_str().unwrap());
    let layer = manifest["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let proxy = Proxy::start(
        reg.port,
        Faults {
            truncate_blob_once: Some(layer),
            ..Faults::default()
        },
    );
    let out = convert(
        &format!("{}/sample", proxy.host()),
        "latest",
        &work.path("w"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(proxy.truncated(), 2, "the blob was fetched twice");
    assert_eq!(reg.tags("sample"), ["latest", "obd", "turbo"]);
}

#[test]
fn a_burst_of_503s_is_retried() {
    let work = Work::new("registry-503");
    let (reg, _) = sample_registry(&work);
    let proxy = Proxy::start(
        reg.port,
        Faults {
            unavailable: 3,
            ..Faults::default()
        },
    );
    let out = convert(
        &format!("{}/sample", proxy.host()),
        "latest",
        &work.path("w"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(proxy.served_503(), 3);
    assert!(proxy.forwarded() > 0);
    assert_eq!(reg.tags("sample"), ["latest", "obd", "turbo"]);
}

/// The referrers fallback index goes up before the output tags: when it is refused, no
/// output is tagged (a tag is the commit point of a run).
#[test]
fn a_refused_referrers_index_leaves_the_outputs_untagged() {
    let work = Work::new("registry-referrers-refused");
    let (reg, _) = sample_registry(&work);
    let proxy = Proxy::start(
        reg.port,
        Faults {
            reject_manifest: Some("sha256-".to_string()),
            ..Faults::default()
        },
    );
    let out = run([
        "-r",
        &format!("{}/sample", proxy.host()),
        "--plain",
        "-i",
        "latest",
        "--overlaybd",
        "obd",
        "--referrer",
        "-d",
        &work.path("w").display().to_string(),
    ]);
    let line = one_error(&out);
    assert!(
        line.contains("referrers tag sha256-") && line.contains("MANIFEST_INVALID"),
        "{line}"
    );
    assert_eq!(reg.tags("sample"), ["latest"]);
}

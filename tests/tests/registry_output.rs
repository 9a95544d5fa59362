//! `--output-repository`: outputs pushed to another repository, on the same registry (blobs
//! the target lacks are mounted from the source repository: the fault proxy, here without
//! faults, records the requests) or on another registry (everything copied). TurboOCI layers
//! read their source layer from the target repository, so that layer must be there too.

mod common;
mod registry_support;

use common::work::Work;
use registry_support::check::flatten_fsck;
use registry_support::proxy::{Faults, Proxy};
use registry_support::{Auth, Registry, hello_world, layout_doc, layout_tag, ok};
use std::path::Path;

fn oci(dir: &Path, tag: &str) -> String {
    format!("oci:{}:{tag}", dir.display())
}

/// Config and layer digests of every manifest under `tag` of a layout.
fn source_blobs(layout: &Path, tag: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![
        layout_tag(layout, tag)["digest"]
            .as_str()
            .unwrap()
            .to_string(),
    ];
    while let Some(d) = stack.pop() {
        let doc = layout_doc(layout, &d);
        for m in doc["manifests"].as_array().into_iter().flatten() {
            stack.push(m["digest"].as_str().unwrap().to_string());
        }
        if let Some(c) = doc["config"]["digest"].as_str() {
            out.push(c.to_string());
        }
        for l in doc["layers"].as_array().into_iter().flatten() {
            out.push(l["digest"].as_str().unwrap().to_string());
        }
    }
    out
}

fn layers(layout: &Path, tag: &str) -> Vec<String> {
    let m = layout_doc(layout, layout_tag(layout, tag)["digest"].as_str().unwrap());
    m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn outputs_go_to_another_repository_of_the_same_registry_by_mounts() {
    let Some(hw) = hello_world() else { return };
    let work = Work::new("registry-output-same");
    let reg = Registry::start(&work.path("registry"), Auth::Plain);
    let proxy = Proxy::start(reg.port, Faults::default());
    ok([
        "copy",
        "--plain",
        &oci(&hw, "amd64"),
        &reg.repo("src/hello:amd64"),
    ]);
    ok([
        "-r",
        &format!("{}/src/hello", proxy.host()),
        "--output-repository",
        &format!("{}/dst/hello", proxy.host()),
        "--plain",
        "-i",
        "amd64",
        "--overlaybd",
        "obd",
        "--turboOCI",
        "turbo",
        "--vsize",
        "1",
        "-d",
        &work.path("w").display().to_string(),
    ]);
    assert_eq!(reg.tags("src/hello"), ["amd64"]);
    assert_eq!(reg.tags("dst/hello"), ["obd", "turbo"]);

    // The source layer (TurboOCI reads it) is mounted, never uploaded again.
    let requests = proxy.requests();
    let src_layers = layers(&hw, "amd64");
    for l in &src_layers {
        assert!(reg.has_blob("dst/hello", l), "{l} is not in dst/hello");
        let mount = format!("POST /v2/dst/hello/blobs/uploads/?mount={l}&from=src%2Fhello");
        assert!(requests.contains(&mount), "{mount} not in {requests:#?}");
        assert!(
            !requests
                .iter()
                .any(|r| r.starts_with("PUT ") && r.contains(&format!("digest={l}"))),
            "{l} was uploaded"
        );
    }
    // Mounts are tried only for blobs of the source repository.
    let from_source = source_blobs(&hw, "amd64");
    for r in requests.iter().filter(|r| r.contains("mount=")) {
        let digest = r.split("mount=").nth(1).unwrap().split('&').next().unwrap();
        assert!(from_source.iter().any(|d| d == digest), "{r}");
    }

    let back = work.path("back");
    for t in ["obd", "turbo"] {
        ok([
            "copy",
            "--plain",
            &reg.repo(&format!("dst/hello:{t}")),
            &oci(&back, t),
        ]);
    }
    // obdtool reads TurboOCI's source layer from the layout: bring it along.
    ok([
        "copy",
        "--plain",
        &reg.repo("src/hello:amd64"),
        &oci(&back, "amd64"),
    ]);
    flatten_fsck(&back, "obd", None, &work);
    flatten_fsck(&back, "turbo", None, &work);
}

#[test]
fn outputs_go_to_another_registry_with_their_source_layers() {
    let Some(hw) = hello_world() else { return };
    let work = Work::new("registry-output-cross");
    let a = Registry::start(&work.path("a"), Auth::Plain);
    let b = Registry::start(&work.path("b"), Auth::Plain);
    let tag = "multi-arch";
    ok([
        "copy",
        "--plain",
        &oci(&hw, tag),
        &a.repo(&format!("hello:{tag}")),
    ]);
    ok([
        "-r",
        &a.repo("hello"),
        "--output-repository",
        &b.repo("mirror/hello"),
        "--plain",
        "-i",
        tag,
        "--overlaybd",
        "obd",
        "--turboOCI",
        "turbo",
        "--vsize",
        "1",
        "-d",
        &work.path("w").display().to_string(),
    ]);
    assert_eq!(a.tags("hello"), [tag]);
    assert_eq!(b.tags("mirror/hello"), ["obd", "turbo"]);
    let idx = layout_doc(&hw, layout_tag(&hw, tag)["digest"].as_str().unwrap());
    for child in idx["manifests"].as_array().unwrap() {
        let m = layout_doc(&hw, child["digest"].as_str().unwrap());
        for l in m["layers"].as_array().unwrap() {
            let d = l["digest"].as_str().unwrap();
            assert!(b.has_blob("mirror/hello", d), "{d} was not copied");
        }
    }

    // Everything the outputs need comes from registry B alone.
    let back = work.path("back");
    for t in ["obd", "turbo"] {
        ok([
            "copy",
            "--plain",
            &b.repo(&format!("mirror/hello:{t}")),
            &oci(&back, t),
        ]);
    }
    flatten_fsck(&back, "obd", Some("linux/amd64"), &work);
}

#[test]
fn output_repository_must_be_a_registry_repository_of_a_registry_run() {
    let out = registry_support::run([
        "-r",
        "oci:/nonexistent",
        "--output-repository",
        "127.0.0.1:1/x",
        "-i",
        "a",
        "-o",
        "b",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--output-repository needs a registry"),
        "{err}"
    );
    let out = registry_support::run([
        "-r",
        "127.0.0.1:1/x",
        "--output-repository",
        "oci:/tmp/y",
        "-i",
        "a",
        "-o",
        "b",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not host[:port]/path"), "{err}");
}

/// `-u` serves both hosts unless the output host has its own Docker config entry: two
/// token-auth registries whose token servers know different users.
#[test]
fn output_host_uses_its_own_config_entry_else_the_u_credentials() {
    use registry_support::token::TokenServer;
    let work = Work::new("registry-output-creds");
    let alice = TokenServer::start(&work.path("token-a"), "alice", "a-pass");
    let bob = TokenServer::start(&work.path("token-b"), "bob", "b-pass");
    let a = Registry::start(
        &work.path("a"),
        Auth::Token {
            realm: alice.realm(),
            bundle: alice.cert.clone(),
        },
    );
    let b = Registry::start(
        &work.path("b"),
        Auth::Token {
            realm: bob.realm(),
            bundle: bob.cert.clone(),
        },
    );
    let src = work.path("sample");
    convertor_tests::sample::write_sample_image(&src).unwrap();
    ok([
        "copy",
        "--plain",
        "-u",
        "alice:a-pass",
        &format!("oci:{}:latest", src.display()),
        &a.repo("sample:latest"),
    ]);
    let args = |tag: &str| {
        vec![
            "-r".to_string(),
            a.repo("sample"),
            "--output-repository".into(),
            b.repo("sample"),
            "--plain".into(),
            "-u".into(),
            "alice:a-pass".into(),
            "-i".into(),
            "latest".into(),
            "--overlaybd".into(),
            tag.into(),
            "-d".into(),
            work.path("w").display().to_string(),
        ]
    };
    // No entry for B: alice's credentials go there too, and B's token server refuses them.
    let empty = work.subdir("cfg-empty");
    std::fs::write(empty.join("config.json"), "{}").unwrap();
    let line = registry_support::one_error(&registry_support::run_env(
        args("obd-u"),
        &[("DOCKER_CONFIG", &empty)],
    ));
    assert!(
        line.contains(&b.host()) && line.contains("\"alice\""),
        "{line}"
    );
    // B's own entry wins over -u for B; A still gets -u.
    let cfg = work.subdir("cfg-b");
    std::fs::write(
        cfg.join("config.json"),
        format!(
            r#"{{"auths":{{"{}":{{"auth":"{}"}}}}}}"#,
            b.host(),
            registry_support::b64(b"bob:b-pass", false)
        ),
    )
    .unwrap();
    let out = registry_support::run_env(args("obd"), &[("DOCKER_CONFIG", &cfg)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(b.tags("sample"), ["obd"]);
    assert_eq!(a.tags("sample"), ["latest"]);
}

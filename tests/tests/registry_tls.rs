//! Registry access over TLS with a throwaway CA and htpasswd (bcrypt) users, through the
//! `convertor` binary: CA flags, credentials (split at the first ':'), the Docker config
//! fallback, --insecure, client certificates, and one clear error line for each refusal.

mod common;
mod registry_support;

use common::work::Work;
use registry_support::tls::{self, Pki};
use registry_support::{Auth, Registry, b64, one_error, run, run_env};
use std::path::Path;

const USER: &str = "tester";
/// A ':' inside the password: -u splits at the first one only.
const PASSWORD: &str = "s3cr:et";

fn registry(work: &Work, client_ca: bool) -> (Registry, std::path::PathBuf) {
    let pki: Pki = tls::make(&work.path("pki"));
    let ca = pki.ca.clone();
    let reg = Registry::start(
        &work.path("registry"),
        Auth::Tls {
            pki,
            users: vec![(USER.to_string(), PASSWORD.to_string())],
            client_ca,
        },
    );
    (reg, ca)
}

fn creds() -> String {
    format!("{USER}:{PASSWORD}")
}

/// Loads the sample image as `sample:latest` (credentials and the CA file).
fn load_sample(reg: &Registry, ca: &Path, work: &Work, extra: &[&str]) {
    let src = work.path("sample");
    convertor_tests::sample::write_sample_image(&src).unwrap();
    let mut args = vec![
        "copy".to_string(),
        "-u".into(),
        creds(),
        "--root-ca".into(),
        ca.display().to_string(),
        format!("oci:{}:latest", src.display()),
        reg.repo("sample:latest"),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = run(&args);
    assert!(
        out.status.success(),
        "copy failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn convert_args(reg: &Registry, work: &Work, tag: &str, extra: &[String]) -> Vec<String> {
    let mut a = vec![
        "-r".to_string(),
        reg.repo("sample"),
        "-i".into(),
        "latest".into(),
        "--overlaybd".into(),
        tag.into(),
        "-d".into(),
        work.path("convert-work").display().to_string(),
    ];
    a.extend(extra.iter().cloned());
    a
}

#[test]
fn tls_and_htpasswd_with_every_ca_source_and_one_error_line_per_refusal() {
    let work = Work::new("registry-tls");
    let (reg, ca) = registry(&work, false);
    load_sample(&reg, &ca, &work, &[]);

    // --cert-dir with the CA as *.crt, and the right credentials: converted and tagged.
    let certs = work.subdir("certs.d");
    std::fs::copy(&ca, certs.join("ca.crt")).unwrap();
    let args = convert_args(
        &reg,
        &work,
        "obd-certdir",
        &[
            "-u".into(),
            creds(),
            "--cert-dir".into(),
            certs.display().to_string(),
        ],
    );
    let out = run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(reg.tags("sample").contains(&"obd-certdir".to_string()));

    // A wrong password: one line naming the user, nothing tagged.
    let root_ca = ["--root-ca".to_string(), ca.display().to_string()];
    let mut a = convert_args(&reg, &work, "obd-wrong", &root_ca);
    a.extend(["-u".into(), format!("{USER}:wrong")]);
    let line = one_error(&run(&a));
    assert!(
        line.contains("rejected the credentials") && line.contains(USER),
        "{line}"
    );

    // No credentials at all.
    let line = one_error(&run(convert_args(&reg, &work, "obd-anon", &root_ca)));
    assert!(line.contains("requires credentials"), "{line}");

    // The CA unknown to the client: a certificate error, unless --insecure.
    let mut a = convert_args(&reg, &work, "obd-noca", &[]);
    a.extend(["-u".into(), creds()]);
    let line = one_error(&run(&a));
    assert!(
        line.to_lowercase().contains("certificate") || line.contains("UnknownIssuer"),
        "{line}"
    );
    a.push("--insecure".into());
    let out = run(&a);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Credentials from the Docker config.json when -u is absent.
    let docker = work.subdir("docker-config");
    let auth = b64(creds().as_bytes(), false);
    std::fs::write(
        docker.join("config.json"),
        format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, reg.host()),
    )
    .unwrap();
    let out = run_env(
        convert_args(&reg, &work, "obd-dockercfg", &root_ca),
        &[("DOCKER_CONFIG", &docker)],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let tags = reg.tags("sample");
    for t in ["obd-certdir", "obd-noca", "obd-dockercfg"] {
        assert!(tags.contains(&t.to_string()), "{t} missing: {tags:?}");
    }
    for t in ["obd-wrong", "obd-anon"] {
        assert!(!tags.contains(&t.to_string()), "{t} was tagged: {tags:?}");
    }
}

/// A registry that requires client certificates: refused without --client-cert, served with.
#[test]
fn client_certificates_are_presented() {
    let work = Work::new("registry-mtls");
    let (reg, ca) = registry(&work, true);
    let pki = work.path("pki");
    let pair = format!(
        "{}:{}",
        pki.join("client.pem").display(),
        pki.join("client.key").display()
    );
    load_sample(&reg, &ca, &work, &["--client-cert", &pair]);
    let root_ca = [
        "--root-ca".to_string(),
        ca.display().to_string(),
        "-u".into(),
        creds(),
    ];
    let line = one_error(&run(convert_args(&reg, &work, "obd-nocert", &root_ca)));
    assert!(line.contains("cannot reach registry"), "{line}");
    let mut a = convert_args(&reg, &work, "obd-mtls", &root_ca);
    a.extend(["--client-cert".into(), pair]);
    let out = run(&a);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(reg.tags("sample"), ["latest", "obd-mtls"]);
}

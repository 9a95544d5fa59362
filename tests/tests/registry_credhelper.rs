//! Docker credential helpers through the `convertor` binary: `credHelpers` (per host) and
//! `credsStore` (every host) in config.json run `docker-credential-<name> get`, a real
//! executable put on PATH here, against a TLS registry with htpasswd users. Helpers run only
//! when the registry asks for credentials.

mod common;
mod registry_support;

use common::work::Work;
use registry_support::tls::{self, Pki};
use registry_support::{Auth, Registry, one_error, run_env};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

const USER: &str = "helped";
const PASSWORD: &str = "from-the-helper";

/// `docker-credential-conv-test`: answers for 127.0.0.1 hosts, logs each host asked;
/// `docker-credential-conv-none`: never has credentials; `docker-credential-conv-broken`
/// fails.
fn helpers(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = dir.join("asked.log");
    let scripts = [
        (
            "conv-test",
            format!(
                r#"#!/bin/sh
[ "$1" = get ] || exit 2
host=$(cat)
echo "$host" >> {log}
case "$host" in
  127.0.0.1:*) printf '{{"ServerURL":"%s","Username":"{USER}","Secret":"{PASSWORD}"}}\n' "$host" ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
"#,
                log = log.display()
            ),
        ),
        (
            "conv-none",
            "#!/bin/sh\necho credentials not found in native keychain\nexit 1\n".to_string(),
        ),
        (
            "conv-broken",
            "#!/bin/sh\necho keychain is locked >&2\nexit 3\n".to_string(),
        ),
    ];
    for (name, text) in scripts {
        let p = bin.join(format!("docker-credential-{name}"));
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

fn config(dir: &Path, name: &str, json: &str) -> PathBuf {
    let d = dir.join(name);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("config.json"), json).unwrap();
    d
}

#[test]
fn cred_helpers_and_creds_store_answer_the_registry_challenge() {
    let work = Work::new("registry-credhelper");
    let pki: Pki = tls::make(&work.path("pki"));
    let ca = pki.ca.display().to_string();
    let reg = Registry::start(
        &work.path("registry"),
        Auth::Tls {
            pki,
            users: vec![(USER.to_string(), PASSWORD.to_string())],
            client_ca: false,
        },
    );
    let bin = helpers(&work.path("helpers"));
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let path = Path::new(&path);
    let src = work.path("sample");
    convertor_tests::sample::write_sample_image(&src).unwrap();
    let sample = format!("oci:{}:latest", src.display());
    let host = reg.host();

    // credHelpers for this host: loaded and converted without -u.
    let per_host = config(
        &work.path("cfg"),
        "per-host",
        &format!(r#"{{"credHelpers":{{"{host}":"conv-test"}}}}"#),
    );
    let env = [("DOCKER_CONFIG", per_host.as_path()), ("PATH", path)];
    let ok = |out: std::process::Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    ok(run_env(
        [
            "copy",
            "--root-ca",
            &ca,
            &sample,
            &reg.repo("sample:latest"),
        ],
        &env,
    ));
    ok(run_env(
        [
            "-r",
            &reg.repo("sample"),
            "--root-ca",
            &ca,
            "-i",
            "latest",
            "--overlaybd",
            "obd",
            "-d",
            &work.path("w").display().to_string(),
        ],
        &env,
    ));
    assert_eq!(reg.tags("sample"), ["latest", "obd"]);
    let asked = std::fs::read_to_string(work.path("helpers/asked.log")).unwrap();
    assert!(asked.lines().all(|l| l == host), "{asked}");
    // Once per run at most: the answer is kept for the run.
    assert_eq!(asked.lines().count(), 2, "{asked}");

    // credsStore for every host.
    let store = config(
        &work.path("cfg"),
        "store",
        r#"{"credsStore":"conv-test","auths":{}}"#,
    );
    ok(run_env(
        ["copy", "--root-ca", &ca, &sample, &reg.repo("store:v1")],
        &[("DOCKER_CONFIG", store.as_path()), ("PATH", path)],
    ));
    assert_eq!(reg.tags("store"), ["v1"]);

    // A helper without credentials for the host: anonymous, refused in one line.
    let none = config(&work.path("cfg"), "none", r#"{"credsStore":"conv-none"}"#);
    let line = one_error(&run_env(
        ["copy", "--root-ca", &ca, &sample, &reg.repo("none:v1")],
        &[("DOCKER_CONFIG", none.as_path()), ("PATH", path)],
    ));
    assert!(line.contains("requires credentials"), "{line}");

    // A failing or missing helper is named, with its message.
    let broken = config(
        &work.path("cfg"),
        "broken",
        &format!(r#"{{"credHelpers":{{"{host}":"conv-broken"}}}}"#),
    );
    let line = one_error(&run_env(
        ["copy", "--root-ca", &ca, &sample, &reg.repo("broken:v1")],
        &[("DOCKER_CONFIG", broken.as_path()), ("PATH", path)],
    ));
    assert!(
        line.contains("docker-credential-conv-broken") && line.contains("keychain is locked"),
        "{line}"
    );
    let absent = config(
        &work.path("cfg"),
        "absent",
        r#"{"credsStore":"conv-absent"}"#,
    );
    let line = one_error(&run_env(
        ["copy", "--root-ca", &ca, &sample, &reg.repo("absent:v1")],
        &[("DOCKER_CONFIG", absent.as_path()), ("PATH", path)],
    ));
    assert!(line.contains("docker-credential-conv-absent"), "{line}");
    for r in ["none", "broken", "absent"] {
        assert!(reg.tags(r).is_empty(), "{r} was written");
    }
}

/// An anonymous registry never runs the helper: a missing one does not matter there.
#[test]
fn helpers_are_not_run_without_a_challenge() {
    let work = Work::new("registry-credhelper-anon");
    let reg = Registry::start(&work.path("registry"), Auth::Plain);
    let src = work.path("sample");
    convertor_tests::sample::write_sample_image(&src).unwrap();
    let absent = config(
        &work.path("cfg"),
        "absent",
        r#"{"credsStore":"conv-absent"}"#,
    );
    let out = run_env(
        [
            "copy",
            "--plain",
            &format!("oci:{}:latest", src.display()),
            &reg.repo("sample:latest"),
        ],
        &[("DOCKER_CONFIG", absent.as_path())],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(reg.tags("sample"), ["latest"]);
}

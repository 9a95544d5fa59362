//! Bearer-token auth through the `convertor` binary: docker-registry in `auth: token` mode
//! verifies ES256 tokens that a small token server issues for Basic credentials; pull and
//! push scopes are asked for separately, and a wrong password is one error line.

mod common;
mod registry_support;

use common::work::Work;
use registry_support::token::TokenServer;
use registry_support::{Auth, Registry, one_error, run};

#[test]
fn bearer_tokens_for_pull_and_push_scopes() {
    let work = Work::new("registry-token");
    let tokens = TokenServer::start(&work.path("token"), "tester", "pa:ss");
    let reg = Registry::start(
        &work.path("registry"),
        Auth::Token {
            realm: tokens.realm(),
            bundle: tokens.cert.clone(),
        },
    );
    let src = work.path("sample");
    convertor_tests::sample::write_sample_image(&src).unwrap();
    let load = run([
        "copy",
        "--plain",
        "-u",
        "tester:pa:ss",
        &format!("oci:{}:latest", src.display()),
        &reg.repo("team/sample:latest"),
    ]);
    assert!(
        load.status.success(),
        "{}",
        String::from_utf8_lossy(&load.stderr)
    );

    let convert = |user: &str, tag: &str| {
        run([
            "-r",
            &reg.repo("team/sample"),
            "--plain",
            "-u",
            user,
            "-i",
            "latest",
            "--overlaybd",
            tag,
            "-d",
            &work.path("convert-work").display().to_string(),
        ])
    };
    let out = convert("tester:pa:ss", "obd");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(reg.tags("team/sample"), ["latest", "obd"]);
    let scopes = tokens.scopes();
    assert!(
        scopes.contains(&"repository:team/sample:pull".to_string()),
        "{scopes:?}"
    );
    assert!(
        scopes.contains(&"repository:team/sample:pull,push".to_string()),
        "{scopes:?}"
    );

    let line = one_error(&convert("tester:wrong", "obd-wrong"));
    assert!(line.contains("rejected the credentials"), "{line}");
    assert_eq!(reg.tags("team/sample"), ["latest", "obd"]);
}

//! Ctrl-C during a registry run: the fault proxy holds the answers to upload starts, so
//! sessions are open on the registry when SIGINT (or SIGTERM) arrives. The run must cancel
//! them (DELETE), write no output tag, remove its staging layout and exit with 128 + signal.

mod common;
mod registry_support;

use common::work::Work;
use registry_support::proxy::{Faults, Proxy};
use registry_support::{Auth, Registry, convertor, ok};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn interrupted_mid_upload(signal: libc::c_int, name: &str) {
    let work = Work::new(name);
    let reg = Registry::start(&work.path("registry"), Auth::Plain);
    let src = work.path("sample");
    convertor_tests::sample::write_sample_image(&src).unwrap();
    ok([
        "copy",
        "--plain",
        &format!("oci:{}:latest", src.display()),
        &reg.repo("sample:latest"),
    ]);
    let proxy = Proxy::start(
        reg.port,
        Faults {
            delay_upload_start: Some(Duration::from_millis(1500)),
            ..Faults::default()
        },
    );
    let dir = work.path("w");
    let mut child = Command::new(convertor())
        .args([
            "-r",
            &format!("{}/sample", proxy.host()),
            "--plain",
            "-i",
            "latest",
        ])
        .args(["--overlaybd", "obd", "--turboOCI", "turbo", "-d"])
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while proxy.uploads_started() == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(180),
            "no upload started"
        );
        assert!(child.try_wait().unwrap().is_none(), "convertor ended early");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: signalling our own child process.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(128 + signal), "{stderr}");
    assert!(stderr.contains("interrupted by signal"), "{stderr}");

    assert_eq!(reg.tags("sample"), ["latest"], "an output was tagged");
    let deletes = proxy
        .requests()
        .iter()
        .filter(|r| r.starts_with("DELETE ") && r.contains("/blobs/uploads/"))
        .count();
    assert!(deletes >= 1, "no upload cancelled: {:#?}", proxy.requests());
    assert_eq!(
        reg.open_uploads("sample"),
        0,
        "an upload session was left open"
    );
    let staging: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("registry-"))
        .collect();
    assert!(staging.is_empty(), "staging left: {staging:?}");
}

#[test]
fn sigint_mid_upload_cancels_sessions_and_tags_nothing() {
    interrupted_mid_upload(libc::SIGINT, "registry-sigint");
}

#[test]
fn sigterm_mid_upload_cancels_sessions_and_tags_nothing() {
    interrupted_mid_upload(libc::SIGTERM, "registry-sigterm");
}

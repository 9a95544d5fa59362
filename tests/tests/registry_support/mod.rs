//! Harness of the registry tests: Debian's `docker-registry` on a free loopback port (plain
//! HTTP, or TLS with a throwaway CA and htpasswd auth), the `convertor` binary, and a small
//! fault-injecting HTTP proxy for what a real registry cannot be made to do.
#![allow(dead_code)]

pub mod check;
pub mod ferro;
pub mod proxy;
pub mod server;
pub mod tls;
pub mod token;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[allow(unused_imports)]
pub use server::{Auth, Registry};

/// `<target>/<profile>/convertor`, beside obdtool.
pub fn convertor() -> PathBuf {
    crate::common::convertor::binary()
}

/// Runs `convertor` (engines found as the Justfile's env or the target dir says).
pub fn run<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run_env(args, &[])
}

pub fn run_env<I, S>(args: I, env: &[(&str, &Path)]) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let mut cmd = Command::new(convertor());
    cmd.args(&args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output()
        .unwrap_or_else(|e| panic!("running convertor {args:?}: {e}"))
}

/// Requires success; returns stdout.
#[track_caller]
pub fn ok<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let out = run(&args);
    assert!(
        out.status.success(),
        "convertor {args:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Requires failure with exactly one stderr line, `error: ...`; returns that line.
#[track_caller]
pub fn one_error(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "expected a failure, got success:\n{}{stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one error line, got:\n{stderr}");
    let line = lines[0].to_string();
    assert!(line.starts_with("error: "), "not an error line: {line}");
    line
}

/// The hello-world fixture layout, or None (with a note) without ../shared.
pub fn hello_world() -> Option<PathBuf> {
    let dir = convertor_tests::shared_dir()?.join("fixtures/hello-world");
    dir.join("index.json").is_file().then_some(dir)
}

/// Parses a JSON file.
pub fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(
        &std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A blob of an OCI layout, as JSON.
pub fn layout_doc(layout: &Path, digest: &str) -> serde_json::Value {
    let hex = digest.strip_prefix("sha256:").expect("sha256 digest");
    json(&layout.join("blobs/sha256").join(hex))
}

/// The descriptor a layout's `index.json` tags `tag`.
pub fn layout_tag(layout: &Path, tag: &str) -> serde_json::Value {
    json(&layout.join("index.json"))["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["annotations"]["org.opencontainers.image.ref.name"] == tag)
        .unwrap_or_else(|| panic!("tag {tag} is not in {}", layout.display()))
        .clone()
}

/// Base64 (standard alphabet with padding, or URL-safe without).
pub fn b64(data: &[u8], url: bool) -> String {
    let table: &[u8; 64] = if url {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    };
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(table[((n >> (18 - 6 * i)) & 63) as usize]));
            } else if !url {
                out.push('=');
            }
        }
    }
    out
}

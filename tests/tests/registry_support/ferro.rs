//! ferro-oci-server (crates.io, installed by .ci/setup with `cargo install --locked`): an
//! in-memory OCI Distribution 1.1 registry that serves the referrers API and answers pushes
//! of manifests with a subject with `OCI-Subject`. On a free loopback port; killed on drop.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Ferro {
    child: Child,
    pub port: u16,
}

/// The installed binary: on PATH, else in cargo's bin directory.
fn binary() -> Option<PathBuf> {
    let name = "ferro-oci-server";
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(c) = std::env::var_os("CARGO_HOME") {
        dirs.push(PathBuf::from(c).join("bin"));
    }
    if let Some(h) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(h).join(".cargo/bin"));
    }
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

impl Ferro {
    /// Starts the server with its log under `dir`; None (with a note) when it is not
    /// installed.
    pub fn start(dir: &Path) -> Option<Ferro> {
        let Some(bin) = binary() else {
            eprintln!(
                "note: ferro-oci-server is not installed (bash .ci/setup installs it): skipped"
            );
            return None;
        };
        std::fs::create_dir_all(dir).unwrap();
        for _ in 0..10 {
            let port = super::server::free_port();
            let log = std::fs::File::create(dir.join("ferro.log")).unwrap();
            let mut child = Command::new(&bin)
                .env("FERRO_OCI_LISTEN", format!("127.0.0.1:{port}"))
                .env_remove("FERRO_OCI_STORAGE_DIR")
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("starting ferro-oci-server");
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(20) {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if get(port, "/v2/", "*/*").is_some_and(|(status, _, _)| status == 200) {
                    return Some(Ferro { child, port });
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            // The port was taken meanwhile (or it did not come up): try another.
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!(
            "ferro-oci-server did not start:\n{}",
            std::fs::read_to_string(dir.join("ferro.log")).unwrap_or_default()
        );
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn repo(&self, repo: &str) -> String {
        format!("127.0.0.1:{}/{repo}", self.port)
    }

    /// GETs `path` as JSON; panics unless 200.
    pub fn json(&self, path: &str, accept: &str) -> serde_json::Value {
        let (status, _, body) = get(self.port, path, accept).expect("GET from ferro-oci-server");
        assert_eq!(
            status,
            200,
            "GET {path}: {}",
            String::from_utf8_lossy(&body)
        );
        serde_json::from_slice(&body).unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// The tags of a repository.
    pub fn tags(&self, repo: &str) -> Vec<String> {
        let v = self.json(&format!("/v2/{repo}/tags/list"), "application/json");
        let mut tags: Vec<String> = v["tags"]
            .as_array()
            .map(|a| a.iter().map(|t| t.as_str().unwrap().to_string()).collect())
            .unwrap_or_default();
        tags.sort();
        tags
    }
}

impl Drop for Ferro {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 GET: status, head, body (a chunked body is decoded).
pub fn get(port: u16, path: &str, accept: &str) -> Option<(u16, String, Vec<u8>)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body)?;
    }
    Some((status, head, body))
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = String::from_utf8_lossy(&data[..line_end]).into_owned();
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

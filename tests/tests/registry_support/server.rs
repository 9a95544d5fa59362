//! Debian's `docker-registry` (distribution 2.8) on a free 127.0.0.1 port with its own
//! config and storage under a scratch dir; killed on drop.

use super::tls::Pki;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How the registry is reached.
pub enum Auth {
    /// Plain HTTP, anonymous.
    Plain,
    /// Plain HTTP with bearer tokens from a token server (`auth: token`).
    Token { realm: String, bundle: PathBuf },
    /// HTTPS with the given PKI; htpasswd users; client certificates required when
    /// `client_ca` is set.
    Tls {
        pki: Pki,
        users: Vec<(String, String)>,
        client_ca: bool,
    },
}

pub struct Registry {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
    pub auth: Auth,
}

impl Registry {
    /// Starts a registry with its files under `dir`, retrying on another port if the one
    /// picked was taken meanwhile (tests run in parallel).
    pub fn start(dir: &Path, auth: Auth) -> Registry {
        std::fs::create_dir_all(dir).unwrap();
        let mut config = String::new();
        config.push_str("version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\n");
        config.push_str(&format!(
            "storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n",
            dir.join("data").display()
        ));
        let mut http_extra = String::from("  secret: convertor-tests\n");
        if let Auth::Token { realm, bundle } = &auth {
            config.push_str(&format!(
                "auth:\n  token:\n    realm: {realm}\n    service: {}\n    issuer: {}\n    rootcertbundle: {}\n",
                super::token::SERVICE,
                super::token::ISSUER,
                bundle.display()
            ));
        }
        if let Auth::Tls {
            pki,
            users,
            client_ca,
        } = &auth
        {
            http_extra.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                pki.server_cert.display(),
                pki.server_key.display()
            ));
            if *client_ca {
                http_extra.push_str(&format!("    clientcas:\n      - {}\n", pki.ca.display()));
            }
            if !users.is_empty() {
                let mut htpasswd = String::new();
                for (u, p) in users {
                    let out = Command::new("htpasswd")
                        .args(["-Bbn", u, p])
                        .output()
                        .expect("running htpasswd (apache2-utils)");
                    assert!(out.status.success(), "htpasswd failed");
                    htpasswd.push_str(String::from_utf8_lossy(&out.stdout).trim());
                    htpasswd.push('\n');
                }
                std::fs::write(dir.join("htpasswd"), htpasswd).unwrap();
                config.push_str(&format!(
                    "auth:\n  htpasswd:\n    realm: convertor-tests\n    path: {}\n",
                    dir.join("htpasswd").display()
                ));
            }
        }
        for _ in 0..10 {
            let port = free_port();
            let text = format!("{config}http:\n  addr: 127.0.0.1:{port}\n{http_extra}");
            let cfg = dir.join("config.yml");
            std::fs::write(&cfg, text).unwrap();
            let log = dir.join("registry.log");
            let mut child = Command::new("docker-registry")
                .arg("serve")
                .arg(&cfg)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .expect("starting docker-registry (Debian package docker-registry)");
            if wait_listening(&mut child, &log) {
                return Registry {
                    child,
                    port,
                    dir: dir.to_path_buf(),
                    auth,
                };
            }
            // The port was taken meanwhile: try another.
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("docker-registry did not start on any of 10 ports");
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `127.0.0.1:PORT/REPO`.
    pub fn repo(&self, repo: &str) -> String {
        format!("127.0.0.1:{}/{repo}", self.port)
    }

    /// The tags of a repository, read from the storage directory (no client involved).
    pub fn tags(&self, repo: &str) -> Vec<String> {
        let dir = self
            .dir
            .join("data/docker/registry/v2/repositories")
            .join(repo)
            .join("_manifests/tags");
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }
}

impl Registry {
    /// Whether `repo` links blob `digest` (uploaded or mounted), read from the storage dir.
    pub fn has_blob(&self, repo: &str, digest: &str) -> bool {
        let hex = digest.trim_start_matches("sha256:");
        self.dir
            .join("data/docker/registry/v2/repositories")
            .join(repo)
            .join("_layers/sha256")
            .join(hex)
            .join("link")
            .is_file()
    }

    /// Upload sessions still open in `repo`: `_uploads/<id>` with its `startedat` file. A
    /// cancelled session loses that and its data; 2.8 rewrites `hashstates/` after the DELETE
    /// answered, so those may linger.
    pub fn open_uploads(&self, repo: &str) -> usize {
        std::fs::read_dir(
            self.dir
                .join("data/docker/registry/v2/repositories")
                .join(repo)
                .join("_uploads"),
        )
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().join("startedat").exists())
                .count()
        })
        .unwrap_or(0)
    }
}

/// Waits for "listening on" in the log; false when the process died first.
fn wait_listening(child: &mut Child, log: &Path) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.contains("listening on") {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!(
        "docker-registry did not start:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding an ephemeral port")
}

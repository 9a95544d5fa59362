//! Registry authentication: `WWW-Authenticate` challenges (Basic, or a Bearer token from the
//! realm) answered with the `-u` credentials, else the Docker `config.json`'s for the host
//! (a credential helper's, or its `auths` entry), else anonymously.

use super::{RegistryError, credhelper};
use crate::cli::Credentials;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A parsed `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    Basic,
    Bearer { params: BTreeMap<String, String> },
}

impl Challenge {
    /// Parses `Basic realm="…"` or `Bearer realm="…",service="…",scope="…"`.
    pub fn parse(header: &str) -> Option<Challenge> {
        let header = header.trim();
        let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
        match scheme.to_ascii_lowercase().as_str() {
            "basic" => Some(Challenge::Basic),
            "bearer" => Some(Challenge::Bearer {
                params: parse_params(rest),
            }),
            _ => None,
        }
    }
}

/// `key="value", key=value` pairs; quoted values may contain commas.
fn parse_params(s: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let (value, tail) = if let Some(q) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = q.char_indices();
            let mut end = q.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            value.push(n);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => value.push(c),
                }
            }
            (value, q.get(end..).unwrap_or_default())
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (
                after.get(..end).unwrap_or_default().trim().to_string(),
                after.get(end..).unwrap_or_default(),
            )
        };
        out.insert(key, value);
        rest = tail.trim_start_matches([',', ' ']);
    }
    out
}

/// `Authorization: Basic …` for a user and password.
pub fn basic_header(c: &Credentials) -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", c.user, c.password))
    )
}

/// The Docker config (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`), if any.
fn docker_config() -> Option<Vec<u8>> {
    let path = match std::env::var_os("DOCKER_CONFIG") {
        Some(dir) => PathBuf::from(dir).join("config.json"),
        None => PathBuf::from(std::env::var_os("HOME")?)
            .join(".docker")
            .join("config.json"),
    };
    std::fs::read(path).ok()
}

/// The Docker config's credentials for `host`, as docker looks them up: its `credHelpers`
/// helper, else the `credsStore` helper, else its `auths` entry.
pub fn config_credentials(host: &str) -> Result<Option<Credentials>, RegistryError> {
    let Some(text) = docker_config() else {
        return Ok(None);
    };
    let v: serde_json::Value = serde_json::from_slice(&text).unwrap_or_default();
    // Helpers are asked for Docker Hub by its v1 index address.
    let server = if host == "docker.io" {
        "https://index.docker.io/v1/"
    } else {
        host
    };
    let helper = v
        .get("credHelpers")
        .and_then(|h| h.as_object())
        .and_then(|h| find_host(h, host))
        .and_then(|n| n.as_str());
    if let Some(name) = helper {
        return credhelper::get(name, server);
    }
    if let Some(store) = v
        .get("credsStore")
        .and_then(|s| s.as_str())
        .filter(|s| !s.is_empty())
        && let Some(c) = credhelper::get(store, server)?
    {
        return Ok(Some(c));
    }
    Ok(docker_config_entry(&text, host))
}

/// Whether the Docker config names `host` itself (an `auths` or `credHelpers` key).
pub fn has_own_entry(host: &str) -> bool {
    let Some(text) = docker_config() else {
        return false;
    };
    let v: serde_json::Value = serde_json::from_slice(&text).unwrap_or_default();
    ["auths", "credHelpers"].iter().any(|k| {
        v.get(k)
            .and_then(|m| m.as_object())
            .is_some_and(|m| find_host(m, host).is_some())
    })
}

/// The value of a map keyed by registry address (keys may carry a scheme and `/v1/`).
fn find_host<'a>(
    map: &'a serde_json::Map<String, serde_json::Value>,
    host: &str,
) -> Option<&'a serde_json::Value> {
    map.iter().find_map(|(key, entry)| {
        let k = key
            .trim_start_matches("https://")
            .trim_start_matches("http://");
        let k = k.split('/').next().unwrap_or(k);
        // Docker Hub's credentials live under its v1 index address.
        (k == host || (host == "docker.io" && k == "index.docker.io")).then_some(entry)
    })
}

/// The `auths` entry of a Docker config for `host` (keys may carry a scheme and `/v1/`).
pub fn docker_config_entry(config: &[u8], host: &str) -> Option<Credentials> {
    let v: serde_json::Value = serde_json::from_slice(config).ok()?;
    let auths = v.get("auths")?.as_object()?;
    let entry = find_host(auths, host)?;
    if let Some(auth) = entry.get("auth").and_then(|a| a.as_str()) {
        let decoded = STANDARD.decode(auth).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, password) = text.split_once(':')?;
        return Some(Credentials {
            user: user.to_string(),
            password: password.to_string(),
        });
    }
    Some(Credentials {
        user: entry.get("username")?.as_str()?.to_string(),
        password: entry.get("password")?.as_str()?.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_challenges() {
        let c = Challenge::parse(
            r#"Bearer realm="https://auth.example/token",service="reg, x",scope="repository:a/b:pull,push""#,
        )
        .unwrap();
        let Challenge::Bearer { params } = c else {
            panic!("not bearer")
        };
        assert_eq!(params["realm"], "https://auth.example/token");
        assert_eq!(params["service"], "reg, x");
        assert_eq!(params["scope"], "repository:a/b:pull,push");
        assert_eq!(
            Challenge::parse(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(Challenge::parse("Negotiate"), None);
    }

    #[test]
    fn reads_docker_config_auths() {
        let cfg = br#"{"auths":{"https://127.0.0.1:5000/v1/":{"auth":"dTpwOnc="}}}"#;
        let c = docker_config_entry(cfg, "127.0.0.1:5000").unwrap();
        assert_eq!((c.user.as_str(), c.password.as_str()), ("u", "p:w"));
        assert!(docker_config_entry(cfg, "other:5000").is_none());
        let hub = br#"{"auths":{"https://index.docker.io/v1/":{"username":"a","password":"b"}}}"#;
        assert_eq!(docker_config_entry(hub, "docker.io").unwrap().user, "a");
    }
}

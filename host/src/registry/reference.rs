//! Registry references: `host[:port]/path[:tag|@digest]`, and the copy endpoints that also
//! accept an OCI layout (`oci:DIR[:TAG]`).

use super::RegistryError;
use std::path::PathBuf;

/// A repository on a registry host, with an optional tag or digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// `host[:port]`, exactly as written (upstream keys hosts with the port).
    pub host: String,
    pub repository: String,
    pub target: Option<Target>,
}

/// What a reference points at inside its repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Tag(String),
    Digest(String),
}

impl Target {
    /// The path segment after `/manifests/`.
    pub fn as_str(&self) -> &str {
        match self {
            Target::Tag(t) | Target::Digest(t) => t,
        }
    }
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.host, self.repository)?;
        match &self.target {
            Some(Target::Tag(t)) => write!(f, ":{t}"),
            Some(Target::Digest(d)) => write!(f, "@{d}"),
            None => Ok(()),
        }
    }
}

impl Reference {
    /// Parses `host[:port]/path[:tag|@digest]`; the host must be explicit (no Docker Hub
    /// short names), as upstream requires.
    pub fn parse(s: &str) -> Result<Reference, RegistryError> {
        let bad = || RegistryError::BadReference(s.to_string());
        let (name, target) = if let Some((name, digest)) = s.split_once('@') {
            crate::image::sha256_hex(digest).map_err(|_| bad())?;
            (name, Some(Target::Digest(digest.to_string())))
        } else {
            let slash = s.rfind('/').ok_or_else(bad)?;
            match s.get(slash..).and_then(|tail| tail.rfind(':')) {
                Some(colon) => {
                    let at = slash + colon;
                    let tag = s.get(at + 1..).unwrap_or_default();
                    if !valid_tag(tag) {
                        return Err(bad());
                    }
                    (
                        s.get(..at).unwrap_or_default(),
                        Some(Target::Tag(tag.to_string())),
                    )
                }
                None => (s, None),
            }
        };
        let (host, repository) = name.split_once('/').ok_or_else(bad)?;
        let host_ok = !host.is_empty()
            && host.bytes().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b':' | b'[' | b']')
            });
        if !host_ok || !repository.split('/').all(valid_component) {
            return Err(bad());
        }
        Ok(Reference {
            host: host.to_string(),
            repository: repository.to_string(),
            target,
        })
    }
}

/// Docker tag grammar: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub fn valid_tag(tag: &str) -> bool {
    let b = tag.as_bytes();
    (1..=128).contains(&b.len())
        && b.first()
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

/// A repository path component: lowercase alphanumerics joined by `.`, `_`, `__` or `-` runs.
pub(crate) fn valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    !b.is_empty()
        && b.first()
            .is_some_and(|x| x.is_ascii_lowercase() || x.is_ascii_digit())
        && b.last()
            .is_some_and(|x| x.is_ascii_lowercase() || x.is_ascii_digit())
        && b.iter().all(|x| {
            x.is_ascii_lowercase() || x.is_ascii_digit() || matches!(x, b'.' | b'_' | b'-')
        })
        && !c.contains("..")
        && !c.contains("___")
}

/// One side of `convertor copy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Registry(Reference),
    /// `oci:DIR[:TAG]`.
    Layout {
        dir: PathBuf,
        tag: Option<String>,
    },
}

impl Endpoint {
    pub fn parse(s: &str) -> Result<Endpoint, RegistryError> {
        let Some(rest) = s.strip_prefix("oci:") else {
            return Reference::parse(s).map(Endpoint::Registry);
        };
        // A trailing `:TAG` is a tag only when it is one; directory names may contain ':'.
        let (dir, tag) = match rest.rsplit_once(':') {
            Some((dir, tag)) if !dir.is_empty() && valid_tag(tag) && !tag.contains('/') => {
                (dir, Some(tag.to_string()))
            }
            _ => (rest, None),
        };
        if dir.is_empty() {
            return Err(RegistryError::BadReference(s.to_string()));
        }
        Ok(Endpoint::Layout {
            dir: PathBuf::from(dir),
            tag,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tags_digests_and_ports() {
        let r = Reference::parse("127.0.0.1:5000/a/b:v1").unwrap();
        assert_eq!(r.host, "127.0.0.1:5000");
        assert_eq!(r.repository, "a/b");
        assert_eq!(r.target, Some(Target::Tag("v1".into())));
        let d = format!("sha256:{}", "a".repeat(64));
        let r = Reference::parse(&format!("localhost:5000/x@{d}")).unwrap();
        assert_eq!(r.target, Some(Target::Digest(d)));
        let r = Reference::parse("localhost:5000/x").unwrap();
        assert_eq!(r.target, None);
        assert!(Reference::parse("redis").is_err());
        assert!(Reference::parse("host/UPPER").is_err());
        assert!(Reference::parse("host/x:bad tag").is_err());
        assert!(Reference::parse("host/x@sha256:zz").is_err());
    }

    #[test]
    fn parses_layout_endpoints() {
        assert_eq!(
            Endpoint::parse("oci:/tmp/a:v1").unwrap(),
            Endpoint::Layout {
                dir: "/tmp/a".into(),
                tag: Some("v1".into())
            }
        );
        assert_eq!(
            Endpoint::parse("oci:dir").unwrap(),
            Endpoint::Layout {
                dir: "dir".into(),
                tag: None
            }
        );
    }
}

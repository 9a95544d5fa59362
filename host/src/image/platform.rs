//! `--platform os/arch[/variant]` filters.

use super::ImageError;
use crate::gojson::Platform;
use std::fmt;

/// One requested platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformSpec {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl PlatformSpec {
    /// Parses `os/arch[/variant]`, normalising the common architecture aliases.
    pub fn parse(s: &str) -> Result<PlatformSpec, ImageError> {
        let bad = || ImageError::BadPlatform(s.to_string());
        let parts: Vec<&str> = s.split('/').collect();
        let ok_part = |p: &&str| {
            !p.is_empty()
                && p.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'-')
        };
        if !(2..=3).contains(&parts.len()) || !parts.iter().all(ok_part) {
            return Err(bad());
        }
        let (os, arch) = (parts[0], parts[1]);
        Ok(PlatformSpec {
            os: os.to_ascii_lowercase(),
            architecture: normalize_arch(arch).to_string(),
            variant: parts.get(2).map(|v| v.to_ascii_lowercase()),
        })
    }

    /// Whether a manifest for `p` is wanted. An arm64 manifest without a variant is v8.
    pub fn matches(&self, p: &Platform) -> bool {
        if !p.os.eq_ignore_ascii_case(&self.os)
            || normalize_arch(&p.architecture) != self.architecture
        {
            return false;
        }
        match &self.variant {
            None => true,
            Some(want) => {
                let have = if p.variant.is_empty() && self.architecture == "arm64" {
                    "v8"
                } else {
                    p.variant.as_str()
                };
                have.eq_ignore_ascii_case(want)
            }
        }
    }
}

impl fmt::Display for PlatformSpec {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// A set of wanted platforms; empty means every platform (upstream's only behaviour).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlatformFilter(pub Vec<PlatformSpec>);

impl PlatformFilter {
    pub fn all() -> Self {
        Self::default()
    }
    pub fn is_all(&self) -> bool {
        self.0.is_empty()
    }
    pub fn matches(&self, p: &Platform) -> bool {
        self.is_all() || self.0.iter().any(|s| s.matches(p))
    }
}

fn normalize_arch(a: &str) -> &str {
    match a {
        "x86_64" | "x86-64" => "amd64",
        "aarch64" => "arm64",
        "i386" => "386",
        other => other,
    }
}

/// `os/arch[/variant]` of a platform, as upstream names work directories.
pub fn format_platform(p: &Platform) -> String {
    if p.variant.is_empty() {
        format!("{}/{}", p.os, p.architecture)
    } else {
        format!("{}/{}/{}", p.os, p.architecture, p.variant)
    }
}

//! The OCI 1.1 referrers tag schema: on a registry without the referrers API, the referrers
//! of `sha256:<hex>` are listed in an image index tagged `sha256-<hex>`, which every pusher
//! of a referrer updates (merging with what is there). A registry that answers a referrer's
//! push with `OCI-Subject`, or serves `GET /v2/<name>/referrers/<digest>`, lists them itself.

use super::RegistryError;
use super::api::Repo;
use super::transfer::Closure;
use crate::gojson::{self, Descriptor, Index};
use crate::image::{OCI_INDEX, sha256_hex};
use crate::layout::{Layout, Verify};
use anyhow::{Context, Result};
use std::collections::BTreeMap;

/// The fallback tag for a subject digest.
pub fn fallback_tag(subject: &str) -> Result<String> {
    Ok(format!("sha256-{}", sha256_hex(subject)?))
}

/// Lists every pushed document that has a `subject` under that subject, through the
/// fallback tag when the registry has no referrers API. Returns the tags written.
pub fn publish(repo: &Repo<'_>, layout: &Layout, pushed: &Closure) -> Result<Vec<String>> {
    let mut by_subject: BTreeMap<String, Vec<Descriptor>> = BTreeMap::new();
    for d in &pushed.documents {
        let bytes = layout.read_blob(&d.digest, Verify::Yes)?;
        let v: serde_json::Value =
            serde_json::from_slice(&bytes).with_context(|| format!("{} is not JSON", d.digest))?;
        let Some(subject) = v
            .get("subject")
            .and_then(|s| s.get("digest"))
            .and_then(|s| s.as_str())
        else {
            continue;
        };
        let mut entry = d.bare();
        entry.artifact_type = v
            .get("artifactType")
            .and_then(|a| a.as_str())
            .unwrap_or_default()
            .to_string();
        if let Some(a) = v.get("annotations").and_then(|a| a.as_object()) {
            for (k, val) in a {
                if let Some(s) = val.as_str() {
                    entry.annotations.insert(k.clone(), s.to_string());
                }
            }
        }
        by_subject
            .entry(subject.to_string())
            .or_default()
            .push(entry);
    }
    let mut tags = Vec::new();
    for (subject, entries) in by_subject {
        // The registry indexed them (`OCI-Subject`), or serves the referrers API anyway.
        if entries
            .iter()
            .all(|e| pushed.subject_indexed.contains(&e.digest))
            || repo.has_referrers_api(&subject)?
        {
            continue;
        }
        let tag = fallback_tag(&subject)?;
        let mut index = match repo.get_manifest(&tag) {
            Ok(f) => gojson::from_slice::<Index>(&f.bytes)
                .with_context(|| format!("referrers index {tag} is not an image index"))?,
            Err(RegistryError::NotFound { .. }) => Index::default(),
            Err(e) => return Err(e.into()),
        };
        index.schema_version = 2;
        index.media_type = OCI_INDEX.to_string();
        let list = index.manifests.get_or_insert_with(Vec::new);
        for e in entries {
            list.retain(|d| d.digest != e.digest);
            list.push(e);
        }
        repo.put_manifest(&tag, OCI_INDEX, &gojson::to_vec(&index))
            .with_context(|| format!("failed to update referrers tag {tag}"))?;
        tags.push(tag);
    }
    Ok(tags)
}

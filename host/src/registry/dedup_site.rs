//! The target repository of a registry conversion as a dedup site (upstream-convertor.md
//! §3.4): HEAD says whether it holds a blob, a cross-repository mount on the same host brings
//! a recorded blob in (else it is pulled and pushed), and the staging layout keeps local
//! copies of what the pipeline must read (lower layers, reused manifests to push again).

use super::RegistryError;
use super::api::Repo;
use crate::dedup::{BlobSite, Fetched, Location};
use crate::layout::{Layout, Verify};
use anyhow::{Context, Result};
use std::path::PathBuf;

pub struct RegistrySite<'a> {
    repo: &'a Repo<'a>,
    staging: &'a Layout,
    location: Location,
}

impl<'a> RegistrySite<'a> {
    /// Records name the registry host and the output repository path, as upstream keys them.
    pub fn new(repo: &'a Repo<'a>, staging: &'a Layout) -> Self {
        RegistrySite {
            repo,
            staging,
            location: Location {
                host: repo.client.host().to_string(),
                repository: repo.name.to_string(),
            },
        }
    }

    /// The repository `at` names, when it is on this registry host.
    fn repo_at<'r>(&'r self, at: &'r Location) -> Option<Repo<'r>> {
        (at.host == self.location.host).then(|| Repo {
            client: self.repo.client,
            name: &at.repository,
        })
    }

    /// Makes sure the staging layout holds `digest`, pulled from the target repository.
    fn stage(&self, repo: &Repo<'_>, digest: &str) -> Result<()> {
        if !self.staging.has_blob(digest)? {
            repo.pull_blob(digest, None, self.staging)
                .with_context(|| format!("failed to pull {digest} from {}", repo.name))?;
        }
        Ok(())
    }
}

impl BlobSite for RegistrySite<'_> {
    fn location(&self) -> &Location {
        &self.location
    }

    fn has_blob(&self, digest: &str, _size: i64) -> Result<bool> {
        Ok(self.repo.has_blob(digest)?)
    }

    fn read_blob(&self, at: &Location, digest: &str) -> Result<Fetched<Vec<u8>>> {
        let Some(repo) = self.repo_at(at) else {
            return Ok(Fetched::Unreachable);
        };
        // Layer records are blobs, converted manifests are manifests.
        match repo.has_blob(digest) {
            Err(_) => return Ok(Fetched::Unreachable),
            Ok(true) => {
                self.stage(&repo, digest)?;
                return Ok(Fetched::Found(self.staging.read_blob(digest, Verify::Yes)?));
            }
            Ok(false) => {}
        }
        match repo.get_manifest(digest) {
            Ok(f) => {
                // Kept in the staging layout: the push reads the documents it tags from there.
                self.staging.put_document(&f.media_type, &f.bytes)?;
                // Its config too (small): a reused image's report may dump it.
                let config = serde_json::from_slice::<serde_json::Value>(&f.bytes)
                    .ok()
                    .and_then(|v| v["config"]["digest"].as_str().map(str::to_string));
                if let Some(c) = config
                    && repo.has_blob(&c)?
                {
                    self.stage(&repo, &c)?;
                }
                Ok(Fetched::Found(f.bytes))
            }
            Err(RegistryError::NotFound { .. }) => Ok(Fetched::Missing),
            Err(e) => Err(e.into()),
        }
    }

    fn copy_from(&self, from: &Location, digest: &str, _size: i64) -> Result<Fetched<()>> {
        if self.repo.has_blob(digest)? {
            return Ok(Fetched::Found(()));
        }
        let Some(other) = self.repo_at(from) else {
            return Ok(Fetched::Unreachable);
        };
        if self.repo.mount_blob(digest, other.name)? {
            return Ok(Fetched::Found(()));
        }
        // The registry would not mount it: pull it and push it, when the other repository
        // has it at all.
        if other.has_blob(digest)? {
            self.stage(&other, digest)?;
            self.repo
                .upload_blob(digest, &self.staging.blob_path(digest)?)
                .with_context(|| format!("failed to push {digest}"))?;
            return Ok(Fetched::Found(()));
        }
        // A manifest read from there is pushed as a document with the rest of the output.
        if self.staging.has_blob(digest)? {
            return Ok(Fetched::Found(()));
        }
        Ok(Fetched::Missing)
    }

    fn put_blob(&self, bytes: &[u8]) -> Result<()> {
        let (digest, _) = self.staging.write_blob(bytes)?;
        if !self.repo.has_blob(&digest)? {
            self.repo
                .upload_blob(&digest, &self.staging.blob_path(&digest)?)
                .with_context(|| format!("failed to push the dedup record {digest}"))?;
        }
        Ok(())
    }

    fn local_file(&self, digest: &str) -> Result<PathBuf> {
        self.stage(self.repo, digest)?;
        self.staging.blob_path(digest)
    }
}

//! Layer and manifest dedup of one target (upstream-convertor.md §3.4, §3.5): look a record up
//! for this store, else copy from another store that has one; delete records whose blobs are
//! gone; write records only once their blobs are stored. Database errors are warnings and
//! count as misses, as upstream treats them; store errors fail the run.

use super::db::{ConversionDb, LayerEntry, ManifestEntry};
use super::keys::Variant;
use super::record;
use super::site::{BlobSite, Fetched, Location};
use crate::assemble::OutputLayer;
use crate::gojson::{self, Descriptor, Manifest};
use anyhow::Result;
use std::path::PathBuf;
use std::sync::Mutex;

/// A manifest the store already holds (or now holds, copied in) with all its blobs.
#[derive(Debug, Clone)]
pub struct ManifestHit {
    pub manifest: Descriptor,
    pub bytes: Vec<u8>,
    pub parsed: Manifest,
}

/// Dedup for one target: its database, store and variant.
pub struct Session<'a> {
    db: &'a dyn ConversionDb,
    site: &'a dyn BlobSite,
    variant: Variant,
    warnings: Mutex<Vec<String>>,
}

impl<'a> Session<'a> {
    pub fn new(db: &'a dyn ConversionDb, site: &'a dyn BlobSite, variant: Variant) -> Self {
        Session {
            db,
            site,
            variant,
            warnings: Mutex::new(Vec::new()),
        }
    }

    /// The warnings so far (each also printed on stderr when it happened).
    pub fn warnings(&self) -> Vec<String> {
        self.warnings.lock().map(|w| w.clone()).unwrap_or_default()
    }

    fn warn(&self, what: String) {
        let w = format!("dedup: {what}");
        eprintln!("warning: {w}");
        if let Ok(mut all) = self.warnings.lock()
            && !all.contains(&w)
        {
            all.push(w);
        }
    }

    fn here(&self) -> &Location {
        self.site.location()
    }

    /// A local file of a stored blob, to read it as a lower layer.
    pub fn local_file(&self, digest: &str) -> Result<PathBuf> {
        self.site.local_file(digest)
    }

    /// The outputs of a previous conversion of the layer with `chain_id` over the source blobs
    /// `source_digests` (bottom first, this layer last), all present in the store.
    pub fn find_layer(
        &self,
        chain_id: &str,
        source_digests: &[&str],
    ) -> Result<Option<Vec<OutputLayer>>> {
        let key = self.variant.layer_key(chain_id, source_digests);
        let here = self.here().clone();
        match self
            .db
            .get_layer_entry_for_repo(&here.host, &here.repository, &key)
        {
            Err(e) => {
                self.warn(format!("layer lookup failed, converting: {e}"));
                return Ok(None);
            }
            Ok(Some(e)) => match self.layer_record(&here, &e) {
                Fetched::Found(layers) => {
                    if self.all_present(layers.iter().map(|l| &l.descriptor))? {
                        return Ok(Some(layers));
                    }
                    self.delete_layer(&e);
                }
                Fetched::Missing => self.delete_layer(&e),
                Fetched::Unreachable => {}
            },
            Ok(None) => {}
        }
        let others = match self.db.get_cross_repo_layer_entries(&here.host, &key) {
            Ok(o) => o,
            Err(e) => {
                self.warn(format!("layer lookup failed, converting: {e}"));
                return Ok(None);
            }
        };
        for e in others.iter().filter(|e| e.repository != here.repository) {
            let from = Location {
                host: e.host.clone(),
                repository: e.repository.clone(),
            };
            let layers = match self.layer_record(&from, e) {
                Fetched::Found(layers) => layers,
                Fetched::Missing => {
                    self.delete_layer(e);
                    continue;
                }
                Fetched::Unreachable => continue,
            };
            match self.copy_all(&from, layers.iter().map(|l| &l.descriptor)) {
                Fetched::Found(()) => {}
                Fetched::Missing => {
                    self.delete_layer(e);
                    continue;
                }
                Fetched::Unreachable => continue,
            }
            // The record itself comes along the same way when it can.
            if !matches!(
                self.site.copy_from(&from, &e.converted_digest, e.data_size),
                Ok(Fetched::Found(()))
            ) {
                self.site.put_blob(&record::encode(&layers))?;
            }
            self.insert_layer(LayerEntry {
                repository: here.repository.clone(),
                ..e.clone()
            });
            return Ok(Some(layers));
        }
        Ok(None)
    }

    /// Records a converted layer; call once its blobs are stored.
    pub fn record_layer(
        &self,
        chain_id: &str,
        source_digests: &[&str],
        layers: &[OutputLayer],
    ) -> Result<()> {
        let bytes = record::encode(layers);
        let digest = crate::image::sha256_digest(&bytes);
        self.site.put_blob(&bytes)?;
        let here = self.here();
        self.insert_layer(LayerEntry {
            host: here.host.clone(),
            repository: here.repository.clone(),
            chain_id: self.variant.layer_key(chain_id, source_digests),
            converted_digest: digest,
            data_size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
        });
        Ok(())
    }

    /// The converted manifest of source manifest `source_digest` as `media_type`, with its
    /// config and layers, present in the store.
    pub fn find_manifest(
        &self,
        source_digest: &str,
        media_type: &str,
    ) -> Result<Option<ManifestHit>> {
        let key = self.variant.manifest_key(source_digest);
        let here = self.here().clone();
        match self
            .db
            .get_manifest_entry_for_repo(&here.host, &here.repository, media_type, &key)
        {
            Err(e) => {
                self.warn(format!("manifest lookup failed, converting: {e}"));
                return Ok(None);
            }
            Ok(Some(e)) => match self.manifest_at(&here, &e) {
                Fetched::Found(hit) => {
                    if self.all_present(&blobs_of(&hit.parsed))? {
                        return Ok(Some(hit));
                    }
                    self.delete_manifest(&e);
                }
                Fetched::Missing => self.delete_manifest(&e),
                Fetched::Unreachable => {}
            },
            Ok(None) => {}
        }
        let others = match self
            .db
            .get_cross_repo_manifest_entries(&here.host, media_type, &key)
        {
            Ok(o) => o,
            Err(e) => {
                self.warn(format!("manifest lookup failed, converting: {e}"));
                return Ok(None);
            }
        };
        for e in others.iter().filter(|e| e.repository != here.repository) {
            let from = Location {
                host: e.host.clone(),
                repository: e.repository.clone(),
            };
            let hit = match self.manifest_at(&from, e) {
                Fetched::Found(hit) => hit,
                Fetched::Missing => {
                    self.delete_manifest(e);
                    continue;
                }
                Fetched::Unreachable => continue,
            };
            let mut blobs = blobs_of(&hit.parsed);
            blobs.push(hit.manifest.clone());
            match self.copy_all(&from, blobs.iter()) {
                Fetched::Found(()) => {}
                Fetched::Missing => {
                    self.delete_manifest(e);
                    continue;
                }
                Fetched::Unreachable => continue,
            }
            self.insert_manifest(ManifestEntry {
                repository: here.repository.clone(),
                ..e.clone()
            });
            return Ok(Some(hit));
        }
        Ok(None)
    }

    /// Records a converted manifest; call once it and its blobs are stored.
    pub fn record_manifest(&self, source_digest: &str, manifest: &Descriptor) {
        let here = self.here();
        self.insert_manifest(ManifestEntry {
            host: here.host.clone(),
            repository: here.repository.clone(),
            media_type: manifest.media_type.clone(),
            original_digest: self.variant.manifest_key(source_digest),
            converted_digest: manifest.digest.clone(),
            data_size: manifest.size,
        });
    }

    /// The record a layer row names, read from the store `at`; a record that is not one (or
    /// not of the row's size) is as good as missing. Read errors are warnings.
    fn layer_record(&self, at: &Location, e: &LayerEntry) -> Fetched<Vec<OutputLayer>> {
        match self.read(at, &e.converted_digest, e.data_size) {
            Fetched::Found(bytes) => {
                record::decode(&bytes).map_or(Fetched::Missing, Fetched::Found)
            }
            Fetched::Missing => Fetched::Missing,
            Fetched::Unreachable => Fetched::Unreachable,
        }
    }

    /// The manifest a manifest row names, read from the store `at`.
    fn manifest_at(&self, at: &Location, e: &ManifestEntry) -> Fetched<ManifestHit> {
        let bytes = match self.read(at, &e.converted_digest, e.data_size) {
            Fetched::Found(bytes) => bytes,
            Fetched::Missing => return Fetched::Missing,
            Fetched::Unreachable => return Fetched::Unreachable,
        };
        match gojson::from_slice::<Manifest>(&bytes) {
            Ok(parsed) => Fetched::Found(ManifestHit {
                manifest: Descriptor::new(&e.media_type, &e.converted_digest, e.data_size),
                bytes,
                parsed,
            }),
            Err(_) => Fetched::Missing,
        }
    }

    fn read(&self, at: &Location, digest: &str, size: i64) -> Fetched<Vec<u8>> {
        match self.site.read_blob(at, digest) {
            Ok(Fetched::Found(b)) if i64::try_from(b.len()) != Ok(size) => Fetched::Missing,
            Ok(f) => f,
            Err(err) => {
                self.warn(format!(
                    "cannot read {digest} in {}: {err:#}",
                    at.repository
                ));
                Fetched::Unreachable
            }
        }
    }

    fn all_present<'d>(&self, blobs: impl IntoIterator<Item = &'d Descriptor>) -> Result<bool>
    where
        Self: 'd,
    {
        for d in blobs {
            if !self.site.has_blob(&d.digest, d.size)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Copies every blob in from `from`; copy errors are warnings.
    fn copy_all<'d>(
        &self,
        from: &Location,
        blobs: impl Iterator<Item = &'d Descriptor>,
    ) -> Fetched<()> {
        for d in blobs {
            match self.site.copy_from(from, &d.digest, d.size) {
                Ok(Fetched::Found(())) => {}
                Ok(other) => return other,
                Err(err) => {
                    self.warn(format!("copy from {} failed: {err:#}", from.repository));
                    return Fetched::Unreachable;
                }
            }
        }
        Fetched::Found(())
    }

    fn insert_layer(&self, e: LayerEntry) {
        if let Err(err) = self.db.create_layer_entry(&e) {
            self.warn(format!("layer record not written: {err}"));
        }
    }

    fn insert_manifest(&self, e: ManifestEntry) {
        if let Err(err) = self.db.create_manifest_entry(&e) {
            self.warn(format!("manifest record not written: {err}"));
        }
    }

    fn delete_layer(&self, e: &LayerEntry) {
        if let Err(err) = self
            .db
            .delete_layer_entry(&e.host, &e.repository, &e.chain_id)
        {
            self.warn(format!("stale layer record not deleted: {err}"));
        }
    }

    fn delete_manifest(&self, e: &ManifestEntry) {
        if let Err(err) =
            self.db
                .delete_manifest_entry(&e.host, &e.repository, &e.media_type, &e.original_digest)
        {
            self.warn(format!("stale manifest record not deleted: {err}"));
        }
    }
}

/// The config and layers a manifest references.
fn blobs_of(m: &Manifest) -> Vec<Descriptor> {
    std::iter::once(m.config.clone())
        .chain(m.layers().iter().cloned())
        .collect()
}

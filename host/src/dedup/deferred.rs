//! Records held back until their outputs are committed: a registry run writes its rows only
//! after the push and tags succeeded, so a failed push leaves no row naming unpushed content.
//! Look-ups and deletions go straight to the database.

use super::db::{ConversionDb, DbError, LayerEntry, ManifestEntry};
use std::sync::Mutex;

pub struct Deferred<'a> {
    db: &'a dyn ConversionDb,
    layers: Mutex<Vec<LayerEntry>>,
    manifests: Mutex<Vec<ManifestEntry>>,
}

impl<'a> Deferred<'a> {
    pub fn new(db: &'a dyn ConversionDb) -> Self {
        Deferred {
            db,
            layers: Mutex::new(Vec::new()),
            manifests: Mutex::new(Vec::new()),
        }
    }

    /// Writes the held rows; returns a warning per row not written.
    pub fn commit(self) -> Vec<String> {
        let mut warnings = Vec::new();
        for e in self.layers.into_inner().unwrap_or_default() {
            if let Err(err) = self.db.create_layer_entry(&e) {
                warnings.push(format!("dedup: layer record not written: {err}"));
            }
        }
        for e in self.manifests.into_inner().unwrap_or_default() {
            if let Err(err) = self.db.create_manifest_entry(&e) {
                warnings.push(format!("dedup: manifest record not written: {err}"));
            }
        }
        warnings
    }
}

impl ConversionDb for Deferred<'_> {
    fn create_layer_entry(&self, entry: &LayerEntry) -> Result<bool, DbError> {
        let mut held = self.layers.lock().map_err(|_| DbError::Poisoned)?;
        held.push(entry.clone());
        Ok(true)
    }

    fn get_layer_entry_for_repo(
        &self,
        host: &str,
        repository: &str,
        chain_id: &str,
    ) -> Result<Option<LayerEntry>, DbError> {
        // A layer another image of this run converted is as good as recorded.
        let held = self.layers.lock().map_err(|_| DbError::Poisoned)?;
        if let Some(e) = held
            .iter()
            .find(|e| e.host == host && e.repository == repository && e.chain_id == chain_id)
        {
            return Ok(Some(e.clone()));
        }
        drop(held);
        self.db.get_layer_entry_for_repo(host, repository, chain_id)
    }

    fn get_cross_repo_layer_entries(
        &self,
        host: &str,
        chain_id: &str,
    ) -> Result<Vec<LayerEntry>, DbError> {
        self.db.get_cross_repo_layer_entries(host, chain_id)
    }

    fn delete_layer_entry(
        &self,
        host: &str,
        repository: &str,
        chain_id: &str,
    ) -> Result<(), DbError> {
        self.db.delete_layer_entry(host, repository, chain_id)
    }

    fn create_manifest_entry(&self, entry: &ManifestEntry) -> Result<bool, DbError> {
        let mut held = self.manifests.lock().map_err(|_| DbError::Poisoned)?;
        held.push(entry.clone());
        Ok(true)
    }

    fn get_manifest_entry_for_repo(
        &self,
        host: &str,
        repository: &str,
        media_type: &str,
        original: &str,
    ) -> Result<Option<ManifestEntry>, DbError> {
        self.db
            .get_manifest_entry_for_repo(host, repository, media_type, original)
    }

    fn get_cross_repo_manifest_entries(
        &self,
        host: &str,
        media_type: &str,
        original: &str,
    ) -> Result<Vec<ManifestEntry>, DbError> {
        self.db
            .get_cross_repo_manifest_entries(host, media_type, original)
    }

    fn delete_manifest_entry(
        &self,
        host: &str,
        repository: &str,
        media_type: &str,
        original: &str,
    ) -> Result<(), DbError> {
        self.db
            .delete_manifest_entry(host, repository, media_type, original)
    }
}

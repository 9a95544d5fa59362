//! The conversion database: upstream's eight operations over its two tables
//! (upstream-convertor.md §3.1). Implementations: [`super::sqlite`] and [`super::mysql`].

/// A converted layer: `chain_id` in `repo` of registry (or layout site) `host` was converted to
/// the blob `converted_digest` of `data_size` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerEntry {
    pub host: String,
    pub repository: String,
    pub chain_id: String,
    pub converted_digest: String,
    pub data_size: i64,
}

/// A converted manifest: source manifest `original_digest` became `converted_digest`
/// (`data_size` bytes, of `media_type`) in `repo` of `host`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    pub host: String,
    pub repository: String,
    pub media_type: String,
    pub original_digest: String,
    pub converted_digest: String,
    pub data_size: i64,
}

/// Why a database operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("sqlite database {path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("mysql database: {0}")]
    Mysql(#[from] mysql::Error),
    #[error(
        "invalid mysql DSN {0:?}: expected user:pass@tcp(host:port)/db, user:pass@unix(/socket)/db or mysql://user:pass@host:port/db"
    )]
    BadDsn(String),
    #[error(
        "mysql database has no table {0}: create the tables with the DDL of `convertor::dedup::schema::MYSQL_DDL`"
    )]
    MissingTable(&'static str),
    #[error("the database lock is poisoned: another thread panicked while using it")]
    Poisoned,
}

/// Upstream's `ConversionDatabase`. Creates report `Ok(false)` when the key already has a row
/// (upstream's plain INSERT fails then and callers ignore it); getters report errors instead
/// of upstream's nil, so the caller can warn before treating them as a miss.
pub trait ConversionDb: Send + Sync {
    fn create_layer_entry(&self, entry: &LayerEntry) -> Result<bool, DbError>;
    fn get_layer_entry_for_repo(
        &self,
        host: &str,
        repository: &str,
        chain_id: &str,
    ) -> Result<Option<LayerEntry>, DbError>;
    fn get_cross_repo_layer_entries(
        &self,
        host: &str,
        chain_id: &str,
    ) -> Result<Vec<LayerEntry>, DbError>;
    fn delete_layer_entry(
        &self,
        host: &str,
        repository: &str,
        chain_id: &str,
    ) -> Result<(), DbError>;

    fn create_manifest_entry(&self, entry: &ManifestEntry) -> Result<bool, DbError>;
    fn get_manifest_entry_for_repo(
        &self,
        host: &str,
        repository: &str,
        media_type: &str,
        original: &str,
    ) -> Result<Option<ManifestEntry>, DbError>;
    fn get_cross_repo_manifest_entries(
        &self,
        host: &str,
        media_type: &str,
        original: &str,
    ) -> Result<Vec<ManifestEntry>, DbError>;
    fn delete_manifest_entry(
        &self,
        host: &str,
        repository: &str,
        media_type: &str,
        original: &str,
    ) -> Result<(), DbError>;
}

//! The conversion database in a SQLite file (`--db-type sqlite --db-str PATH`): upstream's two
//! tables, created on open. WAL mode and a busy timeout let several convertor processes on
//! one machine share the file (not over a network filesystem).

use super::db::{ConversionDb, DbError, LayerEntry, ManifestEntry};
use super::schema::{LAYER_COLUMNS, MANIFEST_COLUMNS, SQLITE_DDL};
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

/// How long a statement waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

pub struct SqliteDb {
    path: String,
    conn: Mutex<Connection>,
}

impl SqliteDb {
    /// Opens (creating when missing) the database file at `path` and its tables.
    pub fn open(path: &Path) -> Result<SqliteDb, DbError> {
        let shown = path.display().to_string();
        let err = |source| DbError::Sqlite {
            path: shown.clone(),
            source,
        };
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.execute_batch(SQLITE_DDL).map_err(err)?;
        Ok(SqliteDb {
            path: shown,
            conn: Mutex::new(conn),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, DbError> {
        let conn = self.conn.lock().map_err(|_| DbError::Poisoned)?;
        f(&conn).map_err(|source| DbError::Sqlite {
            path: self.path.clone(),
            source,
        })
    }
}

fn inserted(r: rusqlite::Result<usize>) -> rusqlite::Result<bool> {
    match r {
        Ok(_) => Ok(true),
        Err(e) if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => Ok(false),
        Err(e) => Err(e),
    }
}

fn layer_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LayerEntry> {
    Ok(LayerEntry {
        host: r.get(0)?,
        repository: r.get(1)?,
        chain_id: r.get(2)?,
        converted_digest: r.get(3)?,
        data_size: r.get(4)?,
    })
}

fn manifest_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ManifestEntry> {
    Ok(ManifestEntry {
        host: r.get(0)?,
        repository: r.get(1)?,
        original_digest: r.get(2)?,
        converted_digest: r.get(3)?,
        data_size: r.get(4)?,
        media_type: r.get(5)?,
    })
}

impl ConversionDb for SqliteDb {
    fn create_layer_entry(&self, e: &LayerEntry) -> Result<bool, DbError> {
        self.with(|c| {
            inserted(c.execute(
                "INSERT INTO overlaybd_layers (host, repo, chain_id, data_digest, data_size) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    e.host,
                    e.repository,
                    e.chain_id,
                    e.converted_digest,
                    e.data_size
                ],
            ))
        })
    }

    fn get_layer_entry_for_repo(
        &self,
        host: &str,
        repository: &str,
        chain_id: &str,
    ) -> Result<Option<LayerEntry>, DbError> {
        self.with(|c| {
            c.query_row(
                &format!("{LAYER_COLUMNS} WHERE host = ?1 AND repo = ?2 AND chain_id = ?3"),
                params![host, repository, chain_id],
                layer_row,
            )
            .optional()
        })
    }

    fn get_cross_repo_layer_entries(
        &self,
        host: &str,
        chain_id: &str,
    ) -> Result<Vec<LayerEntry>, DbError> {
        self.with(|c| {
            let mut st = c.prepare(&format!(
                "{LAYER_COLUMNS} WHERE host = ?1 AND chain_id = ?2 ORDER BY repo"
            ))?;
            let rows = st.query_map(params![host, chain_id], layer_row)?;
            rows.collect()
        })
    }

    fn delete_layer_entry(
        &self,
        host: &str,
        repository: &str,
        chain_id: &str,
    ) -> Result<(), DbError> {
        self.with(|c| {
            c.execute(
                "DELETE FROM overlaybd_layers WHERE host = ?1 AND repo = ?2 AND chain_id = ?3",
                params![host, repository, chain_id],
            )
            .map(drop)
        })
    }

    fn create_manifest_entry(&self, e: &ManifestEntry) -> Result<bool, DbError> {
        self.with(|c| {
            inserted(c.execute(
                "INSERT INTO overlaybd_manifests \
                 (host, repo, src_digest, out_digest, data_size, mediatype) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    e.host,
                    e.repository,
                    e.original_digest,
                    e.converted_digest,
                    e.data_size,
                    e.media_type
                ],
            ))
        })
    }

    fn get_manifest_entry_for_repo(
        &self,
        host: &str,
        repository: &str,
        media_type: &str,
        original: &str,
    ) -> Result<Option<ManifestEntry>, DbError> {
        self.with(|c| {
            c.query_row(
                &format!(
                    "{MANIFEST_COLUMNS} WHERE host = ?1 AND repo = ?2 AND src_digest = ?3 \
                     AND mediatype = ?4"
                ),
                params![host, repository, original, media_type],
                manifest_row,
            )
            .optional()
        })
    }

    fn get_cross_repo_manifest_entries(
        &self,
        host: &str,
        media_type: &str,
        original: &str,
    ) -> Result<Vec<ManifestEntry>, DbError> {
        self.with(|c| {
            let mut st = c.prepare(&format!(
                "{MANIFEST_COLUMNS} WHERE host = ?1 AND src_digest = ?2 AND mediatype = ?3 \
                 ORDER BY repo"
            ))?;
            let rows = st.query_map(params![host, original, media_type], manifest_row)?;
            rows.collect()
        })
    }

    fn delete_manifest_entry(
        &self,
        host: &str,
        repository: &str,
        media_type: &str,
        original: &str,
    ) -> Result<(), DbError> {
        self.with(|c| {
            c.execute(
                "DELETE FROM overlaybd_manifests WHERE host = ?1 AND repo = ?2 \
                 AND src_digest = ?3 AND mediatype = ?4",
                params![host, repository, original, media_type],
            )
            .map(drop)
        })
    }
}

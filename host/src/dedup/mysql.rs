//! The conversion database on MySQL/MariaDB (`--db-type mysql`), in upstream's own tables
//! (created by the deployment, see [`super::schema::MYSQL_DDL`]) with upstream's queries, so a
//! database an upstream convertor fills keeps working and both tools can share it.

use super::db::{ConversionDb, DbError, LayerEntry, ManifestEntry};
use super::dsn::parse_dsn;
use super::schema::{LAYER_COLUMNS, MANIFEST_COLUMNS};
use mysql::prelude::Queryable;
use mysql::{Opts, OptsBuilder, Pool, PoolConstraints, PoolOpts};

/// MySQL's ER_DUP_ENTRY: the row's key is taken.
const DUPLICATE_KEY: u16 = 1062;
/// MySQL's ER_NO_SUCH_TABLE.
const NO_SUCH_TABLE: u16 = 1146;

pub struct MysqlDb {
    pool: Pool,
}

type LayerRow = (String, String, String, String, i64);
type ManifestRow = (String, String, String, String, i64, String);

impl MysqlDb {
    /// Connects with `dsn` (Go DSN or `mysql://` URL) and checks that both tables exist.
    pub fn connect(dsn: &str) -> Result<MysqlDb, DbError> {
        let opts: Opts = parse_dsn(dsn)?;
        // Image workers share the pool; a handful of connections is plenty.
        let constraints = PoolConstraints::new(1, 8).unwrap_or_default();
        let opts = OptsBuilder::from_opts(opts)
            .pool_opts(PoolOpts::default().with_constraints(constraints));
        let pool = Pool::new(opts)?;
        let mut conn = pool.get_conn()?;
        for table in ["overlaybd_layers", "overlaybd_manifests"] {
            match conn.query_drop(format!("SELECT 1 FROM {table} LIMIT 0")) {
                Err(mysql::Error::MySqlError(e)) if e.code == NO_SUCH_TABLE => {
                    return Err(DbError::MissingTable(table));
                }
                r => r?,
            }
        }
        Ok(MysqlDb { pool })
    }
}

fn inserted(r: mysql::Result<()>) -> Result<bool, DbError> {
    match r {
        Ok(()) => Ok(true),
        Err(mysql::Error::MySqlError(e)) if e.code == DUPLICATE_KEY => Ok(false),
        Err(e) => Err(e.into()),
    }
}

fn layer((host, repository, chain_id, converted_digest, data_size): LayerRow) -> LayerEntry {
    LayerEntry {
        host,
        repository,
        chain_id,
        converted_digest,
        data_size,
    }
}

fn manifest(
    (host, repository, original_digest, converted_digest, data_size, media_type): ManifestRow,
) -> ManifestEntry {
    ManifestEntry {
        host,
        repository,
        media_type,
        original_digest,
        converted_digest,
        data_size,
    }
}

impl ConversionDb for MysqlDb {
    fn create_layer_entry(&self, e: &LayerEntry) -> Result<bool, DbError> {
        let mut c = self.pool.get_conn()?;
        inserted(c.exec_drop(
            "INSERT INTO overlaybd_layers (host, repo, chain_id, data_digest, data_size) \
             VALUES (?, ?, ?, ?, ?)",
            (
                &e.host,
                &e.repository,
                &e.chain_id,
                &e.converted_digest,
                e.data_size,
            ),
        ))
    }

    fn get_layer_entry_for_repo(
        &self,
        host: &str,
        repository: &str,
        chain_id: &str,
    ) -> Result<Option<LayerEntry>, DbError> {
        let mut c = self.pool.get_conn()?;
        let row: Option<LayerRow> = c.exec_first(
            format!("{LAYER_COLUMNS} WHERE host = ? AND repo = ? AND chain_id = ?"),
            (host, repository, chain_id),
        )?;
        Ok(row.map(layer))
    }

    fn get_cross_repo_layer_entries(
        &self,
        host: &str,
        chain_id: &str,
    ) -> Result<Vec<LayerEntry>, DbError> {
        let mut c = self.pool.get_conn()?;
        Ok(c.exec_map(
            format!("{LAYER_COLUMNS} WHERE host = ? AND chain_id = ? ORDER BY repo"),
            (host, chain_id),
            layer,
        )?)
    }

    fn delete_layer_entry(
        &self,
        host: &str,
        repository: &str,
        chain_id: &str,
    ) -> Result<(), DbError> {
        let mut c = self.pool.get_conn()?;
        Ok(c.exec_drop(
            "DELETE FROM overlaybd_layers WHERE host = ? AND repo = ? AND chain_id = ?",
            (host, repository, chain_id),
        )?)
    }

    fn create_manifest_entry(&self, e: &ManifestEntry) -> Result<bool, DbError> {
        let mut c = self.pool.get_conn()?;
        inserted(c.exec_drop(
            "INSERT INTO overlaybd_manifests \
             (host, repo, src_digest, out_digest, data_size, mediatype) \
             VALUES (?, ?, ?, ?, ?, ?)",
            (
                &e.host,
                &e.repository,
                &e.original_digest,
                &e.converted_digest,
                e.data_size,
                &e.media_type,
            ),
        ))
    }

    fn get_manifest_entry_for_repo(
        &self,
        host: &str,
        repository: &str,
        media_type: &str,
        original: &str,
    ) -> Result<Option<ManifestEntry>, DbError> {
        let mut c = self.pool.get_conn()?;
        let row: Option<ManifestRow> = c.exec_first(
            format!(
                "{MANIFEST_COLUMNS} WHERE host = ? AND repo = ? AND src_digest = ? \
                 AND mediatype = ?"
            ),
            (host, repository, original, media_type),
        )?;
        Ok(row.map(manifest))
    }

    fn get_cross_repo_manifest_entries(
        &self,
        host: &str,
        media_type: &str,
        original: &str,
    ) -> Result<Vec<ManifestEntry>, DbError> {
        let mut c = self.pool.get_conn()?;
        Ok(c.exec_map(
            format!(
                "{MANIFEST_COLUMNS} WHERE host = ? AND src_digest = ? AND mediatype = ? \
                 ORDER BY repo"
            ),
            (host, original, media_type),
            manifest,
        )?)
    }

    fn delete_manifest_entry(
        &self,
        host: &str,
        repository: &str,
        media_type: &str,
        original: &str,
    ) -> Result<(), DbError> {
        let mut c = self.pool.get_conn()?;
        Ok(c.exec_drop(
            "DELETE FROM overlaybd_manifests WHERE host = ? AND repo = ? AND src_digest = ? \
             AND mediatype = ?",
            (host, repository, original, media_type),
        )?)
    }
}

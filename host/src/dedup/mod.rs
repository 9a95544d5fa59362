//! The conversion dedup database (upstream-convertor.md §3): records of converted layers and
//! manifests, so a layer or an image converted before (by this run, another run, or another
//! process sharing the database) is reused instead of converted again.
//!
//! * [`db`]: upstream's eight operations as the [`ConversionDb`] trait; [`sqlite`] and
//!   [`mysql`] implement it over upstream's two tables ([`schema`]).
//! * [`keys`]: the key columns carry a hash of the engine and of every output-deciding option.
//! * [`site`]: the target store as dedup sees it ([`BlobSite`]); OCI layouts here, registry
//!   repositories in `crate::registry`.
//! * [`deferred`]: rows held back until a registry push is committed.
//! * [`flow`]: lookups, cross-store copies, stale-record deletion and recording.

pub mod db;
pub mod deferred;
mod dsn;
pub mod flow;
pub mod keys;
pub mod mysql;
mod record;
pub mod schema;
pub mod site;
pub mod sqlite;

pub use db::{ConversionDb, DbError, LayerEntry, ManifestEntry};
pub use deferred::Deferred;
pub use dsn::parse_dsn;
pub use flow::{ManifestHit, Session};
pub use keys::{KEY_SUFFIX, Variant, VariantInputs};
pub use site::{BlobSite, Fetched, LayoutSite, Location, layout_host};

use crate::cli::Dedup;

/// Opens the database `dedup` names; `None` when dedup is off.
pub fn open(dedup: &Dedup) -> Result<Option<Box<dyn ConversionDb>>, DbError> {
    Ok(match dedup {
        Dedup::None => None,
        Dedup::Sqlite { path } => Some(Box::new(sqlite::SqliteDb::open(path)?)),
        Dedup::Mysql { dsn } => Some(Box::new(self::mysql::MysqlDb::connect(dsn)?)),
    })
}

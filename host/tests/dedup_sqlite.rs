//! The dedup database in SQLite (`--db-type sqlite --db-str PATH`) through the `convertor`
//! binary: upstream's matrix at the layout level, converting twice, a second image sharing
//! base layers, and no false hits across options or engine builds.

mod dedup_common;
mod pipeline_common;

use dedup_common::Rows;
use pipeline_common::tempdir;
use rusqlite::Connection;
use std::path::{Path, PathBuf};

struct Sqlite(PathBuf);

impl Rows for Sqlite {
    fn rows(&self, table: &str, repo: &str) -> Vec<(String, String)> {
        let (key, value) = columns(table);
        let c = Connection::open(&self.0).unwrap();
        let mut st = c
            .prepare(&format!(
                "SELECT {key}, {value} FROM {table} WHERE repo = ?1 ORDER BY {key}"
            ))
            .unwrap();
        st.query_map([repo], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }
    fn exec(&self, sql: &str, args: &[&str]) {
        let c = Connection::open(&self.0).unwrap();
        c.execute(sql, rusqlite::params_from_iter(args)).unwrap();
    }
}

fn columns(table: &str) -> (&'static str, &'static str) {
    if table == dedup_common::LAYERS {
        ("chain_id", "data_digest")
    } else {
        ("src_digest", "out_digest")
    }
}

fn db_args(path: &Path) -> Vec<String> {
    vec![
        "--db-type".into(),
        "sqlite".into(),
        "--db-str".into(),
        path.display().to_string(),
    ]
}

#[test]
fn sqlite_matrix() {
    let dir = tempdir();
    let db = dir.path().join("dedup.db");
    let args = db_args(&db);
    // The tables exist once a run opened the file; the matrix inserts before that.
    convertor::dedup::sqlite::SqliteDb::open(&db).unwrap();
    dedup_common::matrix(&args, &Sqlite(db), dir.path());
}

#[test]
fn sqlite_convert_twice() {
    let dir = tempdir();
    dedup_common::twice(&db_args(&dir.path().join("dedup.db")), dir.path(), "sqlite");
}

#[test]
fn sqlite_shared_base_layers() {
    let dir = tempdir();
    dedup_common::shared_base(&db_args(&dir.path().join("dedup.db")), dir.path());
}

#[test]
fn sqlite_no_false_hits() {
    let dir = tempdir();
    dedup_common::no_false_hits(&db_args(&dir.path().join("dedup.db")), dir.path());
}

//! The dedup database on a real MariaDB in upstream's tables, through the `convertor`
//! binary: the layout-level matrix (with an upstream row that must stay untouched), both DSN
//! forms, and two processes converting the same image at once against one database.

mod dedup_common;
mod pipeline_common;

use dedup_common::mariadb::MariaDb;
use dedup_common::{LAYERS, Rows, counts, manifest_digest, report, sample, spawn_run};
use mysql::prelude::Queryable;
use mysql::{Opts, Pool, Value};
use pipeline_common::tempdir;

struct Mysql(Pool);

impl Mysql {
    fn new(db: &MariaDb) -> Mysql {
        Mysql(Pool::new(Opts::from_url(&db.url()).unwrap()).unwrap())
    }
}

impl Rows for Mysql {
    fn rows(&self, table: &str, repo: &str) -> Vec<(String, String)> {
        let (key, value) = if table == LAYERS {
            ("chain_id", "data_digest")
        } else {
            ("src_digest", "out_digest")
        };
        self.0
            .get_conn()
            .unwrap()
            .exec(
                format!("SELECT {key}, {value} FROM {table} WHERE repo = ? ORDER BY {key}"),
                (repo,),
            )
            .unwrap()
    }
    fn exec(&self, sql: &str, args: &[&str]) {
        let params: Vec<Value> = args.iter().map(|a| Value::from(*a)).collect();
        let params = if params.is_empty() {
            mysql::Params::Empty
        } else {
            mysql::Params::Positional(params)
        };
        self.0.get_conn().unwrap().exec_drop(sql, params).unwrap();
    }
}

fn db_args(dsn: String) -> Vec<String> {
    vec!["--db-type".into(), "mysql".into(), "--db-str".into(), dsn]
}

#[test]
fn mysql_matrix() {
    let dir = tempdir();
    let db = MariaDb::start(dir.path());
    dedup_common::matrix(&db_args(db.go_dsn()), &Mysql::new(&db), dir.path());
}

#[test]
fn mysql_url_form_convert_twice() {
    let dir = tempdir();
    let db = MariaDb::start(dir.path());
    dedup_common::twice(&db_args(db.url()), dir.path(), "mariadb");
}

/// Two processes convert the same image into two layouts at once, twice: every run succeeds
/// without a dedup warning (a duplicate key is not a failure), both layouts hold the same
/// complete outputs, and the second round reuses everything.
#[test]
fn mysql_concurrent_processes() {
    let dir = tempdir();
    let db = MariaDb::start(dir.path());
    let args = db_args(db.go_dsn());
    let layouts = [sample(dir.path(), "a"), sample(dir.path(), "b")];
    for round in 0..2 {
        let children: Vec<_> = layouts
            .iter()
            .map(|l| spawn_run(l, &args, &[], "latest"))
            .collect();
        let reports: Vec<_> = children
            .into_iter()
            .map(|c| report(&c.wait_with_output().unwrap()))
            .collect();
        for r in &reports {
            let c = counts(r);
            eprintln!("round {round}: {c:?}");
            for [reused, converted, _] in &c {
                assert_eq!(reused + converted, 3);
            }
            if round == 1 {
                assert_eq!(c, vec![[3, 0, 1]; 2]);
            }
        }
        for tag in ["obd", "turbo"] {
            assert_eq!(
                manifest_digest(&layouts[0], tag),
                manifest_digest(&layouts[1], tag)
            );
        }
    }
    let rows = Mysql::new(&db);
    for l in &layouts {
        assert_eq!(dedup_common::count(&rows, dedup_common::MANIFESTS, l), 2);
    }
}

/// A database without upstream's tables is a clear one-line error before any work.
#[test]
fn mysql_missing_tables() {
    let dir = tempdir();
    let db = MariaDb::start(dir.path());
    let layout = sample(dir.path(), "a");
    db.create_database("empty");
    let dsn = db.go_dsn().replace("/conversioncache", "/empty");
    let out = spawn_run(&layout, &db_args(dsn), &[], "latest")
        .wait_with_output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("failed to open the dedup database"),
        "{stderr}"
    );
    assert!(stderr.contains("has no table overlaybd_layers"), "{stderr}");
    assert_eq!(pipeline_common::tags(&layout).len(), 1);
}

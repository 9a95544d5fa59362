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

/// `--mkfs=false`: the bottom layer's conversion publishes two layers (the base and the
/// layer); its record brings back both, for layer and manifest hits alike.
#[test]
fn sqlite_mkfs_false_records_both_bottom_outputs() {
    let Some(shared) = convertor_tests::shared_dir() else {
        eprintln!("note: ../shared is absent; skipping the base layer test");
        return;
    };
    let dir = tempdir();
    let db = dir.path().join("dedup.db");
    let args = db_args(&db);
    let a = dedup_common::sample(dir.path(), "a");
    let base = shared.join("golden/ext4_64");
    let run = |layout: &Path| {
        let out = dedup_common::spawn_run_env(
            layout,
            &args,
            &["--mkfs=false"],
            "latest",
            &[("CONVERTOR_BASELAYER", base.as_path())],
        );
        dedup_common::report(&out.wait_with_output().unwrap())
    };
    assert_eq!(dedup_common::counts(&run(&a)), vec![[0, 3, 0]; 2]);
    let first = pipeline_common::tags(&a);
    let reused = run(&a);
    assert_eq!(dedup_common::counts(&reused), vec![[3, 0, 1]; 2]);
    // The first source layer carries the base layer and its own conversion.
    let outputs = &reused["targets"][0]["images"][0]["layers"][0]["outputs"];
    assert_eq!(outputs.as_array().unwrap().len(), 2);
    Sqlite(db.clone()).exec("DELETE FROM overlaybd_manifests", &[]);
    assert_eq!(dedup_common::counts(&run(&a)), vec![[3, 0, 0]; 2]);
    assert_eq!(pipeline_common::tags(&a), first);
    // Another layout copies the layers (with the base) in and gets the same manifests.
    Sqlite(db).exec("DELETE FROM overlaybd_manifests", &[]);
    let b = dedup_common::sample(dir.path(), "b");
    assert_eq!(dedup_common::counts(&run(&b)), vec![[3, 0, 0]; 2]);
    assert_eq!(pipeline_common::tags(&b), first);
    for tag in ["obd", "turbo"] {
        assert_eq!(dedup_common::manifest_digest(&b, tag).len(), 71);
    }
}

/// With `--no-upload` nothing is stored where a record could point: the database is not used.
#[test]
fn sqlite_not_used_with_no_upload() {
    let dir = tempdir();
    let db = dir.path().join("dedup.db");
    let a = dedup_common::sample(dir.path(), "a");
    for _ in 0..2 {
        let out = dedup_common::spawn_run(&a, &db_args(&db), &["--no-upload"], "latest")
            .wait_with_output()
            .unwrap();
        assert_eq!(
            dedup_common::counts(&dedup_common::report(&out)),
            vec![[0, 3, 0]; 2]
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("not used with --no-upload"), "{stderr}");
    }
    assert!(!db.exists());
}

/// A layer converted over reused ones vouches for their sources: a corrupt source blob below
/// fails the run before its record is written, and nothing is tagged.
#[test]
fn sqlite_converted_layer_checks_reused_sources_below() {
    let dir = tempdir();
    let db = dir.path().join("dedup.db");
    let args = db_args(&db);
    let a = dedup_common::sample(dir.path(), "a");
    assert_eq!(
        dedup_common::counts(&dedup_common::run(&a, &args, &[]).0),
        vec![[0, 3, 0]; 2]
    );
    let layout = convertor::layout::Layout::open(&a).unwrap();
    let manifest = |tag: &str| -> convertor::gojson::Manifest {
        let d = layout.resolve_tag(tag).unwrap();
        convertor::gojson::from_slice(
            &layout
                .read_blob(&d.digest, convertor::layout::Verify::Yes)
                .unwrap(),
        )
        .unwrap()
    };
    let middle = manifest("latest").layers()[1].digest.clone();
    let top = manifest("obd").layers()[2].digest.clone();
    let path = layout.blob_path(&middle).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    std::fs::remove_file(layout.blob_path(&top).unwrap()).unwrap();
    let rows = Sqlite(db);
    rows.exec("DELETE FROM overlaybd_manifests", &[]);
    let before = pipeline_common::tags(&a);

    let out = dedup_common::spawn_run(&a, &args, &[], "latest")
        .wait_with_output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is corrupt"), "{stderr}");
    assert_eq!(pipeline_common::tags(&a), before);
    // The top layer's stale record is gone and no new one was written.
    assert_eq!(dedup_common::count(&rows, dedup_common::LAYERS, &a), 5);
}

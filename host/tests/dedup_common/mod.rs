//! The dedup scenarios shared by the SQLite and MariaDB tests: each runs the `convertor`
//! binary on sample-image layouts with a database given as CLI arguments, and inspects the
//! database through [`Rows`]. Test files declare `mod pipeline_common;` beside this module.

#![allow(dead_code)]

pub mod mariadb;

use crate::pipeline_common::{assert_ok, checked_manifest, convertor_cmd, tags};
use convertor::dedup::{KEY_SUFFIX, layout_host};
use convertor::gojson::{self, Manifest};
use convertor::layout::{Layout, Verify};
use convertor_tests::sample::write_sample_image;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

pub const LAYERS: &str = "overlaybd_layers";
pub const MANIFESTS: &str = "overlaybd_manifests";

/// SQL access to the dedup tables.
pub trait Rows {
    /// `(key column, digest column)` of every row of `table` for layout `repo`.
    fn rows(&self, table: &str, repo: &str) -> Vec<(String, String)>;
    /// Runs a statement with `?` placeholders bound to `args`.
    fn exec(&self, sql: &str, args: &[&str]);
}

pub fn count(rows: &dyn Rows, table: &str, layout: &Path) -> usize {
    rows.rows(table, &repo(layout)).len()
}

/// The `repo` column value of a layout: its canonical path.
pub fn repo(layout: &Path) -> String {
    std::fs::canonicalize(layout).unwrap().display().to_string()
}

/// A fresh sample-image layout `dir/name`.
pub fn sample(dir: &Path, name: &str) -> PathBuf {
    let layout = dir.join(name);
    write_sample_image(&layout).unwrap();
    layout
}

/// Number of blobs in a layout.
pub fn blob_count(layout: &Path) -> usize {
    std::fs::read_dir(layout.join("blobs/sha256"))
        .unwrap()
        .count()
}

fn args<'a>(layout: &'a str, work: &'a str, tag: &'a str) -> Vec<&'a str> {
    vec![
        "-r",
        layout,
        "-i",
        tag,
        "--overlaybd",
        "obd",
        "--turboOCI",
        "turbo",
        "-d",
        work,
        "--json",
    ]
}

/// Starts a conversion of `tag` of `layout` without waiting for it.
pub fn spawn_run(layout: &Path, db: &[String], extra: &[&str], tag: &str) -> std::process::Child {
    spawn_run_env(layout, db, extra, tag, &[])
}

/// [`spawn_run`] with extra environment variables.
pub fn spawn_run_env(
    layout: &Path,
    db: &[String],
    extra: &[&str],
    tag: &str,
    env: &[(&str, &Path)],
) -> std::process::Child {
    let l = format!("oci:{}", layout.display());
    let work = layout.with_extension("work").display().to_string();
    let mut a = args(&l, &work, tag);
    a.extend(db.iter().map(String::as_str));
    a.extend(extra);
    if !extra.contains(&"--vsize") {
        a.extend(["--vsize", "4"]);
    }
    convertor_cmd()
        .envs(env.iter().copied())
        .args(&a)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// The `--json` report of a successful run; dedup warnings fail the test.
pub fn report(out: &Output) -> Value {
    let stdout = assert_ok(out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("dedup:"), "dedup warnings:\n{stderr}");
    serde_json::from_str(stdout.trim()).unwrap()
}

/// Converts `latest` of `layout`; returns the report and the wall time of the process.
pub fn run(layout: &Path, db: &[String], extra: &[&str]) -> (Value, Duration) {
    let start = Instant::now();
    let out = spawn_run(layout, db, extra, "latest")
        .wait_with_output()
        .unwrap();
    let took = start.elapsed();
    (report(&out), took)
}

/// `[layers reused, layers converted, images reused]` per target.
pub fn counts(report: &Value) -> Vec<[u64; 3]> {
    report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let d = &t["dedup"];
            let n = |k: &str| d[k].as_u64().unwrap();
            [n("layersReused"), n("layersConverted"), n("imagesReused")]
        })
        .collect()
}

/// The checked manifest digest `tag` names.
pub fn manifest_digest(layout: &Path, tag: &str) -> String {
    manifest(layout, tag).2
}

fn manifest(layout: &Path, tag: &str) -> (Layout, Manifest, String) {
    let l = Layout::open(layout).unwrap();
    let desc = l.resolve_tag(tag).unwrap();
    let m = checked_manifest(&l, &desc);
    (l, m, desc.digest)
}

/// Upstream's dedup matrix at the layout level, layer and manifest records: no database,
/// empty database, hit, stale record deleted, and the same across layouts.
pub fn matrix(db: &[String], rows: &dyn Rows, dir: &Path) {
    let a = sample(dir, "a");
    let both = |v: [u64; 3]| vec![v, v];

    // An upstream row for the bottom layer of `a` (bare chain ID, a digest that exists
    // nowhere): our lookups must neither use nor delete it.
    let src = Layout::open(&a).unwrap();
    let src_desc = src.resolve_tag("latest").unwrap();
    let src_manifest: Manifest =
        gojson::from_slice(&src.read_blob(&src_desc.digest, Verify::Yes).unwrap()).unwrap();
    let config: convertor::gojson::Image = gojson::from_slice(
        &src.read_blob(&src_manifest.config.digest, Verify::Yes)
            .unwrap(),
    )
    .unwrap();
    let bottom_chain = config.diff_ids()[0].clone();
    let bogus = format!("sha256:{}", "0".repeat(64));
    rows.exec(
        "INSERT INTO overlaybd_layers (host, repo, chain_id, data_digest, data_size) \
         VALUES (?, ?, ?, ?, 42)",
        &[&layout_host(), &repo(&a), &bottom_chain, &bogus],
    );
    let upstream_row = (bottom_chain.clone(), bogus.clone());

    // No database: every run converts everything and records nothing.
    for _ in 0..2 {
        assert_eq!(counts(&run(&a, &[], &[]).0), both([0, 3, 0]));
    }
    assert_eq!(count(rows, MANIFESTS, &a), 0);

    // Empty database: everything converted, then recorded under our keys only.
    assert_eq!(counts(&run(&a, db, &[]).0), both([0, 3, 0]));
    let layer_rows = rows.rows(LAYERS, &repo(&a));
    assert_eq!(layer_rows.len(), 7, "{layer_rows:?}");
    assert!(layer_rows.contains(&upstream_row));
    for (key, _) in layer_rows.iter().filter(|r| **r != upstream_row) {
        assert!(key.contains(KEY_SUFFIX), "{key}");
    }
    assert_eq!(count(rows, MANIFESTS, &a), 2);
    let first_tags = tags(&a);
    let blobs = blob_count(&a);

    // Manifest hit: nothing converted, no new blob, the same outputs.
    assert_eq!(counts(&run(&a, db, &[]).0), both([3, 0, 1]));
    assert_eq!((tags(&a), blob_count(&a)), (first_tags.clone(), blobs));

    // Layer hits: the manifests are assembled again from the recorded layers.
    rows.exec("DELETE FROM overlaybd_manifests", &[]);
    assert_eq!(counts(&run(&a, db, &[]).0), both([3, 0, 0]));
    assert_eq!((tags(&a), blob_count(&a)), (first_tags.clone(), blobs));
    assert_eq!(count(rows, MANIFESTS, &a), 2);

    // Stale layer records (their record blobs are gone): deleted, the layers converted and
    // recorded again. Rows are inserted without upsert, so a fresh digest proves the delete.
    rows.exec("DELETE FROM overlaybd_manifests", &[]);
    rows.exec(
        "UPDATE overlaybd_layers SET data_digest = ? WHERE repo = ? AND chain_id <> ?",
        &[&bogus, &repo(&a), &bottom_chain],
    );
    assert_eq!(counts(&run(&a, db, &[]).0), both([0, 3, 0]));
    let now = rows.rows(LAYERS, &repo(&a));
    assert_eq!(now.len(), 7);
    assert_eq!(
        now.iter().filter(|(_, d)| *d == bogus).count(),
        1,
        "{now:?}"
    );
    assert_eq!(tags(&a), first_tags);

    // A converted layer blob gone: only that layer is converted again.
    let (la, m, _) = manifest(&a, "obd");
    let top = m.layers()[2].digest.clone();
    std::fs::remove_file(la.blob_path(&top).unwrap()).unwrap();
    rows.exec("DELETE FROM overlaybd_manifests", &[]);
    assert_eq!(counts(&run(&a, db, &[]).0), vec![[2, 1, 0], [3, 0, 0]]);
    assert!(la.has_blob(&top).unwrap());

    // A converted manifest blob gone: its record is deleted and the manifest rebuilt from
    // layer hits; the other format's manifest is still a hit.
    let obd_manifest = la.resolve_tag("obd").unwrap().digest;
    std::fs::remove_file(la.blob_path(&obd_manifest).unwrap()).unwrap();
    assert_eq!(counts(&run(&a, db, &[]).0), vec![[3, 0, 0], [3, 0, 1]]);
    assert!(la.has_blob(&obd_manifest).unwrap());
    assert_eq!(tags(&a), first_tags);

    // Another layout of the same image: the manifests (with config and layers) are copied in.
    let b = sample(dir, "b");
    assert_eq!(counts(&run(&b, db, &[]).0), both([3, 0, 1]));
    for tag in ["obd", "turbo"] {
        let (_, _, digest) = manifest(&b, tag);
        assert_eq!(digest, la.resolve_tag(tag).unwrap().digest);
    }
    assert_eq!(
        (count(rows, MANIFESTS, &b), count(rows, LAYERS, &b)),
        (2, 0)
    );

    // Without manifest records, the layers are copied in one by one.
    rows.exec("DELETE FROM overlaybd_manifests", &[]);
    let c = sample(dir, "c");
    assert_eq!(counts(&run(&c, db, &[]).0), both([3, 0, 0]));
    let (_, _, digest) = manifest(&c, "obd");
    assert_eq!(digest, la.resolve_tag("obd").unwrap().digest);
    assert_eq!(count(rows, LAYERS, &c), 6);

    // Layout `a` loses its blobs: its records, tried first (ordered by repo), are stale and
    // deleted, and `c`'s used instead: manifest records first, then layer records.
    assert_eq!(counts(&run(&a, db, &[]).0), both([3, 0, 1]));
    let repo_a = repo(&a);
    assert_eq!(rows.rows(MANIFESTS, &repo_a).len(), 2);
    std::fs::remove_dir_all(a.join("blobs")).unwrap();
    std::fs::create_dir_all(a.join("blobs/sha256")).unwrap();
    let d = sample(dir, "d");
    assert_eq!(counts(&run(&d, db, &[]).0), both([3, 0, 1]));
    assert!(rows.rows(MANIFESTS, &repo_a).is_empty());
    assert_eq!(rows.rows(LAYERS, &repo_a).len(), 7);
    rows.exec("DELETE FROM overlaybd_manifests", &[]);
    let e = sample(dir, "e");
    assert_eq!(counts(&run(&e, db, &[]).0), both([3, 0, 0]));
    // Only upstream's row is left for `a`.
    assert_eq!(rows.rows(LAYERS, &repo_a), vec![upstream_row]);

    // A layout gone from the machine may be another machine's path or come back: its records
    // are skipped, not deleted (`0` sorts first).
    rows.exec("DELETE FROM overlaybd_manifests", &[]);
    let zero = sample(dir, "0");
    assert_eq!(counts(&run(&zero, db, &[]).0), both([3, 0, 0]));
    let repo_zero = repo(&zero);
    std::fs::remove_dir_all(&zero).unwrap();
    rows.exec("DELETE FROM overlaybd_manifests", &[]);
    let f = sample(dir, "f");
    assert_eq!(counts(&run(&f, db, &[]).0), both([3, 0, 0]));
    assert_eq!(rows.rows(LAYERS, &repo_zero).len(), 6);
    for tag in ["obd", "turbo"] {
        manifest(&d, tag);
        manifest(&e, tag);
        manifest(&f, tag);
    }
}

/// Converting an image twice: the second run converts nothing and writes no blob. Prints both
/// wall times.
pub fn twice(db: &[String], dir: &Path, label: &str) {
    let a = sample(dir, "a");
    let (r1, t1) = run(&a, db, &[]);
    assert_eq!(counts(&r1), vec![[0, 3, 0]; 2]);
    let blobs = blob_count(&a);
    let first = tags(&a);
    let (r2, t2) = run(&a, db, &[]);
    assert_eq!(counts(&r2), vec![[3, 0, 1]; 2]);
    for t in r2["targets"].as_array().unwrap() {
        let layers = t["images"][0]["layers"].as_array().unwrap();
        assert!(layers.iter().all(|l| l["reused"] == true), "{layers:?}");
    }
    assert_eq!((blob_count(&a), tags(&a)), (blobs, first));
    eprintln!(
        "{label}: first run {:.3} s (engine {:.3} + {:.3} s), second run {:.3} s (engine {:.3} + {:.3} s): {:.1}x",
        t1.as_secs_f64(),
        r1["targets"][0]["seconds"].as_f64().unwrap(),
        r1["targets"][1]["seconds"].as_f64().unwrap(),
        t2.as_secs_f64(),
        r2["targets"][0]["seconds"].as_f64().unwrap(),
        r2["targets"][1]["seconds"].as_f64().unwrap(),
        t1.as_secs_f64() / t2.as_secs_f64()
    );
}

/// A minimal ustar archive with one regular file.
fn tar_with(name: &str, data: &[u8]) -> Vec<u8> {
    let mut h = [0u8; 512];
    let put = |h: &mut [u8; 512], at: usize, s: &[u8]| h[at..at + s.len()].copy_from_slice(s);
    put(&mut h, 0, name.as_bytes());
    put(&mut h, 100, b"0000644\0");
    put(&mut h, 108, b"0000000\0");
    put(&mut h, 116, b"0000000\0");
    put(&mut h, 124, format!("{:011o}\0", data.len()).as_bytes());
    put(&mut h, 136, b"14533211000\0");
    put(&mut h, 148, b"        ");
    h[156] = b'0';
    put(&mut h, 257, b"ustar\0");
    put(&mut h, 263, b"00");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    put(&mut h, 148, format!("{sum:06o}\0 ").as_bytes());
    let mut out = h.to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512 + 1024, 0);
    out
}

/// Adds image `other` to the sample layout: its two bottom layers and a new top layer.
pub fn add_other_image(layout: &Path) {
    let l = Layout::open(layout).unwrap();
    let desc = l.resolve_tag("latest").unwrap();
    let mut m: Value =
        serde_json::from_slice(&l.read_blob(&desc.digest, Verify::Yes).unwrap()).unwrap();
    let config_digest = m["config"]["digest"].as_str().unwrap().to_string();
    let mut config: Value =
        serde_json::from_slice(&l.read_blob(&config_digest, Verify::Yes).unwrap()).unwrap();

    let tar = tar_with("etc/other", b"another image\n");
    let tar_path = layout.with_extension("top.tar");
    std::fs::write(&tar_path, &tar).unwrap();
    let gz = std::process::Command::new("gzip")
        .args(["-n", "-c"])
        .arg(&tar_path)
        .output()
        .unwrap();
    assert!(gz.status.success());
    let (digest, size) = l.write_blob(&gz.stdout).unwrap();
    let diff_id = convertor::image::sha256_digest(&tar);

    m["layers"][2] = serde_json::json!({
        "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
        "digest": digest,
        "size": size,
    });
    config["rootfs"]["diff_ids"][2] = Value::String(diff_id);
    let config_bytes = serde_json::to_vec(&config).unwrap();
    let cd = l
        .put_document("application/vnd.oci.image.config.v1+json", &config_bytes)
        .unwrap();
    m["config"]["digest"] = Value::String(cd.digest);
    m["config"]["size"] = Value::from(cd.size);
    let md = l
        .put_document(&desc.media_type, &serde_json::to_vec(&m).unwrap())
        .unwrap();
    l.tag("other", &md).unwrap();
}

/// A second image sharing the two base layers converts only its own top layer.
pub fn shared_base(db: &[String], dir: &Path) {
    let a = sample(dir, "a");
    add_other_image(&a);
    assert_eq!(counts(&run(&a, db, &[]).0), vec![[0, 3, 0]; 2]);
    let before = blob_count(&a);
    let out = spawn_run(&a, db, &[], "other").wait_with_output().unwrap();
    let r = report(&out);
    assert_eq!(counts(&r), vec![[2, 1, 0]; 2]);
    let layers = &r["targets"][0]["images"][0]["layers"];
    assert_eq!(layers[0]["reused"], true);
    assert_eq!(layers[2]["reused"], false);
    // The other image's native and TurboOCI top layers, their records and two manifests and
    // configs (TurboOCI adds no blob for the source layer it indexes).
    assert!(blob_count(&a) > before);
    for tag in ["obd", "turbo"] {
        manifest(&a, tag);
    }
}

/// The same engine file with a custom section appended: another component digest.
pub fn engine_variant(path: &Path, out: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let name = b"convertor-dedup-test";
    let payload = b"another build";
    let body_len = 1 + name.len() + payload.len();
    bytes.push(0); // custom section id
    bytes.push(u8::try_from(body_len).unwrap()); // LEB128, < 128
    bytes.push(u8::try_from(name.len()).unwrap());
    bytes.extend_from_slice(name);
    bytes.extend_from_slice(payload);
    std::fs::write(out, bytes).unwrap();
}

/// A changed `--vsize` or another engine build never hits the records of the first run.
pub fn no_false_hits(db: &[String], dir: &Path) {
    let a = sample(dir, "a");
    assert_eq!(counts(&run(&a, db, &[]).0), vec![[0, 3, 0]; 2]);
    let first = tags(&a);
    let (r, _) = run(&a, db, &["--vsize", "8"]);
    assert_eq!(counts(&r), vec![[0, 3, 0]; 2]);
    assert_ne!(tags(&a), first);

    let (obd, _) = crate::pipeline_common::components();
    // The built-in component named with --engine: the same bytes, but its manifests are
    // annotated as user-supplied, so nothing of the built-in run's is reused.
    let same = format!("overlaybd={}", obd.display());
    assert_eq!(counts(&run(&a, db, &["--engine", &same]).0)[0], [0, 3, 0]);
    let variant = dir.join("overlaybd-variant.wasm");
    engine_variant(obd, &variant);
    let engine = format!("overlaybd={}", variant.display());
    let (r, _) = run(&a, db, &["--engine", &engine]);
    assert_eq!(counts(&r)[0], [0, 3, 0]);
    let sha = r["targets"][0]["engine"]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    // The same engine bytes give the same layers (a deterministic engine), now a hit.
    let (r, _) = run(&a, db, &["--engine", &engine]);
    assert_eq!(counts(&r)[0], [3, 0, 1]);
    assert_eq!(r["targets"][0]["engine"]["sha256"], sha.as_str());
}

//! Bad layers through `obdtool apply`: each run exits 1 with one clear error line and leaves
//! neither an output nor scratch files behind; a good layer in the same setup leaves exactly
//! its outputs.

mod common;

use common::obd::Args;
use common::work::{Work, listing};
use flate2::{Compression, write::GzEncoder};
use std::io::Write;
use std::path::Path;

fn header(kind: tar::EntryType, size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(0o644);
    h.set_size(size);
    h.set_mtime(1_700_000_000);
    h
}

fn tar_of(build: impl FnOnce(&mut tar::Builder<Vec<u8>>)) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    build(&mut b);
    b.into_inner().unwrap()
}

fn file(b: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8]) {
    let mut h = header(tar::EntryType::Regular, data.len() as u64);
    b.append_data(&mut h, path, data).unwrap();
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::new(6));
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

/// (case, layer file name, layer bytes, words one of which the error must mention).
fn cases() -> Vec<(&'static str, &'static str, Vec<u8>, &'static [&'static str])> {
    let base = convertor_tests::sample::sample_layer_tars()
        .unwrap()
        .remove(0);
    let whole = gzip(&base);
    let truncated = whole[..whole.len() / 2].to_vec();
    let mut bad_sum = tar_of(|b| file(b, "etc/hostname", b"x\n"));
    bad_sum[0] ^= 0x20; // the name changes, the stored checksum does not
    let dangling = tar_of(|b| {
        file(b, "a", b"a\n");
        let mut h = header(tar::EntryType::Link, 0);
        b.append_link(&mut h, "b", "missing").unwrap();
    });
    let parent_file = tar_of(|b| {
        file(b, "a", b"a\n");
        file(b, "a/b", b"b\n");
    });
    let long_name = tar_of(|b| file(b, &format!("d/{}", "n".repeat(256)), b"x\n"));
    vec![
        (
            "truncated-gzip",
            "layer.tar.gz",
            truncated,
            &["gzip", "deflate"],
        ),
        ("bad-checksum", "layer.tar", bad_sum, &["checksum"]),
        ("dangling-hardlink", "layer.tar", dangling, &["missing"]),
        (
            "parent-is-file",
            "layer.tar",
            parent_file,
            &["not a directory"],
        ),
        ("name-over-255", "layer.tar", long_name, &["255"]),
    ]
}

/// Exit status 1, nothing on stdout, exactly one stderr line naming the problem once.
fn assert_one_clear_error(out: &std::process::Output, what: &str, words: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{what}: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        1,
        "{what}: expected one error line, got:\n{stderr}"
    );
    let line = lines[0];
    assert!(line.starts_with("obdtool: "), "{what}: {line}");
    let lower = line.to_lowercase();
    assert!(
        words.iter().any(|w| lower.contains(w)),
        "{what}: {line:?} mentions none of {words:?}"
    );
    // Each cause once: chained errors that embed their source must not repeat it.
    let parts: Vec<&str> = line.split(": ").collect();
    for (i, p) in parts.iter().enumerate() {
        assert!(
            !parts[i + 1..].contains(p),
            "{what}: {p:?} repeats in {line:?}"
        );
    }
    assert!(out.stdout.is_empty(), "{what}: stdout {:?}", out.stdout);
}

fn native(layer: &Path, dir: &Path) -> Args {
    Args::new("apply")
        .arg("--mkfs")
        .arg(layer)
        .opt("-o", dir.join("out.commit"))
}

fn turbo(layer: &Path, dir: &Path) -> Args {
    Args::new("apply")
        .arg("--turbo")
        .arg("--mkfs")
        .opt("--gzip-index", dir.join("out.gzip.meta"))
        .opt("--meta-layer", dir.join("out.tgz"))
        .arg(layer)
        .opt("-o", dir.join("out.fs.meta"))
}

#[test]
fn bad_layers_fail_cleanly_in_both_formats() {
    let work = Work::new("bad-input");
    for (case, name, bytes, words) in cases() {
        for (mode, args) in [
            ("native", native as fn(&Path, &Path) -> Args),
            ("turbo", turbo),
        ] {
            let dir = work.subdir(&format!("{case}-{mode}"));
            let layer = dir.join(name);
            std::fs::write(&layer, &bytes).unwrap();
            let out = args(&layer, &dir).run();
            let what = format!("{case} ({mode})");
            assert_one_clear_error(&out, &what, words);
            assert_eq!(listing(&dir), vec![name.to_string()], "{what}: files left");
        }
    }
}

#[test]
fn good_layer_leaves_exactly_its_outputs() {
    let work = Work::new("bad-input-control");
    let base = convertor_tests::sample::sample_layer_tars()
        .unwrap()
        .remove(0);
    let dir = work.dir();
    let layer = dir.join("layer.tar.gz");
    std::fs::write(&layer, gzip(&base)).unwrap();
    native(&layer, dir).ok();
    turbo(&layer, dir).ok();
    assert_eq!(
        listing(dir),
        [
            "layer.tar.gz",
            "out.commit",
            "out.fs.meta",
            "out.gzip.meta",
            "out.tgz"
        ]
    );
}

/// A TurboOCI run on a gzip layer without --gzip-index fails before writing anything.
#[test]
fn turbo_without_gzip_index_leaves_nothing() {
    let work = Work::new("bad-input-no-index");
    let base = convertor_tests::sample::sample_layer_tars()
        .unwrap()
        .remove(0);
    let dir = work.dir();
    let layer = dir.join("layer.tar.gz");
    std::fs::write(&layer, gzip(&base)).unwrap();
    let out = Args::new("apply")
        .arg("--turbo")
        .arg("--mkfs")
        .arg(&layer)
        .opt("-o", dir.join("out.fs.meta"))
        .run();
    assert_one_clear_error(&out, "turbo without --gzip-index", &["gzip-index"]);
    assert_eq!(listing(dir), ["layer.tar.gz"]);
}

/// A lower layer cut short is refused, and nothing is left behind.
#[test]
fn truncated_lower_layer_fails_cleanly() {
    let work = Work::new("bad-input-lower");
    let tars = convertor_tests::sample::sample_layer_tars().unwrap();
    let dir = work.dir();
    std::fs::write(dir.join("l0.tar"), &tars[0]).unwrap();
    std::fs::write(dir.join("l1.tar"), &tars[1]).unwrap();
    native(&dir.join("l0.tar"), dir).ok();
    let blob = std::fs::read(dir.join("out.commit")).unwrap();
    std::fs::write(dir.join("lower.commit"), &blob[..blob.len() / 2]).unwrap();
    std::fs::remove_file(dir.join("out.commit")).unwrap();
    let out = Args::new("apply")
        .opt("--lower", dir.join("lower.commit"))
        .arg(dir.join("l1.tar"))
        .opt("-o", dir.join("out.commit"))
        .run();
    assert_one_clear_error(
        &out,
        "truncated lower",
        &["lower", "layer", "lsmt", "zfile", "tar"],
    );
    assert_eq!(listing(dir), ["l0.tar", "l1.tar", "lower.commit"]);
}

//! The project's own sample image (three gzip layers: merged-/usr symlinks, whiteouts, an
//! opaque directory, hard links, xattrs, devices, long names) converted with obdtool in
//! both formats: the device's tree equals the MemFs oracle's, and conversion is
//! byte-for-byte deterministic.

mod common;

use common::debugfs;
use common::mount::LoopMount;
use common::obd::Args;
use common::tree::{Tree, assert_same};
use common::work::{Work, sha256_file};
use flate2::{Compression, write::GzEncoder};
use ociapply::memfs::MemFs;
use ociapply::{ApplyOptions, apply_layer};
use std::io::Write;
use std::path::{Path, PathBuf};
use tarstream::TarReader;

/// The layers applied onto the reference in-memory filesystem.
fn oracle() -> Tree {
    let mut fs = MemFs::new();
    for tar in convertor_tests::sample::sample_layer_tars().expect("sample layers") {
        let mut reader = TarReader::new(tar.as_slice());
        apply_layer(&mut fs, &mut reader, &ApplyOptions::default()).expect("MemFs apply");
    }
    fs.check().expect("MemFs invariants");
    let tree = Tree::from_memfs(&fs.snapshot());
    // Guard against comparing near-empty pictures.
    assert!(
        tree.entries.len() > 20,
        "{} oracle entries",
        tree.entries.len()
    );
    assert!(!tree.entries["/usr/bin/ping"].xattrs.is_empty());
    assert_eq!(tree.entries["/dev/sda"].rdev, Some((8, 0)));
    tree
}

/// The sample layers as gzip blobs, bottom first.
fn write_layers(dir: &Path) -> Vec<PathBuf> {
    convertor_tests::sample::sample_layer_tars()
        .expect("sample layers")
        .iter()
        .enumerate()
        .map(|(i, tar)| {
            let mut gz = GzEncoder::new(Vec::new(), Compression::new(6));
            gz.write_all(tar).unwrap();
            let p = dir.join(format!("sample-{i}.tar.gz"));
            std::fs::write(&p, gz.finish().unwrap()).unwrap();
            p
        })
        .collect()
}

/// Native blobs `<dir>/<stem>-<i>` from mkfs up, with `extra` options on every apply.
fn convert_native(layers: &[PathBuf], dir: &Path, stem: &str, extra: &[&str]) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    let mut stack: Vec<PathBuf> = Vec::new();
    for (i, layer) in layers.iter().enumerate() {
        let out = dir.join(format!("{stem}-{i}"));
        let mut a = Args::new("apply");
        if stack.is_empty() {
            a = a.arg("--mkfs");
        }
        for l in &stack {
            a = a.opt("--lower", l);
        }
        for x in extra {
            a = a.arg(x);
        }
        a.arg(layer).opt("-o", &out).ok();
        stack.push(out);
    }
    stack
}

/// TurboOCI outputs (fs meta, gzip index, meta layer) per layer.
fn convert_turbo(layers: &[PathBuf], dir: &Path, stem: &str) -> Vec<[PathBuf; 3]> {
    std::fs::create_dir_all(dir).unwrap();
    let mut done: Vec<[PathBuf; 3]> = Vec::new();
    for (i, layer) in layers.iter().enumerate() {
        let outs = [
            dir.join(format!("{stem}-{i}.fs.meta")),
            dir.join(format!("{stem}-{i}.gzip.meta")),
            dir.join(format!("{stem}-{i}.tgz")),
        ];
        let mut a = Args::new("apply").arg("--turbo");
        if done.is_empty() {
            a = a.arg("--mkfs");
        }
        for (d, original) in done.iter().zip(layers) {
            a = a.opt("--lower", &d[2]).opt("--lower-target", original);
        }
        a.opt("--gzip-index", &outs[1])
            .opt("--meta-layer", &outs[2])
            .arg(layer)
            .opt("-o", &outs[0])
            .ok();
        done.push(outs);
    }
    done
}

fn flatten(stack: &[PathBuf], targets: &[PathBuf], raw: &Path) {
    let mut a = Args::new("flatten");
    for l in stack {
        a = a.arg(l);
    }
    for t in targets {
        a = a.opt("--turbo-target", t);
    }
    a.opt("-o", raw).ok();
}

/// e2fsck clean; the kernel's view (root) and debugfs's view equal the oracle.
fn assert_matches_oracle(raw: &Path, oracle: &Tree, work: &Work) {
    debugfs::assert_fsck_clean(raw);
    if let Some(m) = LoopMount::new(raw, &work.path("mnt")) {
        let got = Tree::from_dir(m.dir()).without(&["/lost+found"]);
        assert_same(
            &format!("kernel mount of {}", raw.display()),
            oracle,
            &got,
            true,
        );
    }
    debugfs::assert_tree(raw, oracle, work, &|_| false);
}

#[test]
fn sample_image_native_matches_memfs() {
    let work = Work::new("sample-native");
    let layers = write_layers(work.dir());
    let stack = convert_native(&layers, &work.path("native"), "layer", &[]);
    let raw = work.path("device.raw");
    flatten(&stack, &[], &raw);
    assert_matches_oracle(&raw, &oracle(), &work);
}

#[test]
fn sample_image_turbo_matches_memfs() {
    let work = Work::new("sample-turbo");
    let layers = write_layers(work.dir());
    let done = convert_turbo(&layers, &work.path("turbo"), "layer");
    let metas: Vec<PathBuf> = done.iter().map(|d| d[2].clone()).collect();
    let raw = work.path("device.raw");
    flatten(&metas, &layers, &raw);
    assert_matches_oracle(&raw, &oracle(), &work);
}

/// Append-mode scratch (--disable-sparse) and zstd blobs hold the same filesystem.
#[test]
fn sample_image_native_variants_match_memfs() {
    let work = Work::new("sample-variants");
    let layers = write_layers(work.dir());
    let oracle = oracle();
    for (name, extra) in [
        // A 4 GiB filesystem: e2fsck -f reads every inode table, 1 GiB of them at 64 GiB.
        ("append", &["--disable-sparse", "--vsize", "4"][..]),
        (
            "zstd",
            &["--algorithm", "zstd", "--bs", "16", "--vsize", "4"][..],
        ),
    ] {
        let stack = convert_native(&layers, &work.path(name), "layer", extra);
        let info = Args::new("info").arg(&stack[0]).ok();
        let codec = if name == "zstd" {
            "zfile: Zstd, block size 16384"
        } else {
            "zfile: Lz4, block size 4096"
        };
        assert!(info.contains(codec), "{name}: {info}");
        let raw = work.path(format!("{name}.raw"));
        flatten(&stack, &[], &raw);
        debugfs::assert_fsck_clean(&raw);
        debugfs::assert_tree(&raw, &oracle, &work, &|_| false);
    }
}

fn hashes(paths: &[PathBuf]) -> Vec<String> {
    paths.iter().map(|p| sha256_file(p)).collect()
}

#[test]
fn conversion_is_deterministic() {
    let work = Work::new("sample-determinism");
    let layers = write_layers(work.dir());
    // Different directories and names: nothing of the output path may leak into the bytes.
    for extra in [&[][..], &["--disable-sparse"][..]] {
        let a = convert_native(&layers, &work.path("a"), "layer", extra);
        let b = convert_native(&layers, &work.path("b"), "other-name", extra);
        assert_eq!(hashes(&a), hashes(&b), "native {extra:?}");
    }
    let a = convert_turbo(&layers, &work.path("ta"), "layer");
    let b = convert_turbo(&layers, &work.path("tb"), "other-name");
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(hashes(x), hashes(y), "turbo outputs {x:?}");
    }
    // Append mode commits other bytes than sparse mode (as upstream's), but each is stable.
    let sparse = convert_native(&layers, &work.path("s"), "layer", &[]);
    let append = convert_native(&layers, &work.path("p"), "layer", &["--disable-sparse"]);
    assert_eq!(sparse.len(), append.len());
}

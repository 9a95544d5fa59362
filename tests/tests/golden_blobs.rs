//! obdtool on upstream's golden blobs: `info` reads their headers, `zfile -x` decodes
//! upstream's ZFiles exactly, and `flatten` turns upstream's native and TurboOCI edge stacks
//! into e2fsck-clean devices whose files read back right.

mod common;

use common::debugfs;
use common::edge;
use common::obd::{Args, run};
use common::tree::{Entry, Tree, diff};
use common::work::{Work, hex, sha256_file};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

fn golden() -> Option<PathBuf> {
    edge::shared().map(|s| s.join("golden"))
}

#[test]
fn info_shows_upstream_uuid_chain() {
    let Some(g) = golden() else {
        return;
    };
    let layers: Value =
        serde_json::from_slice(&std::fs::read(g.join("edge-native/layers.json")).unwrap()).unwrap();
    let layers = layers["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 4);
    for l in layers {
        let file = l["output_file"].as_str().unwrap();
        let info = Args::new("info").arg(g.join("edge-native").join(file)).ok();
        let h = &l["lsmt"]["header"];
        let want = format!(
            "uuid {}  parent {}",
            h["uuid"].as_str().unwrap(),
            h["parent_uuid"].as_str().unwrap()
        );
        assert!(info.contains(&want), "{file}: expected {want:?} in\n{info}");
        assert!(
            info.contains("lsmt: virtual size 68719476736 bytes"),
            "{info}"
        );
    }
    // The one the brief of this suite names explicitly.
    let info = Args::new("info")
        .arg(g.join("edge-native/layer-1.commit"))
        .ok();
    assert!(
        info.contains(
            "uuid 50EA1E02-16FC-65C9-D22E-85427066EEC1  parent 71ADF373-E55F-146C-8302-1EDD1E96A44D"
        ),
        "{info}"
    );
    let meta = Args::new("info")
        .arg(g.join("edge-turbo/layer-0.ext4.fs.meta"))
        .ok();
    assert!(
        meta.contains("lsmt (warp)") && meta.contains("9073 remote"),
        "{meta}"
    );
    let index = Args::new("info")
        .arg(g.join("edge-turbo/layer-0.gzip.meta"))
        .ok();
    assert!(
        index.contains("gzip file 1248889 bytes, uncompressed 78072320 bytes"),
        "{index}"
    );
}

fn gunzip_sha256(path: &Path) -> (u64, String) {
    let mut gz = flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap());
    let mut h = Sha256::new();
    let n = std::io::copy(&mut gz, &mut h).unwrap();
    (n, hex(&h.finalize()))
}

#[test]
fn zfile_x_of_commit_vectors_gives_the_lsmt() {
    let Some(g) = golden() else {
        return;
    };
    let work = Work::new("golden-zfile-commit");
    let (len, want) = gunzip_sha256(&g.join("commit-vectors/layer.lsmt.gz"));
    assert_eq!(len, 68_473_856);
    // The registry form (tar-wrapped) and the bare ZFile decode to the same LSMT.
    for name in ["layer.commit", "layer.zfile"] {
        let out = work.path(format!("{name}.lsmt"));
        Args::new("zfile")
            .arg("-x")
            .arg(g.join("commit-vectors").join(name))
            .arg(&out)
            .ok();
        assert_eq!(std::fs::metadata(&out).unwrap().len(), len, "{name}");
        assert_eq!(sha256_file(&out), want, "{name}");
    }
}

/// Every upstream ZFile vector decodes to its input, including the 64 KiB-block ones
/// upstream's own reader rejects; tar-wrapped ones are unwrapped.
#[test]
fn zfile_x_of_every_golden_vector_gives_its_input() {
    let Some(g) = golden() else {
        return;
    };
    let work = Work::new("golden-zfile-vectors");
    let dir = g.join("zfile-vectors");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("input-") {
            continue;
        }
        let stem = name.split('.').next().unwrap();
        let input = dir.join(format!("input-{stem}.bin"));
        let out = work.path(format!("{name}.out"));
        Args::new("zfile").arg("-x").arg(&path).arg(&out).ok();
        assert_eq!(sha256_file(&out), sha256_file(&input), "{name}");
        Args::new("zfile").arg("--verify").arg(&path).ok();
        seen += 1;
    }
    assert_eq!(
        seen, 21,
        "golden ZFile vectors found (19 bare, 2 tar-wrapped)"
    );
}

/// Our ZFiles round-trip through the CLI for each codec and block size, bare and tar-wrapped,
/// and a flipped byte in a compressed block is caught by the block checksum.
#[test]
fn zfile_round_trips_and_detects_corruption() {
    let Some(g) = golden() else {
        return;
    };
    let work = Work::new("golden-zfile-roundtrip");
    let input = g.join("zfile-vectors/input-tar-1000000.bin");
    for algorithm in ["lz4", "zstd"] {
        for bs in ["4", "64"] {
            for tar in [false, true] {
                let z = work.path(format!("{algorithm}-{bs}-{tar}.z"));
                let mut a = Args::new("zfile")
                    .opt("--algorithm", algorithm)
                    .opt("--bs", bs);
                if tar {
                    a = a.arg("-t");
                }
                a.arg(&input).arg(&z).ok();
                let info = Args::new("info").arg(&z).run();
                let text = String::from_utf8_lossy(&info.stdout);
                assert_eq!(
                    text.contains("tar wrapper: payload at 1536"),
                    tar,
                    "{algorithm} {bs} {tar}: {text}"
                );
                let back = work.path(format!("{algorithm}-{bs}-{tar}.back"));
                Args::new("zfile").arg("-x").arg(&z).arg(&back).ok();
                assert_eq!(sha256_file(&back), sha256_file(&input));
            }
        }
    }
    let z = work.path("lz4-4-false.z");
    let mut bytes = std::fs::read(&z).unwrap();
    bytes[4096] ^= 0x55; // inside the first compressed blocks (the header is 512 bytes)
    let bad = work.path("corrupt.z");
    std::fs::write(&bad, bytes).unwrap();
    let out = run(["zfile", "-x"]
        .map(std::ffi::OsString::from)
        .into_iter()
        .chain([
            bad.clone().into_os_string(),
            work.path("corrupt.out").into_os_string(),
        ]));
    assert!(!out.status.success(), "a corrupted ZFile decoded");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let verify = Args::new("zfile").arg("--verify").arg(&bad).run();
    assert!(
        !verify.status.success(),
        "--verify passed a corrupted ZFile"
    );
}

/// Files whose content upstream's tools get right: everything but the sparse member (upstream
/// ignores GNU sparse PAX records) and symlinks whose target only PAX carries.
fn upstream_comparable(edge: &edge::Edge) -> Tree {
    edge.expected_tree()
        .filter(|p, e| {
            p != "/"
                && p != "/files/sparse-16MiB"
                && !(e.kind == "symlink" && e.target.as_ref().is_some_and(|t| t.len() > 100))
                && matches!(e.kind.as_str(), "file" | "dir" | "symlink")
        })
        .map(|e| Entry {
            mode: e.mode & 0o777,
            uid: 0,
            gid: 0,
            mtime: 0,
            mtime_nsec: 0,
            xattrs: Default::default(),
            ..e.clone()
        })
}

/// e2fsck clean, and every comparable file, directory and symlink reads back right.
fn assert_upstream_device(raw: &Path, edge: &edge::Edge, work: &Work) {
    debugfs::assert_fsck_clean(raw);
    let dump = work.subdir("rdump");
    let out = std::process::Command::new("debugfs")
        .arg("-R")
        .arg(format!("rdump / \"{}\"", dump.display()))
        .arg(raw)
        .output()
        .unwrap();
    assert!(out.status.success());
    let want = upstream_comparable(edge);
    let got = Tree::from_dir(&dump).map(|e| Entry {
        mode: e.mode & 0o777,
        uid: 0,
        gid: 0,
        mtime: 0,
        mtime_nsec: 0,
        xattrs: Default::default(),
        ..e.clone()
    });
    let problems: Vec<String> = diff(&want, &got, false)
        .into_iter()
        .filter(|d| !d.starts_with("unexpected"))
        .collect();
    assert!(
        problems.is_empty(),
        "{}: {} differences:\n{}",
        raw.display(),
        problems.len(),
        problems
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    let st = debugfs::stat_many(raw, &["/files/cap-net-bind".to_string()], work);
    assert_eq!(st["/files/cap-net-bind"].mode, 0o755);
    let x = debugfs::xattrs_many(raw, &["/files/cap-net-bind".to_string()], work);
    assert_eq!(
        x["/files/cap-net-bind"].get("security.capability"),
        Some(&"0100000200040000000000000000000000000000".to_string())
    );
}

#[test]
fn flatten_upstream_native_edge_stack() {
    let (Some(g), Some(edge)) = (golden(), edge::image()) else {
        return;
    };
    let work = Work::new("golden-flatten-native");
    let raw = work.path("device.raw");
    let mut a = Args::new("flatten");
    for i in 0..4 {
        a = a.arg(g.join(format!("edge-native/layer-{i}.commit")));
    }
    a.opt("-o", &raw).ok();
    assert_upstream_device(&raw, &edge, &work);
}

/// Upstream's TurboOCI fs metas over the regenerated edge blobs (byte-identical to the ones
/// upstream converted), read through upstream's gzip indexes.
#[test]
fn flatten_upstream_turbo_edge_stack() {
    let (Some(g), Some(edge)) = (golden(), edge::image()) else {
        return;
    };
    let work = Work::new("golden-flatten-turbo");
    let raw = work.path("device.raw");
    let mut a = Args::new("flatten");
    for i in 0..4 {
        a = a.arg(g.join(format!("edge-turbo/layer-{i}.ext4.fs.meta")));
    }
    for (i, original) in edge.layers.iter().enumerate() {
        a = a.opt("--turbo-target", original).opt(
            "--gzip-index",
            g.join(format!("edge-turbo/layer-{i}.gzip.meta")),
        );
    }
    a.opt("-o", &raw).ok();
    assert_upstream_device(&raw, &edge, &work);
}

//! The shared edge image converted with `obdtool apply --turbo`: per layer a TurboOCI meta
//! layer (turboOCIv1.tar.gz) whose file data stays in the original gzip blob, read through
//! the gzip index. Flattened with `--turbo-target` and checked like the native stack.

mod common;

use common::edge;
use common::obd::Args;
use common::work::{Work, sha256_file};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The members of a TurboOCI meta layer: name -> bytes.
fn meta_members(tgz: &Path) -> Vec<(String, Vec<u8>)> {
    let f = std::fs::File::open(tgz).expect("opening the meta layer");
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(f));
    ar.entries()
        .expect("reading the meta layer")
        .map(|e| {
            let mut e = e.expect("meta layer entry");
            let name = e.path().expect("entry name").to_string_lossy().into_owned();
            let mut data = Vec::new();
            e.read_to_end(&mut data).expect("entry data");
            (name, data)
        })
        .collect()
}

#[test]
fn edge_image_turbo() {
    let Some(edge) = edge::image() else {
        return;
    };
    let work = Work::new("edge-turbo");
    let digests: Vec<String> = edge.layers.iter().map(|p| sha256_file(p)).collect();
    let t = Instant::now();
    let mut metas: Vec<PathBuf> = Vec::new();
    for (i, layer) in edge.layers.iter().enumerate() {
        let fs_meta = work.path(format!("layer-{i}.ext4.fs.meta"));
        let index = work.path(format!("layer-{i}.gzip.meta"));
        let tgz = work.path(format!("layer-{i}.turbo.tgz"));
        let mut a = Args::new("apply").arg("--turbo");
        if metas.is_empty() {
            a = a.arg("--mkfs");
        }
        for (m, original) in metas.iter().zip(&edge.layers) {
            a = a.opt("--lower", m).opt("--lower-target", original);
        }
        let report = a
            .opt("--gzip-index", &index)
            .opt("--meta-layer", &tgz)
            .arg(layer)
            .opt("-o", &fs_meta)
            .ok();
        if i == 0 {
            // The 64 MiB of file data of layer 0 is not copied: it is mapped to the blob.
            assert!(!report.contains(" 0 remote records"), "{report}");
            let len = std::fs::metadata(&tgz).unwrap().len();
            assert!(len < 1 << 20, "layer 0 meta layer is {len} bytes");
        }
        // -o and --gzip-index hold the same bytes as the meta layer's members.
        let members = meta_members(&tgz);
        let get = |n: &str| {
            members
                .iter()
                .find(|(m, _)| m == n)
                .map(|(_, d)| d.clone())
                .unwrap_or_else(|| panic!("{} has no {n}: {members:?}", tgz.display()))
        };
        assert_eq!(get("ext4.fs.meta"), std::fs::read(&fs_meta).unwrap());
        assert_eq!(get("gzip.meta"), std::fs::read(&index).unwrap());
        assert!(get(".turbo.ociv1").is_empty());
        let info = Args::new("info").arg(&tgz).ok();
        assert!(
            info.contains("kind: TurboOCI meta layer") && info.contains("lsmt (warp)"),
            "{info}"
        );
        metas.push(tgz);
    }
    let raw = work.path("device.raw");
    let mut a = Args::new("flatten");
    for m in &metas {
        a = a.arg(m);
    }
    for original in &edge.layers {
        a = a.opt("--turbo-target", original);
    }
    a.opt("-o", &raw).ok();
    eprintln!("turbo: converted and flattened in {:.1?}", t.elapsed());
    // The data was read out of the original blobs, which stay untouched.
    let after: Vec<String> = edge.layers.iter().map(|p| sha256_file(p)).collect();
    assert_eq!(digests, after);
    for (p, d) in edge.layers.iter().zip(&after) {
        assert!(p.ends_with(d), "{} does not hash to its name", p.display());
    }
    edge::assert_device(&raw, &edge, &work);
}

/// The bare `*.fs.meta` + `--gzip-index` form of the same stack opens and flattens to an
/// e2fsck-clean device whose files read right.
#[test]
fn edge_image_turbo_bare_fs_meta() {
    let Some(edge) = edge::image() else {
        return;
    };
    let work = Work::new("edge-turbo-bare");
    let mut metas: Vec<PathBuf> = Vec::new();
    let mut indexes: Vec<PathBuf> = Vec::new();
    for (i, layer) in edge.layers.iter().enumerate() {
        let fs_meta = work.path(format!("layer-{i}.ext4.fs.meta"));
        let index = work.path(format!("layer-{i}.gzip.meta"));
        let mut a = Args::new("apply").arg("--turbo");
        if metas.is_empty() {
            a = a.arg("--mkfs");
        }
        for ((m, ix), original) in metas.iter().zip(&indexes).zip(&edge.layers) {
            a = a
                .opt("--lower", m)
                .opt("--lower-target", original)
                .opt("--lower-gzip-index", ix);
        }
        a.opt("--gzip-index", &index)
            .arg(layer)
            .opt("-o", &fs_meta)
            .ok();
        metas.push(fs_meta);
        indexes.push(index);
    }
    let raw = work.path("device.raw");
    let mut a = Args::new("flatten");
    for m in &metas {
        a = a.arg(m);
    }
    for (original, ix) in edge.layers.iter().zip(&indexes) {
        a = a.opt("--turbo-target", original).opt("--gzip-index", ix);
    }
    a.opt("-o", &raw).ok();
    common::debugfs::assert_fsck_clean(&raw);
    let expected = edge.expected_tree();
    let paths: Vec<String> = [
        "/files/size-1MiB+7",
        "/files/size-4097",
        "/files/sparse-16MiB",
        "/files/hl-cross",
    ]
    .map(String::from)
    .to_vec();
    for p in &paths {
        let out = std::process::Command::new("debugfs")
            .arg("-R")
            .arg(format!("cat \"{p}\""))
            .arg(&raw)
            .output()
            .unwrap();
        let got = common::work::hex(&<sha2::Sha256 as sha2::Digest>::digest(&out.stdout));
        assert_eq!(
            Some(&got),
            expected.entries[p].sha256.as_ref(),
            "content of {p}"
        );
    }
}

/// Plain tar layers: no gzip index, the meta points straight into the tar blobs.
#[test]
fn edge_image_turbo_from_plain_tars() {
    let Some(edge) = edge::uncompressed() else {
        return;
    };
    let work = Work::new("edge-turbo-tar");
    let mut metas: Vec<PathBuf> = Vec::new();
    for (i, layer) in edge.layers.iter().enumerate() {
        let tgz = work.path(format!("layer-{i}.turbo.tgz"));
        let mut a = Args::new("apply").arg("--turbo");
        if metas.is_empty() {
            a = a.arg("--mkfs");
        }
        for (m, original) in metas.iter().zip(&edge.layers) {
            a = a.opt("--lower", m).opt("--lower-target", original);
        }
        a.opt("--meta-layer", &tgz)
            .arg(layer)
            .opt("-o", work.path(format!("layer-{i}.ext4.fs.meta")))
            .ok();
        let names: Vec<String> = meta_members(&tgz).into_iter().map(|(n, _)| n).collect();
        assert!(!names.contains(&"gzip.meta".to_string()), "{names:?}");
        metas.push(tgz);
    }
    let raw = work.path("device.raw");
    let mut a = Args::new("flatten");
    for m in &metas {
        a = a.arg(m);
    }
    for original in &edge.layers {
        a = a.opt("--turbo-target", original);
    }
    a.opt("-o", &raw).ok();
    edge::assert_device(&raw, &edge, &work);
}

//! The shared edge-case image (`../shared/fixtures/make-edge-image.py`), generated once and
//! cached in the target dir, and the checks a device converted from it must pass.

use super::debugfs;
use super::mount::LoopMount;
use super::tree::Tree;
use super::work::{Work, profile_dir};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Edge {
    pub dir: PathBuf,
    /// Layer blobs (gzip), bottom first.
    pub layers: Vec<PathBuf>,
    pub diff_ids: Vec<String>,
    pub doc: Value,
}

pub fn shared() -> Option<PathBuf> {
    let s = convertor_tests::shared_dir();
    if s.is_none() {
        eprintln!("note: ../shared is absent, test skipped");
    }
    s
}

/// The edge image (gzip layers), generated on first use under a lock (test binaries run one
/// after the other, but tests inside one run in parallel); None when ../shared is absent.
pub fn image() -> Option<Edge> {
    variant("edge-image", &[])
}

/// The edge image with plain tar layers.
pub fn uncompressed() -> Option<Edge> {
    variant("edge-image-tar", &["--uncompressed"])
}

fn variant(name: &str, options: &[&str]) -> Option<Edge> {
    let shared = shared()?;
    let cache = profile_dir().join("e2e-cache");
    std::fs::create_dir_all(&cache).expect("creating the cache dir");
    let lock =
        std::fs::File::create(cache.join(format!("{name}.lock"))).expect("creating the lock file");
    lock.lock().expect("locking the edge image cache");
    let dir = cache.join(name);
    let done = dir.join(".complete");
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let out = Command::new("python3")
            .arg(shared.join("fixtures/make-edge-image.py"))
            .arg(&dir)
            .args(options)
            .output()
            .expect("running python3");
        assert!(
            out.status.success(),
            "make-edge-image.py failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(&done, b"").expect("marking the cache complete");
    }
    drop(lock);
    let doc: Value = serde_json::from_slice(
        &std::fs::read(dir.join("expected-tree.json")).expect("reading expected-tree.json"),
    )
    .expect("parsing expected-tree.json");
    let layers_doc = doc["image"]["layers"].as_array().expect("image.layers");
    let layers = layers_doc
        .iter()
        .map(|l| {
            let d = l["digest"].as_str().expect("digest");
            dir.join("blobs/sha256")
                .join(d.trim_start_matches("sha256:"))
        })
        .collect();
    let diff_ids = layers_doc
        .iter()
        .map(|l| l["diff_id"].as_str().expect("diff_id").to_string())
        .collect();
    Some(Edge {
        dir,
        layers,
        diff_ids,
        doc,
    })
}

impl Edge {
    pub fn expected_path(&self) -> PathBuf {
        self.dir.join("expected-tree.json")
    }

    pub fn expected_tree(&self) -> Tree {
        Tree::from_json(&self.doc)
    }

    /// The layers' LSMT uuids as the convertor derives them: chainID[0] = diff_id[0],
    /// chainID[i] = sha256(chainID[i-1] + " " + diff_id[i]); the first 32 hex digits as a uuid.
    pub fn chain_uuids(&self) -> Vec<String> {
        let mut chain = String::new();
        self.diff_ids
            .iter()
            .map(|d| {
                chain = if chain.is_empty() {
                    d.clone()
                } else {
                    format!(
                        "sha256:{}",
                        super::work::hex(&Sha256::digest(format!("{chain} {d}")))
                    )
                };
                let h = chain.trim_start_matches("sha256:");
                format!(
                    "{}-{}-{}-{}-{}",
                    &h[0..8],
                    &h[8..12],
                    &h[12..16],
                    &h[16..20],
                    &h[20..32]
                )
            })
            .collect()
    }
}

/// All the checks of a device converted from the edge image: e2fsck clean, the shared
/// verifier on a kernel mount (root), the tree through debugfs, and the sparse member's
/// holes still holes.
pub fn assert_device(raw: &Path, edge: &Edge, work: &Work) {
    let t = std::time::Instant::now();
    debugfs::assert_fsck_clean(raw);
    eprintln!("  e2fsck clean in {:.1?}", t.elapsed());

    let t = std::time::Instant::now();
    if let Some(m) = LoopMount::new(raw, &work.path("mnt")) {
        let shared = convertor_tests::shared_dir().expect("shared");
        let out = Command::new("python3")
            .arg(shared.join("fixtures/verify-edge-image.py"))
            .arg("--compare")
            .arg(m.dir())
            .arg("--expected")
            .arg(edge.expected_path())
            .args(["--ignore", "/lost+found"])
            .output()
            .expect("running verify-edge-image.py");
        assert!(
            out.status.success(),
            "verify-edge-image.py on the kernel mount of {}:\n{}{}",
            raw.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let sparse = std::fs::symlink_metadata(m.dir().join("files/sparse-16MiB"))
            .expect("stat of the sparse member");
        assert_sparse_blocks(std::os::unix::fs::MetadataExt::blocks(&sparse), "mount");
        eprintln!("  kernel mount matches in {:.1?}", t.elapsed());
    }

    let t = std::time::Instant::now();
    let expected = edge.expected_tree();
    debugfs::assert_tree(raw, &expected, work, &|p| {
        p.starts_with("/times/") || p == "/files/sparse-16MiB"
    });
    let st = debugfs::stat_many(raw, &["/files/sparse-16MiB".to_string()], work);
    assert_sparse_blocks(st["/files/sparse-16MiB"].blockcount, "debugfs");
    eprintln!("  debugfs tree matches in {:.1?}", t.elapsed());
}

/// The 16 MiB sparse member holds 12 KiB of data: its holes must not be allocated.
fn assert_sparse_blocks(sectors: u64, how: &str) {
    assert!(
        (1..64).contains(&sectors),
        "{how}: /files/sparse-16MiB has {sectors} 512-byte blocks allocated, expected 24 plus \
         at most an extent block"
    );
}

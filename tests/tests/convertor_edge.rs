//! The edge image converted by the real `convertor` (both formats into the same OCI layout),
//! then flattened by `obdtool flatten --layout --tag` and checked like every edge device:
//! e2fsck clean, the kernel mount and debugfs both show expected-tree.json.

mod common;

use common::edge;
use common::obd::Args;
use common::work::Work;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `<target>/<profile>/convertor`, beside obdtool.
fn convertor() -> PathBuf {
    let bin = common::obd::binary().with_file_name("convertor");
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo build -p convertor` first",
        bin.display()
    );
    bin
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).unwrap();
        }
    }
}

#[test]
fn edge_image_through_convertor_both_formats() {
    let Some(edge) = edge::image() else { return };
    let work = Work::new("convertor-edge");
    let layout = work.path("layout");
    copy_dir(&edge.dir, &layout);
    let tag = {
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
        index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"]
            .as_str()
            .expect("the edge image is tagged")
            .to_string()
    };
    let out = Command::new(convertor())
        .arg("-r")
        .arg(format!("oci:{}", layout.display()))
        .args([
            "-i",
            &tag,
            "--overlaybd",
            "edge-obd",
            "--turboOCI",
            "edge-turbo",
            "--oci",
        ])
        .arg("-d")
        .arg(work.path("convertor-work"))
        .output()
        .expect("running convertor");
    assert!(
        out.status.success(),
        "convertor failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for tag in ["edge-obd", "edge-turbo"] {
        let raw = work.path(format!("{tag}.raw"));
        Args::new("flatten")
            .opt("--layout", &layout)
            .opt("--tag", tag)
            .opt("-o", &raw)
            .ok();
        edge::assert_device(&raw, &edge, &work);
        std::fs::remove_file(&raw).unwrap();
    }
}

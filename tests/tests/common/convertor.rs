//! Runs the real `convertor` binary, built beside this test executable, on OCI layouts.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `<target>/<profile>/convertor`, beside obdtool.
pub fn binary() -> PathBuf {
    let bin = crate::common::obd::binary().with_file_name("convertor");
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo build -p convertor` first",
        bin.display()
    );
    bin
}

/// Copies an OCI layout to `to`; blobs are hard-linked when the filesystem allows (they are
/// never rewritten: new blobs get new names), the index is copied because tags rewrite it.
pub fn copy_layout(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_layout(&e.path(), &dst);
        } else if e.file_name() == "index.json"
            || e.file_name() == "oci-layout"
            || std::fs::hard_link(e.path(), &dst).is_err()
        {
            std::fs::copy(e.path(), dst).unwrap();
        }
    }
}

/// Runs `convertor -r oci:LAYOUT ARGS… -d WORK` and requires success; returns its stdout.
pub fn run_ok(layout: &Path, args: &[&str], work: &Path) -> String {
    let out = Command::new(binary())
        .arg("-r")
        .arg(format!("oci:{}", layout.display()))
        .args(args)
        .arg("-d")
        .arg(work)
        .output()
        .expect("running convertor");
    assert!(
        out.status.success(),
        "convertor {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

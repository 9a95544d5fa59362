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

/// Converts `tag` of `layout` to both formats (`--overlaybd OBD --turboOCI TURBO` plus
/// `extra`), then flattens each output with `obdtool flatten --layout` and hands the raw device
/// to `check` before removing it.
pub fn both_formats_flattened(
    layout: &Path,
    tag: &str,
    [obd, turbo]: [&str; 2],
    extra: &[&str],
    work: &Path,
    mut check: impl FnMut(&str, &Path),
) {
    let mut args = vec!["-i", tag, "--overlaybd", obd, "--turboOCI", turbo];
    args.extend_from_slice(extra);
    run_ok(layout, &args, &work.join("convertor-work"));
    for out in [obd, turbo] {
        let raw = work.join(format!("{out}.raw"));
        crate::common::obd::Args::new("flatten")
            .opt("--layout", layout)
            .opt("--tag", out)
            .opt("-o", &raw)
            .ok();
        check(out, &raw);
        std::fs::remove_file(&raw).unwrap();
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

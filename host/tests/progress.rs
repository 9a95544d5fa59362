//! Progress bars: drawn per layer when stderr is a terminal (run under `script`, a real pty),
//! never when it is not; the plain per-layer lines are printed either way.

mod pipeline_common;

use convertor_tests::sample::write_sample_image;
use pipeline_common::{assert_ok, convertor_cmd, tempdir};
use std::process::Command;

fn args(layout: &std::path::Path, work: &std::path::Path) -> Vec<String> {
    [
        "-r",
        &format!("oci:{}", layout.display()),
        "-i",
        "latest",
        "--overlaybd",
        "obd",
        "--turboOCI",
        "turbo",
        "--vsize",
        "4",
        "-d",
        &work.display().to_string(),
    ]
    .map(String::from)
    .to_vec()
}

/// A bar frame of the progress template: "[===>   ] 1.00 MiB/3.21 MiB 12.0 MiB/s".
fn has_bar(text: &str, label: &str) -> bool {
    text.lines()
        .flat_map(|l| l.split('\r'))
        .any(|l| l.contains(label) && l.contains(" [") && l.contains("B/s"))
}

#[test]
fn bars_on_a_terminal_lines_always() {
    let dir = tempdir();
    let layout = dir.path().join("layout");
    write_sample_image(&layout).unwrap();

    // Not a terminal: lines on stdout, no bar anywhere.
    let out = convertor_cmd()
        .args(args(&layout, &dir.path().join("work1")))
        .output()
        .unwrap();
    let stdout = assert_ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stdout.lines().filter(|l| l.contains(" layer ")).count(), 6);
    assert!(
        !has_bar(&stdout, "layer") && !has_bar(&stderr, "layer"),
        "{stdout}{stderr}"
    );

    // A pty: `script` runs the command on one and copies what it shows to our stdout.
    let cmd = std::iter::once(env!("CARGO_BIN_EXE_convertor").to_string())
        .chain(args(&layout, &dir.path().join("work2")))
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let base = convertor_cmd();
    let mut script = Command::new("script");
    script
        .args(["-qec", &cmd, "/dev/null"])
        .env("TERM", "xterm");
    for (k, v) in base.get_envs() {
        if let Some(v) = v {
            script.env(k, v);
        }
    }
    let out = script.output().expect("running script (util-linux)");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}");
    for label in ["overlaybd", "turboOCI"] {
        for n in 1..=3 {
            let label = format!("{label} layer {n}/3");
            assert!(has_bar(&shown, &label), "no bar for {label}:\n{shown}");
        }
    }
    assert!(shown.contains("turboOCI: tagged turbo -> "), "{shown}");
}

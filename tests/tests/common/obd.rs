//! Runs the real `obdtool` binary, built beside this test executable.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `<target>/<profile>/obdtool`. The test executable is `<target>/<profile>/deps/<name>-<hash>`
/// and `cargo build` (the Justfile's test recipe runs it first) puts binaries one level up.
pub fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("locating the test executable");
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test executable lives in <target>/<profile>/deps");
    let bin = profile.join("obdtool");
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo build -p obdtool` first",
        bin.display()
    );
    bin
}

pub fn run<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    Command::new(binary())
        .args(&args)
        .output()
        .unwrap_or_else(|e| panic!("running obdtool {args:?}: {e}"))
}

/// Runs obdtool and requires success; returns its stdout.
pub fn ok<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let out = run(&args);
    assert!(
        out.status.success(),
        "obdtool {args:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Builds argument lists from paths and strings alike.
#[derive(Default, Clone)]
pub struct Args(pub Vec<std::ffi::OsString>);

impl Args {
    pub fn new(first: &str) -> Self {
        Self(vec![first.into()])
    }

    pub fn arg(mut self, a: impl AsRef<OsStr>) -> Self {
        self.0.push(a.as_ref().to_owned());
        self
    }

    pub fn opt(self, name: &str, value: impl AsRef<OsStr>) -> Self {
        self.arg(name).arg(value)
    }

    pub fn ok(&self) -> String {
        ok(&self.0)
    }

    pub fn run(&self) -> Output {
        run(&self.0)
    }
}

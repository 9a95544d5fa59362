//! The dedup database and registry repositories: until a registry store backs the records,
//! a registry conversion does not use the database (a staging layout in the work dir is no
//! place for a record to point), says so, and converts normally.

mod common;
mod registry_support;

use common::work::Work;
use registry_support::{Auth, Registry, hello_world, ok, run};

#[test]
fn registry_conversion_does_not_use_the_database() {
    let Some(hw) = hello_world() else { return };
    let work = Work::new("dedup-registry");
    let reg = Registry::start(&work.path("registry"), Auth::Plain);
    let src = format!("oci:{}:amd64", hw.display());
    ok(["copy", "--plain", &src, &reg.repo("hello-world:amd64")]);
    let db = work.path("dedup.db");
    let out = run([
        "-r",
        &reg.repo("hello-world"),
        "--plain",
        "-i",
        "amd64",
        "--overlaybd",
        "amd64-obd",
        "--vsize",
        "1",
        "--db-type",
        "sqlite",
        "--db-str",
        &db.display().to_string(),
        "-d",
        &work.path("convert-work").display().to_string(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("the dedup database is not used for registry repositories yet"),
        "{stderr}"
    );
    assert!(!db.exists());
    assert!(reg.tags("hello-world").contains(&"amd64-obd".to_string()));
}

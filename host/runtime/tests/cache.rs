//! The compiled-code cache: a second load, in a new engine or a new process, compiles nothing.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::recompress_wasm;
use engine_runtime::{CacheOutcome, Runtime, RuntimeConfig};

const CHILD_DIR: &str = "ENGINE_RUNTIME_TEST_CACHE_DIR";

fn load(cache_dir: PathBuf) -> CacheOutcome {
    let runtime = Runtime::new(RuntimeConfig {
        cache_dir: Some(cache_dir),
        ..RuntimeConfig::default()
    })
    .unwrap();
    runtime
        .load(recompress_wasm())
        .expect("load")
        .cache_outcome()
}

fn cwasm_files(dir: &std::path::Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect()
}

/// Run alone it checks a cold load compiles and fills the cache; the test below reruns it in a
/// child process against a warm cache, where it must hit.
#[test]
fn load_with_cache_dir() {
    match std::env::var_os(CHILD_DIR) {
        Some(dir) => assert_eq!(load(dir.into()), CacheOutcome::Hit),
        None => {
            let dir = tempfile::tempdir().unwrap();
            assert_eq!(load(dir.path().into()), CacheOutcome::Miss);
            assert_eq!(cwasm_files(dir.path()).len(), 1);
        }
    }
}

#[test]
fn second_load_hits_the_cache_in_a_new_engine_and_a_new_process() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(load(dir.path().into()), CacheOutcome::Miss);
    let files = cwasm_files(dir.path());
    assert_eq!(files.len(), 1);
    let written = std::fs::metadata(&files[0]).unwrap().modified().unwrap();

    assert_eq!(load(dir.path().into()), CacheOutcome::Hit);

    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "load_with_cache_dir", "--test-threads=1"])
        .env(CHILD_DIR, dir.path())
        .status()
        .unwrap();
    assert!(status.success(), "the child process did not hit the cache");
    assert_eq!(
        cwasm_files(dir.path()),
        files,
        "the cache should hold the same single file"
    );
    assert_eq!(
        std::fs::metadata(&files[0]).unwrap().modified().unwrap(),
        written,
        "the file was rewritten"
    );
}

#[test]
fn no_cache_dir_compiles() {
    let runtime = Runtime::new(RuntimeConfig::default()).unwrap();
    assert_eq!(
        runtime.load(recompress_wasm()).unwrap().cache_outcome(),
        CacheOutcome::Disabled
    );
}

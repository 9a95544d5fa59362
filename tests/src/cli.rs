//! The `convertor` binary timed end to end on a copy of an OCI layout (bench stages).

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// `$CONVERTOR`, else `convertor` beside the running executable.
pub fn binary() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("CONVERTOR").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe()?;
    let bin = exe.with_file_name("convertor");
    if !bin.is_file() {
        bail!(
            "{} is missing: build it (`cargo build --release -p convertor`) or set CONVERTOR",
            bin.display()
        );
    }
    Ok(bin)
}

/// Copies a layout with its blobs hard-linked (never rewritten) and its index copied.
pub fn copy_layout(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let dst = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_layout(&e.path(), &dst)?;
        } else if e.file_name() == "index.json"
            || e.file_name() == "oci-layout"
            || std::fs::hard_link(e.path(), &dst).is_err()
        {
            std::fs::copy(e.path(), &dst)
                .with_context(|| format!("copying {}", e.path().display()))?;
        }
    }
    Ok(())
}

/// Converts `tag` of a copy of `layout` to one format and returns the run's wall time; the
/// engines are compiled into the cache by an untimed warm-up run first.
pub fn convert(layout: &Path, tag: &str, turbo: bool, work: &Path) -> Result<f64> {
    let flag = if turbo { "--turboOCI" } else { "--overlaybd" };
    let bin = binary()?;
    let mut seconds = 0.0;
    for round in ["warm-up", "timed"] {
        let copy = work.join(format!("layout-{round}"));
        let _ = std::fs::remove_dir_all(&copy);
        copy_layout(layout, &copy)?;
        let start = Instant::now();
        let out = Command::new(&bin)
            .arg("-r")
            .arg(format!("oci:{}", copy.display()))
            .args(["-i", tag, flag, "bench-out", "-d"])
            .arg(work.join(format!("work-{round}")))
            .env("CONVERTOR_CACHE_DIR", work.join("engine-cache"))
            .output()
            .with_context(|| format!("running {}", bin.display()))?;
        seconds = start.elapsed().as_secs_f64();
        if !out.status.success() {
            bail!("convertor failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        std::fs::remove_dir_all(&copy)?;
    }
    Ok(seconds)
}

/// The largest peak RSS of the children this process waited for, in KiB.
pub fn children_peak_rss_kib() -> u64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) } != 0 {
        return 0;
    }
    u64::try_from(usage.ru_maxrss).unwrap_or(0)
}

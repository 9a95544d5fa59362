//! `bench [LAYOUT[:TAG]]`: throughput of the conversion stages over an image's layers.
//!
//! Each stage runs in a child process so its peak RSS is its own. Figures are MB/s (10^6 bytes)
//! of uncompressed layer data; the bare codec pass (inflate + LZ4 + SHA-256 of the same data)
//! runs in the same invocation so ratios compare like with like.

use anyhow::{Context, Result, bail};
use convertor_tests::bench::{Stage, run_stage};
use std::path::PathBuf;
use std::process::Command;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--stage") {
        let stage: Stage = args.get(1).context("stage name")?.parse()?;
        let layout = PathBuf::from(args.get(2).context("layout")?);
        let tag = args.get(3).context("tag")?;
        let work = PathBuf::from(args.get(4).context("work dir")?);
        let result = run_stage(stage, &layout, tag, &work)?;
        println!("{}", serde_json::to_string(&result)?);
        return Ok(());
    }
    let spec = args.first().cloned().context("usage: bench LAYOUT[:TAG]")?;
    let (layout, tag) = match spec.rsplit_once(':') {
        Some((l, t)) if !t.contains('/') => (l.to_string(), t.to_string()),
        _ => (spec.clone(), "latest".to_string()),
    };
    let work = std::env::temp_dir().join(format!("convertor-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let exe = std::env::current_exe()?;
    println!("image {layout}:{tag}");
    println!(
        "{:<34} {:>8} {:>9} {:>9} {:>12} {:>9}",
        "stage", "MB", "seconds", "MB/s", "vs codec", "peak RSS"
    );
    let mut codec_rate = None;
    let mut rates: std::collections::HashMap<Stage, f64> = std::collections::HashMap::new();
    for stage in Stage::ALL {
        let out = Command::new(&exe)
            .args(["--stage", stage.name(), &layout, &tag])
            .arg(&work)
            .output()?;
        if !out.status.success() {
            bail!(
                "stage {} failed: {}",
                stage.name(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let r: serde_json::Value = serde_json::from_slice(&out.stdout)?;
        let mb = r["bytes"].as_f64().unwrap_or(0.0) / 1e6;
        let rate = mb / r["seconds"].as_f64().unwrap_or(1.0).max(1e-9);
        if stage == Stage::Codec {
            codec_rate = Some(rate);
        }
        rates.insert(stage, rate);
        let ratio = codec_rate
            .map(|c| format!("{:.2}x", rate / c))
            .unwrap_or_default();
        let wasm_ratio = stage
            .native_twin()
            .and_then(|n| rates.get(&n))
            .map(|n| format!("  wasm/native {:.2}", rate / n))
            .unwrap_or_default();
        let note = r["note"]
            .as_str()
            .map(|n| format!("  {n}"))
            .unwrap_or_default();
        println!(
            "{:<34} {:>8.1} {:>9.2} {:>9.1} {:>12} {:>5} MiB{wasm_ratio}{note}",
            stage.label(),
            mb,
            r["seconds"].as_f64().unwrap_or(0.0),
            rate,
            ratio,
            r["peak_rss_kib"].as_u64().unwrap_or(0) / 1024,
        );
    }
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

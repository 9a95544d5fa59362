//! `demo [OUTDIR]`: make the project's sample image, convert it to both overlaybd formats, check
//! each result with e2fsck and print what was made.

use anyhow::{Context, Result, bail};
use convertor_tests::convert::{
    Converted, convert_image_native, convert_image_turbo, open_converted,
};
use convertor_tests::image::image_layers;
use convertor_tests::sample::write_sample_image;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

const VSIZE: u64 = 64 << 30;

fn main() -> Result<()> {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/demo"));
    let _ = std::fs::remove_dir_all(&out);
    let image = out.join("sample-image");
    write_sample_image(&image)?;
    let layers = image_layers(&image, "latest")?;
    println!(
        "sample image: {} (OCI layout, tag latest), {} gzip layers",
        image.display(),
        layers.len()
    );
    for (i, l) in layers.iter().enumerate() {
        let len = std::fs::metadata(&l.path)?.len();
        println!(
            "  layer {i}: {len:>9} bytes gzip, {:>9} bytes of tar",
            l.diff_size
        );
    }
    type Convert = fn(&[convertor_tests::image::LayerBlob], u64, &Path) -> Result<Vec<Converted>>;
    let formats: [(&str, Convert); 2] = [
        ("overlaybd (native)", convert_image_native),
        ("TurboOCI", convert_image_turbo),
    ];
    for (name, convert) in formats {
        let dir = out.join(
            name.split_whitespace()
                .next()
                .unwrap_or(name)
                .to_lowercase(),
        );
        std::fs::create_dir_all(&dir)?;
        let done: Vec<Converted> = convert(&layers, VSIZE, &dir)?;
        println!("\n{name}:");
        for (i, c) in done.iter().enumerate() {
            println!(
                "  layer {i}: {:>9} bytes  {}  ({})",
                c.blob_len,
                c.blob.display(),
                c.detail
            );
        }
        let raw = dir.join("merged.raw");
        let stack = open_converted(&done)?;
        let mut file = File::create(&raw)?;
        file.set_len(stack.virtual_size())?;
        layer::flatten(&stack, &mut file)?;
        println!(
            "  merged device: {} ({} GiB, sparse)",
            raw.display(),
            stack.virtual_size() >> 30
        );
        println!("  e2fsck -fn: {}", e2fsck(&raw)?);
        println!("  tree (debugfs ls -l /usr/bin):");
        for line in debugfs(&raw, "ls -l /usr/bin")?
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            println!("    {}", line.trim());
        }
    }
    Ok(())
}

fn e2fsck(raw: &Path) -> Result<String> {
    let out = Command::new("e2fsck")
        .arg("-fn")
        .arg(raw)
        .output()
        .context("running e2fsck")?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!("e2fsck found problems:\n{text}");
    }
    Ok(format!(
        "clean, {}",
        text.lines()
            .last()
            .unwrap_or("")
            .split(": ")
            .last()
            .unwrap_or("")
    ))
}

fn debugfs(raw: &Path, request: &str) -> Result<String> {
    let out = Command::new("debugfs")
        .args(["-R", request])
        .arg(raw)
        .output()
        .context("running debugfs")?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

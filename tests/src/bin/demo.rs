//! `demo [OUTDIR]`: make the project's sample image, convert it to both overlaybd formats with
//! the real `convertor` binary (`$CONVERTOR`, default `target/debug/convertor`), then flatten
//! each result, check it with e2fsck and print what was made.

use anyhow::{Context, Result, bail};
use convertor_tests::image::{blob_path, image_layers};
use convertor_tests::sample::write_sample_image;
use convertor_tests::tools::{debugfs, e2fsck_clean};
use layer::LayerSource;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const TURBO_TARGET: &str = "containerd.io/snapshot/overlaybd/turbo-oci/target-digest";

fn main() -> Result<()> {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/demo"));
    let convertor = std::env::var_os("CONVERTOR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/debug/convertor"));
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

    let args = [
        "-r".to_string(),
        format!("oci:{}", image.display()),
        "-i".into(),
        "latest".into(),
        "--overlaybd".into(),
        "obd".into(),
        "--turboOCI".into(),
        "turbo".into(),
        "-d".into(),
        out.join("work").display().to_string(),
    ];
    println!("\n$ {} {}", convertor.display(), args.join(" "));
    let start = Instant::now();
    let status = Command::new(&convertor)
        .args(&args)
        .status()
        .with_context(|| format!("running {}", convertor.display()))?;
    if !status.success() {
        bail!("convertor failed ({status})");
    }
    println!("(converted in {:.2?})", start.elapsed());

    for (name, tag) in [("overlaybd (native)", "obd"), ("TurboOCI", "turbo")] {
        println!("\n{name}, tag {tag}:");
        let manifest = tagged_manifest(&image, tag)?;
        let raw = out.join(format!("{tag}.raw"));
        let size = flatten(&image, &manifest, &raw)?;
        println!(
            "  merged device: {} ({} GiB, sparse)",
            raw.display(),
            size >> 30
        );
        let fsck = e2fsck_clean(&raw)?;
        println!(
            "  e2fsck -fn: clean, {}",
            fsck.lines()
                .find(|l| l.contains(" files ("))
                .unwrap_or("")
                .split(": ")
                .last()
                .unwrap_or("")
        );
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

fn read_json(path: &Path) -> Result<serde_json::Value> {
    serde_json::from_slice(
        &std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
    )
    .with_context(|| format!("parsing {}", path.display()))
}

/// The manifest `tag` names in the layout's `index.json`.
fn tagged_manifest(layout: &Path, tag: &str) -> Result<serde_json::Value> {
    let index = read_json(&layout.join("index.json"))?;
    let entry = index["manifests"]
        .as_array()
        .and_then(|m| {
            m.iter()
                .find(|e| e["annotations"]["org.opencontainers.image.ref.name"] == tag)
        })
        .with_context(|| format!("tag {tag} is missing from {}", layout.display()))?;
    let digest = entry["digest"].as_str().unwrap_or_default();
    println!(
        "  manifest {digest} ({} bytes)",
        entry["size"].as_u64().unwrap_or_default()
    );
    read_json(&blob_path(layout, digest)?)
}

/// Flattens the manifest's layers into a sparse raw device; returns its size.
fn flatten(layout: &Path, manifest: &serde_json::Value, raw: &Path) -> Result<u64> {
    let mut sources = Vec::new();
    for (i, l) in manifest["layers"]
        .as_array()
        .context("the manifest has no layers")?
        .iter()
        .enumerate()
    {
        let digest = l["digest"].as_str().unwrap_or_default();
        let blob = File::open(blob_path(layout, digest)?)?;
        println!(
            "  layer {i}: {:>9} bytes  {digest}",
            l["size"].as_u64().unwrap_or_default()
        );
        sources.push(match l["annotations"][TURBO_TARGET].as_str() {
            None => LayerSource::Native(Box::new(blob)),
            Some(target) => LayerSource::from_meta_layer(
                BufReader::new(blob),
                Box::new(File::open(blob_path(layout, target)?)?),
            )?,
        });
    }
    let stack = layer::open_stack(sources)?;
    let mut file = File::create(raw)?;
    file.set_len(stack.virtual_size())?;
    layer::flatten(&stack, &mut file)?;
    Ok(stack.virtual_size())
}

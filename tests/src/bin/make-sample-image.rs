//! Writes the project's sample image as an OCI layout: `make-sample-image OUTDIR`.

use anyhow::{Context, Result};

fn main() -> Result<()> {
    let out = std::env::args_os()
        .nth(1)
        .context("usage: make-sample-image OUTDIR")?;
    convertor_tests::sample::write_sample_image(std::path::Path::new(&out))?;
    println!(
        "sample image written to {} (tag latest)",
        std::path::Path::new(&out).display()
    );
    Ok(())
}

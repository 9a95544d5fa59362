//! `obdtool zfile [-x] IN OUT`: overlaybd-zfile's job (tar-wrapped input accepted with -x).

use crate::staged::Staged;
use anyhow::{Context, Result, bail};
use blockio::ReadAt;
use layer::open_blob;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use zfile::{Algorithm, Options, ZFileWriter};

#[derive(clap::Args)]
pub struct Args {
    /// Decompress instead of compress.
    #[arg(short = 'x', long)]
    extract: bool,
    /// Only check every block's checksum.
    #[arg(long, conflicts_with = "extract")]
    verify: bool,
    /// lz4 (default) or zstd.
    #[arg(long, default_value = "lz4")]
    algorithm: String,
    /// Block size in KiB: 4, 8, 16, 32 or 64.
    #[arg(long, default_value_t = 4)]
    bs: u32,
    /// Wrap the output in the overlaybd.commit tar.
    #[arg(short = 't', long)]
    tar: bool,
    input: PathBuf,
    output: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<()> {
    let input =
        File::open(&args.input).with_context(|| format!("opening {}", args.input.display()))?;
    if args.verify || args.extract {
        let opened = open_blob(Box::new(input)).context("opening the ZFile")?;
        if opened.container.zfile.is_none() {
            bail!("{} is not a ZFile", args.input.display());
        }
        if args.verify {
            let mut buf = vec![0u8; 1 << 20];
            let mut pos = 0;
            while pos < opened.stream.size() {
                let n = opened.stream.read_at(pos, &mut buf)?;
                pos += n as u64;
            }
            println!("{}: all blocks verified", args.input.display());
            return Ok(());
        }
        let out_path = args.output.context("give the output path")?;
        let mut staged = Staged::default();
        let mut out = BufWriter::new(staged.create(&out_path)?);
        let mut buf = vec![0u8; 1 << 20];
        let mut pos = 0;
        loop {
            let n = opened.stream.read_at(pos, &mut buf)?;
            if n == 0 {
                break;
            }
            out.write_all(&buf[..n])?;
            pos += n as u64;
        }
        out.flush()?;
        drop(out);
        staged.commit()?;
        println!(
            "{} -> {} ({} bytes)",
            args.input.display(),
            out_path.display(),
            pos
        );
        return Ok(());
    }
    let algorithm = match args.algorithm.as_str() {
        "lz4" => Algorithm::Lz4,
        "zstd" => Algorithm::Zstd,
        other => bail!("unknown algorithm {other:?}: use lz4 or zstd"),
    };
    let options = Options {
        algorithm,
        block_size: args.bs * 1024,
        rewrite_header: false,
        ..Options::default()
    };
    let out_path = args.output.context("give the output path")?;
    let mut staged = Staged::default();
    let out = staged.create(&out_path)?;
    let mut reader = std::io::BufReader::new(input);
    let summary = if args.tar {
        let mut wrap = tarwrap::TarWrapWriter::new(out)?;
        let mut z = ZFileWriter::new(wrap.inner_mut(), options)?;
        std::io::copy(&mut reader, &mut z)?;
        let (_, summary) = z.finish()?;
        wrap.finish()?;
        summary
    } else {
        let mut z = ZFileWriter::new(out, options)?;
        std::io::copy(&mut reader, &mut z)?;
        z.finish()?.1
    };
    staged.commit()?;
    println!(
        "{} -> {}: {} -> {} bytes in {} blocks",
        args.input.display(),
        out_path.display(),
        summary.original_len,
        summary.compressed_len,
        summary.blocks
    );
    Ok(())
}

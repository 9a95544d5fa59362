//! `obdtool info BLOB`.

use anyhow::{Context, Result};
use layer::{DynRead, open_blob, read_turbo_meta};
use lsmt::{LsmtFile, Record};
use std::fs::File;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    blob: PathBuf,
}

pub fn run(args: Args) -> Result<()> {
    let file =
        File::open(&args.blob).with_context(|| format!("opening {}", args.blob.display()))?;
    let mut magic = [0u8; 8];
    blockio::ReadAt::read_zero_fill(&file, 0, &mut magic)?;
    if magic == gzindex::MAGIC {
        return gzip_index(&args.blob);
    }
    if magic[..2] == [0x1f, 0x8b] {
        let meta = read_turbo_meta(&file).context("reading a TurboOCI meta layer")?;
        println!("kind: TurboOCI meta layer (gzip'ed tar)");
        println!(
            "fs meta: {}.fs.meta, {} bytes",
            meta.fstype,
            meta.fs_meta.len()
        );
        println!("marker .turbo.ociv1: {}", meta.marker);
        if let Some(g) = &meta.gzip_meta {
            println!("gzip.meta: {} bytes", g.len());
        }
        return lsmt_info(Box::new(meta.fs_meta), true);
    }
    // A bare TurboOCI fs meta is a warp LSMT: its remote records point outside the file.
    let warp = args.blob.to_string_lossy().ends_with(".fs.meta");
    lsmt_info(Box::new(file), warp)
}

fn lsmt_info(blob: DynRead, warp: bool) -> Result<()> {
    let opened = open_blob(blob).context("detecting the container")?;
    if let Some((offset, len)) = opened.container.tar {
        println!("tar wrapper: payload at {offset}, {len} bytes");
    }
    if let Some(z) = &opened.container.zfile {
        println!(
            "zfile: {:?}, block size {}, {} blocks, {} -> {} bytes, header flags {:#x}, index from {}",
            z.algorithm,
            z.block_size,
            z.blocks,
            z.compressed,
            z.original,
            z.header_flags,
            if z.index_from_header {
                "header"
            } else {
                "trailer"
            },
        );
    }
    let records = if warp {
        let w = lsmt::WarpFile::open(opened.stream, Vec::<u8>::new())?;
        print_header("lsmt (warp)", w.file());
        w.records().to_vec()
    } else {
        let f = LsmtFile::open(opened.stream).context("parsing the LSMT layer")?;
        print_header("lsmt", &f);
        f.records().to_vec()
    };
    summarize(&records);
    Ok(())
}

fn print_header<R: blockio::ReadAt>(what: &str, f: &LsmtFile<R>) {
    let (h, t) = (f.header(), f.trailer());
    println!("{what}: virtual size {} bytes", f.virtual_size());
    println!("  uuid {}  parent {}", h.uuid, h.parent_uuid);
    println!(
        "  header flags {:#x}, trailer flags {:#x}, index at {} ({} records incl. padding)",
        h.flags, t.flags, t.index_offset, t.index_size
    );
    if !h.user_tag().is_empty() {
        println!("  tag {:?}", String::from_utf8_lossy(h.user_tag()));
    }
}

fn summarize(records: &[Record]) {
    let count = |f: &dyn Fn(&Record) -> bool| records.iter().filter(|r| f(r)).count();
    let sectors = |f: &dyn Fn(&Record) -> bool| -> u64 {
        records
            .iter()
            .filter(|r| f(r))
            .map(|r| u64::from(r.length))
            .sum()
    };
    println!(
        "records: {} ({} data, {} zeroed, {} remote); mapped {} bytes, zeroed {} bytes, remote {} bytes",
        records.len(),
        count(&|r| !r.zeroed && r.tag == 0),
        count(&|r| r.zeroed),
        count(&|r| r.tag != 0),
        sectors(&|r| !r.zeroed && r.tag == 0) * 512,
        sectors(&|r| r.zeroed) * 512,
        sectors(&|r| r.tag != 0) * 512,
    );
}

fn gzip_index(path: &PathBuf) -> Result<()> {
    let bytes = std::fs::read(path)?;
    let index = gzindex::GzIndex::from_bytes(&bytes).context("parsing the gzip index")?;
    println!("kind: gzip index (gzip.meta)");
    println!(
        "span {}, {} checkpoints, gzip file {} bytes, uncompressed {} bytes",
        index.span,
        index.entries.len(),
        index.gzip_file_size,
        index.uncompress_file_size
    );
    Ok(())
}

//! `obdtool`: inspect, flatten and build overlaybd layers by hand, and check them with e2fsprogs.

mod apply;
mod flatten;
mod info;
mod layout;
mod staged;
mod zfilecmd;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "obdtool",
    version,
    about = "Inspect, flatten and build overlaybd layers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Tell what a blob is: tar wrapper, ZFile, LSMT header and records, gzip index.
    Info(info::Args),
    /// Write the merged device of a layer stack (bottom first) as a sparse raw image.
    Flatten(flatten::Args),
    /// Compress a file into a ZFile, or decompress one with -x.
    Zfile(zfilecmd::Args),
    /// Convert one layer tar onto mkfs or lower layers into an overlaybd (or TurboOCI) layer.
    Apply(apply::Args),
}

fn main() {
    let cli = Cli::parse();
    let result: Result<()> = match cli.command {
        Command::Info(a) => info::run(a),
        Command::Flatten(a) => flatten::run(a),
        Command::Zfile(a) => zfilecmd::run(a),
        Command::Apply(a) => apply::run(a),
    };
    if let Err(e) = result {
        eprintln!("obdtool: {}", one_line(&e));
        std::process::exit(1);
    }
}

/// The error and its causes on one line. Library errors quote their source in their own
/// message, so a cause already contained in the text so far is left out.
fn one_line(e: &anyhow::Error) -> String {
    let mut msg = String::new();
    for text in e.chain().map(|c| c.to_string()) {
        if msg.is_empty() {
            msg = text;
        } else if !msg.contains(&text) {
            msg = format!("{msg}: {text}");
        }
    }
    msg
}

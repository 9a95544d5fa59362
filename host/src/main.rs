//! `convertor`: parses and validates the command line, resolves the source, then converts.
//! The conversion itself is not wired to the engine runtime yet.

use anyhow::{Result, bail};
use convertor::cli::{self, Command, Options, Repository};
use convertor::layout::Layout;
use convertor::plan::plan_layout;
use std::process::ExitCode;

/// Exit status of a rejected command line (1 is a failed run).
const USAGE_EXIT: u8 = 2;

fn main() -> ExitCode {
    match cli::parse(std::env::args_os()) {
        Ok(Command::Print(text)) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Ok(Command::Run(opts)) => run(&opts),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(USAGE_EXIT)
        }
    }
}

fn run(opts: &Options) -> ExitCode {
    for w in &opts.warnings {
        eprintln!("warning: {w}");
    }
    match convert(opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let msg = format!("{e:#}");
            if opts.json {
                let mut out = b"{\"error\":".to_vec();
                convertor::gojson::write_string(&mut out, &msg);
                out.push(b'}');
                println!("{}", String::from_utf8_lossy(&out));
            }
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn convert(opts: &Options) -> Result<()> {
    match &opts.repository {
        Repository::Layout(dir) => {
            let layout = Layout::open(dir)?;
            let plan = plan_layout(&layout, &opts.source, &opts.platforms)?;
            for w in &plan.graph.warnings {
                eprintln!("warning: {w}");
            }
            bail!(
                "conversion is not wired yet: {} resolved to {} with {} manifest(s), \
                 but the engine runtime is not connected",
                dir.display(),
                plan.root.digest,
                plan.graph.root.images().len()
            )
        }
        Repository::Registry { host, path } => bail!(
            "registry access is not wired yet ({host}/{path}); use -r oci:DIR with an OCI layout"
        ),
    }
}

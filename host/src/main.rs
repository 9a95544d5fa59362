//! `convertor`: parses and validates the command line, resolves the source, then converts.
//! OCI image layouts (`-r oci:DIR`) are converted in place; registry images are pulled into a
//! staging layout, converted, and pushed back. `convertor copy SRC DST` copies images.

use anyhow::Result;
use convertor::cli::{self, Command, Options, Repository};
use convertor::layout::Layout;
use convertor::pipeline::{Events, RunReport, convert_layout};
use convertor::plan::plan_layout;
use convertor::progress::Terminal;
use std::process::ExitCode;

/// Exit status of a rejected command line (1 is a failed run).
const USAGE_EXIT: u8 = 2;

fn main() -> ExitCode {
    let mut argv = std::env::args_os();
    if std::env::args_os().nth(1).is_some_and(|a| a == "copy") {
        return copy(argv.by_ref().skip(2));
    }
    match cli::parse(argv) {
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
        Ok(report) => {
            if opts.json {
                println!("{}", report.to_json());
            } else {
                for line in report.summary_lines() {
                    println!("{line}");
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            let msg = one_line(&e);
            if opts.json {
                let mut out = b"{\"error\":".to_vec();
                convertor::gojson::write_string(&mut out, &msg);
                out.push(b'}');
                println!("{}", String::from_utf8_lossy(&out));
            }
            eprintln!("error: {msg}");
            // 128 + the signal when a registry run was stopped by SIGINT/SIGTERM.
            convertor::interrupt::exit_status().map_or(ExitCode::FAILURE, ExitCode::from)
        }
    }
}

fn convert(opts: &Options) -> Result<RunReport> {
    match &opts.repository {
        Repository::Layout(dir) => {
            let layout = Layout::open(dir)?;
            let plan = plan_layout(&layout, &opts.source, &opts.platforms)?;
            for w in &plan.graph.warnings {
                eprintln!("warning: {w}");
            }
            let terminal = Terminal::new();
            let events: Option<&dyn Events> = if opts.json { None } else { Some(&terminal) };
            convert_layout(&layout, &plan, opts, events)
        }
        Repository::Registry { host, path } => {
            let terminal = Terminal::new();
            let events: Option<&dyn Events> = if opts.json { None } else { Some(&terminal) };
            convertor::registry::convert_registry(host, path, opts, events)
        }
    }
}

/// `convertor copy SRC DST [flags]`.
fn copy(args: impl Iterator<Item = std::ffi::OsString>) -> ExitCode {
    use convertor::registry::{CopyCommand, copy_main, parse_copy};
    match parse_copy(args) {
        Ok(CopyCommand::Print(text)) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Ok(CopyCommand::Run(a)) => match copy_main(&a) {
            Ok(r) => {
                println!(
                    "copied {} to {}: {} ({} manifests, {} blobs)",
                    a.src, a.dst, r.root.digest, r.documents, r.blobs
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {}", one_line(&e));
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(USAGE_EXIT)
        }
    }
}

/// An error chain on one line, whatever the engine or a tool put in the message.
fn one_line(e: &anyhow::Error) -> String {
    format!("{e:#}")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

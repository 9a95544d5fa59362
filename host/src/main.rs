//! `convertor`: parses and validates the command line, resolves the source, then converts.
//! OCI image layouts (`-r oci:DIR`) are converted in place; registries are not wired yet.

use anyhow::{Result, bail};
use convertor::cli::{self, Command, Options, Repository};
use convertor::layout::Layout;
use convertor::pipeline::{Events, RunReport, convert_layout};
use convertor::plan::plan_layout;
use convertor::progress::Terminal;
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
            // One line, whatever the engine or a tool put in the message.
            let msg = format!("{e:#}")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
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
        Repository::Registry { host, path } => bail!(
            "registry access is not wired yet ({host}/{path}); use -r oci:DIR with an OCI layout"
        ),
    }
}

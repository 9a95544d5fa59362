//! The command line: upstream's flags with clap, validated into [`Options`].

mod args;
mod gobool;
mod options;

pub use args::Args;
pub use gobool::parse_go_bool;
pub use options::{
    Credentials, Dedup, EngineLimits, EngineOption, EngineOverride, Format, FsType, Options,
    Repository, Selector, Target, TlsOptions, UsageError, tag_addresses,
};

use clap::Parser;
use std::ffi::OsString;

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    /// Run a conversion.
    Run(Box<Options>),
    /// Print this text on stdout and exit 0 (`--help`, `--version`).
    Print(String),
}

/// A rejected command line, rendered as one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CliError(pub String);

/// Parses and validates a full argv (program name first).
pub fn parse<I, T>(argv: I) -> Result<Command, CliError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args = match Args::try_parse_from(argv) {
        Ok(a) => a,
        Err(e) => {
            use clap::error::ErrorKind;
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    Ok(Command::Print(e.render().to_string()))
                }
                _ => {
                    let mut line = first_line(&e.render().to_string());
                    if e.kind() == ErrorKind::UnknownArgument
                        && (line.ends_with("'false' found") || line.ends_with("'true' found"))
                    {
                        line.push_str(" (boolean flags take their value as --flag=false)");
                    }
                    Err(CliError(line))
                }
            };
        }
    };
    Options::from_args(args)
        .map(|o| Command::Run(Box::new(o)))
        .map_err(|e| CliError(format!("error: {e}")))
}

/// clap's first line carries the message; the rest is usage and tips.
fn first_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("error: invalid command line")
        .to_string()
}

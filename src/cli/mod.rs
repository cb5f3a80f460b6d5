//! Command-line parsing and dispatch.

mod convert;
mod exit;
mod generate;
mod spec_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Backfill, resync and clean up Jira's incidents and post-incident reviews.
#[derive(Debug, Parser)]
#[command(name = "jira-ops", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Keep the vendored OpenAPI fragment aligned with Atlassian's file.
    #[command(subcommand)]
    Spec(spec_cmd::SpecCommand),
    /// Map the public post-incident dataset to incident and review NDJSON files.
    ConvertPostmortems(convert::ConvertArgs),
    /// Write synthetic incidents as NDJSON, for load tests and benchmarks.
    Generate(generate::GenerateArgs),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Spec(command) => spec_cmd::run(command),
        Command::ConvertPostmortems(args) => convert::run(args),
        Command::Generate(args) => generate::run(args),
    }
}

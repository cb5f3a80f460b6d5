//! Command-line parsing and dispatch.

/// `println!` that survives a closed standard output (see [`out`]).
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::out::text(format_args!("{}\n", format_args!($($arg)*)))
    };
}

mod config;
mod convert;
mod demo;
mod emulator_cmd;
mod exit;
mod generate;
mod ops;
mod out;
mod spec_cmd;
mod submit;

use std::io::IsTerminal as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Backfill, resync and clean up the incidents and post-incident reviews a Connect app sends
/// to Jira Software's Operations API.
///
/// Exit codes: 0 everything done; 1 something was not (records failed, rejected or
/// unconfirmed, a call failed); 2 bad usage, configuration or input; 3 `spec check` found the
/// fragment stale; 130 interrupted.
#[derive(Debug, Parser)]
#[command(name = "jira-ops", version, long_about)]
struct Cli {
    /// Log what happens (to stderr): -v for requests, -vv for everything.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(flatten)]
    site: config::SiteArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Submit incidents or reviews from a file or standard input.
    #[command(after_long_help = submit::AFTER_HELP)]
    Submit(submit::SubmitArgs),
    /// Print one stored incident or review.
    Get(ops::GetArgs),
    /// Delete incidents or reviews by ID.
    Delete(ops::DeleteArgs),
    /// Delete every incident and review submitted with the given properties.
    DeleteByProperty(ops::DeleteByPropertyArgs),
    /// Link, list or unlink workspaces.
    #[command(subcommand)]
    Workspaces(ops::WorkspacesCommand),
    /// Serve an Operations API emulator on this machine.
    Emulator(emulator_cmd::EmulatorArgs),
    /// Run the demo: real post-incident data through an embedded emulator.
    Demo(demo::DemoArgs),
    /// Keep the vendored OpenAPI fragment aligned with Atlassian's file.
    #[command(subcommand)]
    Spec(spec_cmd::SpecCommand),
    /// Write synthetic incidents as NDJSON, for load tests and benchmarks.
    Generate(generate::GenerateArgs),
    /// Map the public post-incident dataset to incident and review NDJSON files.
    ConvertPostmortems(convert::ConvertArgs),
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info,jira_operations=debug",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colours only on a terminal: escape codes make a log file or a pipe hard to read.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}

/// The site flags, which only the commands that call a Jira site read.
/// Each is its argument ID and its long name.
const SITE_FLAGS: &[(&str, &str)] = &[
    ("installation", "installation"),
    ("base_url", "base-url"),
    ("app_key", "app-key"),
    ("client_key", "client-key"),
    ("shared_secret", "shared-secret"),
    ("timeout", "timeout"),
];

/// The site flag given on the command line to a command that does not call a site, if any.
/// Values from the environment are not counted: they are meant for every command.
fn unused_site_flag(matches: &clap::ArgMatches) -> Option<String> {
    let (name, sub) = matches.subcommand()?;
    if SITE_COMMANDS.contains(&name) {
        return None;
    }
    let given = |m: &clap::ArgMatches, id: &str| {
        m.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
    };
    SITE_FLAGS
        .iter()
        .find(|(id, _)| given(matches, id) || given(sub, id))
        .map(|(_, long)| format!("--{long} is not used by `jira-ops {name}`"))
}

/// The site flags whose values came from their environment variables rather than the
/// command line, at whichever level of subcommands clap read them.
fn site_flags_from_environment(matches: &clap::ArgMatches) -> Vec<&'static str> {
    use clap::parser::ValueSource;

    let mut levels = vec![matches];
    while let Some((_, sub)) = levels[levels.len() - 1].subcommand() {
        levels.push(sub);
    }
    SITE_FLAGS
        .iter()
        .filter(|(id, _)| {
            let sources: Vec<ValueSource> = levels
                .iter()
                .filter(|m| matches!(m.try_contains_id(id), Ok(true)))
                .filter_map(|m| m.value_source(id))
                .collect();
            sources.contains(&ValueSource::EnvVariable)
                && !sources.contains(&ValueSource::CommandLine)
        })
        .map(|(id, _)| *id)
        .collect()
}

/// The commands that call a Jira site, and so read the site flags.
const SITE_COMMANDS: &[&str] = &[
    "submit",
    "get",
    "delete",
    "delete-by-property",
    "workspaces",
];

/// `command` with the site flags left out of the help of the commands that do not read them.
/// The flags are global, so clap would list them under every command; a command's own hidden
/// flag of the same name takes the place of the global one there. Given anyway, it is refused
/// by [`unused_site_flag`].
fn without_site_help(command: clap::Command) -> clap::Command {
    let names: Vec<String> = command
        .get_subcommands()
        .map(|sc| sc.get_name().to_string())
        .filter(|name| !SITE_COMMANDS.contains(&name.as_str()))
        .collect();
    names.iter().fold(command, |command, name| {
        command.mut_subcommand(name, |sc| {
            sc.args(
                SITE_FLAGS
                    .iter()
                    .map(|(id, long)| clap::Arg::new(*id).long(*long).hide(true).num_args(1)),
            )
        })
    })
}

pub fn main() -> ExitCode {
    use clap::{CommandFactory as _, FromArgMatches as _};

    let matches = without_site_help(Cli::command()).get_matches();
    if let Some(problem) = unused_site_flag(&matches) {
        return exit::usage(&problem);
    }
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    cli.site.from_environment = site_flags_from_environment(&matches);
    init_tracing(cli.verbose);

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return exit::usage(&format!("cannot start the async runtime: {e}")),
    };
    let site = cli.site;
    runtime.block_on(async move {
        match cli.command {
            Command::Submit(args) => submit::run(&site, args).await,
            Command::Get(args) => ops::get(&site, args).await,
            Command::Delete(args) => ops::delete(&site, args).await,
            Command::DeleteByProperty(args) => ops::delete_by_property(&site, args).await,
            Command::Workspaces(command) => ops::workspaces(&site, command).await,
            Command::Emulator(args) => emulator_cmd::run(args).await,
            Command::Demo(args) => demo::run(args).await,
            Command::Spec(command) => spec_cmd::run(command),
            Command::Generate(args) => generate::run(args),
            Command::ConvertPostmortems(args) => convert::run(args),
        }
    })
}

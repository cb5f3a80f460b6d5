//! `jira-ops`: the command line for Jira Software's Operations API.
//!
//! For the people who backfill, resync and clean up the incidents and post-incident reviews
//! a Connect app sends to Jira. Run `jira-ops --help`.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}

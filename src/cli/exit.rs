//! Exit codes, shared by every subcommand.
//!
//! - 0: everything asked for was done (every record accepted, every wait confirmed).
//! - 1: the command ran but not everything succeeded (records failed, rejected or
//!   unconfirmed; an API call failed).
//! - 2: bad usage, configuration or input that stopped the command before it did anything.
//! - 3: `spec check` found the vendored fragment stale.
//! - 130: `submit` was interrupted (Ctrl-C); the report of what was read is printed.

use std::process::ExitCode;

/// Not everything succeeded.
pub const PARTIAL: u8 = 1;
/// Bad usage, configuration or input.
pub const USAGE: u8 = 2;
/// The vendored fragment is stale.
pub const STALE: u8 = 3;
/// Interrupted by Ctrl-C, as shells report a command ended by SIGINT.
pub const INTERRUPTED: u8 = 130;

/// Prints `message` to stderr and returns the usage exit code.
pub fn usage(message: &str) -> ExitCode {
    eprintln!("jira-ops: {message}");
    ExitCode::from(USAGE)
}

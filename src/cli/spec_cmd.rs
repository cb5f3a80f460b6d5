//! `jira-ops spec`: re-derive the vendored fragment and report drift.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use jira_operations::spec;
use serde_json::Value;

use super::exit;

/// Keep the vendored OpenAPI fragment aligned with Atlassian's published file.
#[derive(Debug, Subcommand)]
pub enum SpecCommand {
    /// Re-derive the fragment from Atlassian's file, write it, and print what changed.
    Refresh(SpecArgs),
    /// Exit non-zero when the fragment is stale against Atlassian's file; print what changed.
    Check(SpecArgs),
    /// List the edits made to the fragment before code generation, with their reasons.
    Rules,
}

/// Where the vendored fragment is, unless `--fragment` says otherwise.
const DEFAULT_FRAGMENT: &str = "openapi/operations.json";

/// Where the two documents are.
#[derive(Debug, Args)]
pub struct SpecArgs {
    /// Atlassian's Jira Software OpenAPI document, as published at
    /// <https://developer.atlassian.com/cloud/jira/software/swagger.v3.json>
    pub upstream: PathBuf,
    /// The vendored fragment to compare with or rewrite.
    #[arg(long, default_value = DEFAULT_FRAGMENT)]
    pub fragment: PathBuf,
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))
}

pub fn run(command: SpecCommand) -> ExitCode {
    let (args, write) = match command {
        SpecCommand::Rules => {
            for rule in spec::normalize::RULES {
                outln!("{}\n    {}\n", rule.name, rule.reason);
            }
            return ExitCode::SUCCESS;
        }
        SpecCommand::Refresh(args) => (args, true),
        SpecCommand::Check(args) => (args, false),
    };

    if !write && !args.fragment.exists() {
        return exit::usage(&format!(
            "{}: no such fragment; run from the repository root or pass --fragment",
            args.fragment.display()
        ));
    }
    let loaded = read_json(&args.upstream).and_then(|up| {
        // A fragment written for the first time is derived whole: compare with nothing.
        let vendored = if args.fragment.exists() {
            read_json(&args.fragment)?
        } else {
            Value::Object(Default::default())
        };
        Ok((up, vendored))
    });
    let (upstream, vendored) = match loaded {
        Ok(pair) => pair,
        Err(e) => return exit::usage(&e),
    };
    let refresh = match spec::compare(&upstream, &vendored) {
        Ok(refresh) => refresh,
        Err(e) => return exit::usage(&format!("{}: {e}", args.upstream.display())),
    };

    for change in &refresh.changes {
        outln!("{change}");
    }
    if !refresh.stale {
        outln!(
            "{} is current ({} operations)",
            args.fragment.display(),
            operation_count(&refresh.fragment)
        );
        return ExitCode::SUCCESS;
    }
    if refresh.changes.is_empty() {
        outln!("only our own notes differ");
    }

    if let Some(problem) = &refresh.generation_problem {
        eprintln!("jira-ops: the new fragment does not fit code generation yet: {problem}");
        if write {
            eprintln!("jira-ops: not written; update src/spec/normalize.rs first");
            return ExitCode::from(exit::STALE);
        }
    }

    if write {
        if let Err(e) = std::fs::write(&args.fragment, spec::to_file_text(&refresh.fragment)) {
            return exit::usage(&format!("{}: {e}", args.fragment.display()));
        }
        outln!(
            "wrote {} ({}); rebuild to regenerate the client",
            args.fragment.display(),
            changes(refresh.changes.len())
        );
        ExitCode::SUCCESS
    } else {
        let then = if refresh.generation_problem.is_some() {
            "update src/spec/normalize.rs, then run"
        } else {
            "run"
        };
        outln!(
            "{} is stale ({}); {then} `{}`",
            args.fragment.display(),
            changes(refresh.changes.len()),
            refresh_command(&args)
        );
        ExitCode::from(exit::STALE)
    }
}

/// The `spec refresh` that rewrites the fragment `check` compared, ready to paste: a
/// suggestion without `--fragment` would rewrite the default fragment instead.
fn refresh_command(args: &SpecArgs) -> String {
    let mut command = format!("jira-ops spec refresh {}", shell_word(&args.upstream));
    if args.fragment != Path::new(DEFAULT_FRAGMENT) {
        command.push_str(&format!(" --fragment {}", shell_word(&args.fragment)));
    }
    command
}

/// `path` as one word for a POSIX shell: as is when nothing in it is special, else quoted.
fn shell_word(path: &Path) -> String {
    let text = path.to_string_lossy();
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:@%,=".contains(c));
    if plain {
        text.into_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

fn operation_count(fragment: &Value) -> usize {
    fragment["paths"]
        .as_object()
        .map(|paths| {
            paths
                .values()
                .filter_map(Value::as_object)
                .map(|item| item.keys().filter(|k| *k != "parameters").count())
                .sum()
        })
        .unwrap_or(0)
}

/// `1 change`, `2 changes`.
fn changes(n: usize) -> String {
    match n {
        1 => "1 change".to_string(),
        n => format!("{n} changes"),
    }
}

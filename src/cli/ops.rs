//! `jira-ops get | delete | delete-by-property | workspaces`: one-off calls, with waiting.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand, ValueEnum};
use jira_operations::{OperationsClient, WaitPolicy};

use super::config::SiteArgs;
use super::exit;
use super::submit::parse_pair;

/// Which entity an ID names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Entity {
    /// An incident.
    Incident,
    /// A post-incident review.
    Review,
}

impl Entity {
    fn name(self) -> &'static str {
        match self {
            Entity::Incident => "incident",
            Entity::Review => "review",
        }
    }
}

/// Print one stored incident or review as JSON.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// What the ID names.
    pub entity: Entity,
    /// The ID.
    pub id: String,
}

/// Delete incidents or reviews by ID.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// What the IDs name.
    pub entity: Entity,
    /// The IDs.
    #[arg(required = true)]
    pub ids: Vec<String>,
    /// Wait until Jira no longer returns them.
    #[arg(long)]
    pub wait: bool,
    /// How long `--wait` waits, in seconds.
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub wait_timeout: u64,
}

/// Delete every incident and review submitted with all the given properties.
#[derive(Debug, Args)]
pub struct DeleteByPropertyArgs {
    /// The properties, `key=value` (1 to 5; all must match).
    #[arg(required = true, value_name = "KEY=VALUE")]
    pub filters: Vec<String>,
    /// A file of the IDs expected to go, one per line (`review:ID` for a review, `incident:ID`
    /// or a bare ID for an incident; `#` starts a comment line): wait until Jira no longer
    /// returns any of them.
    #[arg(long, value_name = "IDS_FILE")]
    pub wait_for: Option<PathBuf>,
    /// How long `--wait-for` waits, in seconds.
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub wait_timeout: u64,
}

/// Link, list or unlink the provider's workspaces.
#[derive(Debug, Subcommand)]
pub enum WorkspacesCommand {
    /// Link workspace IDs to the site.
    Link {
        /// The workspace IDs.
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// List linked workspace IDs, or check one.
    List {
        /// Only this workspace; exit 1 when it is not linked.
        #[arg(long)]
        id: Option<String>,
    },
    /// Unlink workspaces (Jira removes their data eventually).
    Unlink {
        /// The workspace IDs.
        #[arg(required = true)]
        ids: Vec<String>,
        /// Wait until they are no longer listed.
        #[arg(long)]
        wait: bool,
        /// How long `--wait` waits, in seconds.
        #[arg(long, default_value_t = 300, value_name = "SECONDS")]
        wait_timeout: u64,
    },
}

fn policy(seconds: u64) -> WaitPolicy {
    WaitPolicy {
        first_delay: Duration::from_millis(200),
        ..WaitPolicy::with_deadline(Duration::from_secs(seconds))
    }
}

/// `1 incident`, `2 incidents`.
fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// Exit 2 for input refused before anything was sent, else 1.
fn failed(e: &jira_operations::Error) -> ExitCode {
    if e.is_invalid_input() {
        return exit::usage(&e.to_string());
    }
    eprintln!("jira-ops: {e}");
    ExitCode::from(exit::PARTIAL)
}

/// Every ID checked before any is used, so that one bad ID stops the command before it does
/// anything.
fn check_ids(entity: &str, ids: &[String]) -> Result<(), ExitCode> {
    for id in ids {
        if let Some(problem) = jira_operations::validate::id_problem(id) {
            return Err(exit::usage(&format!("{entity} {problem}")));
        }
    }
    Ok(())
}

fn client(site: &SiteArgs) -> Result<OperationsClient, ExitCode> {
    site.client().map_err(|e| exit::usage(&e))
}

pub async fn get(site: &SiteArgs, args: GetArgs) -> ExitCode {
    if let Err(code) = check_ids(args.entity.name(), std::slice::from_ref(&args.id)) {
        return code;
    }
    let client = match client(site) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let found = match args.entity {
        Entity::Incident => client
            .get_incident(&args.id)
            .await
            .map(|o| o.map(serde_json::to_value)),
        Entity::Review => client
            .get_review(&args.id)
            .await
            .map(|o| o.map(serde_json::to_value)),
    };
    match found {
        Ok(Some(Ok(value))) => {
            outln!(
                "{}",
                serde_json::to_string_pretty(&value).expect("JSON values serialize")
            );
            ExitCode::SUCCESS
        }
        Ok(Some(Err(e))) => exit::usage(&e.to_string()),
        Ok(None) => {
            eprintln!(
                "jira-ops: no {} `{}` is stored",
                args.entity.name(),
                args.id
            );
            ExitCode::from(exit::PARTIAL)
        }
        Err(e) => failed(&e),
    }
}

pub async fn delete(site: &SiteArgs, args: DeleteArgs) -> ExitCode {
    if let Err(code) = check_ids(args.entity.name(), &args.ids) {
        return code;
    }
    let client = match client(site) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let started = Instant::now();
    let mut errors = 0;
    for id in &args.ids {
        let result = match args.entity {
            Entity::Incident => client.delete_incident(id).await,
            Entity::Review => client.delete_review(id).await,
        };
        match result {
            Ok(()) => outln!("delete accepted: {id}"),
            Err(e) => {
                eprintln!("jira-ops: {id}: {e}");
                errors += 1;
            }
        }
    }
    if errors > 0 {
        return ExitCode::from(exit::PARTIAL);
    }
    if !args.wait {
        return ExitCode::SUCCESS;
    }

    let none: &[&str] = &[];
    let waited = match args.entity {
        Entity::Incident => {
            client
                .wait_until_all_deleted(&args.ids, none, &policy(args.wait_timeout))
                .await
        }
        Entity::Review => {
            client
                .wait_until_all_deleted(none, &args.ids, &policy(args.wait_timeout))
                .await
        }
    };
    match waited {
        Ok(()) => {
            outln!(
                "confirmed gone: {} in {:.2?}",
                count(args.ids.len(), args.entity.name()),
                started.elapsed()
            );
            ExitCode::SUCCESS
        }
        Err(e) => failed(&e),
    }
}

fn read_ids(path: &PathBuf) -> Result<(Vec<String>, Vec<String>), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (mut incidents, mut reviews) = (Vec::new(), Vec::new());
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (list, id) = match line.strip_prefix("review:") {
            Some(id) => (&mut reviews, id),
            None => (
                &mut incidents,
                line.strip_prefix("incident:").unwrap_or(line),
            ),
        };
        let id = id.trim_start();
        // Checked before the delete is sent, so that a bad line stops nothing half done.
        if let Some(problem) = jira_operations::validate::id_problem(id) {
            return Err(format!("{}:{}: {problem}", path.display(), index + 1));
        }
        list.push(id.to_string());
    }
    if incidents.is_empty() && reviews.is_empty() {
        return Err(format!(
            "{}: no ids to wait for (one per line; `review:ID` for a review)",
            path.display()
        ));
    }
    Ok((incidents, reviews))
}

pub async fn delete_by_property(site: &SiteArgs, args: DeleteByPropertyArgs) -> ExitCode {
    let pairs: Result<Vec<(String, String)>, String> =
        args.filters.iter().map(|f| parse_pair(f)).collect();
    let pairs = match pairs {
        Ok(p) => p,
        Err(e) => return exit::usage(&e),
    };
    let expected = match args.wait_for.as_ref().map(read_ids).transpose() {
        Ok(ids) => ids,
        Err(e) => return exit::usage(&e),
    };
    let client = match client(site) {
        Ok(c) => c,
        Err(code) => return code,
    };

    let started = Instant::now();
    let filters: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if let Err(e) = client.delete_by_properties(&filters).await {
        return if e.is_invalid_input() {
            exit::usage(&e.to_string())
        } else {
            failed(&e)
        };
    }
    outln!("delete accepted for {}", args.filters.join(" AND "));

    let Some((incidents, reviews)) = expected else {
        return ExitCode::SUCCESS;
    };
    match client
        .wait_until_all_deleted(&incidents, &reviews, &policy(args.wait_timeout))
        .await
    {
        Ok(()) => {
            outln!(
                "confirmed gone: {} and {} in {:.2?}",
                count(incidents.len(), "incident"),
                count(reviews.len(), "review"),
                started.elapsed()
            );
            ExitCode::SUCCESS
        }
        Err(e) => failed(&e),
    }
}

pub async fn workspaces(site: &SiteArgs, command: WorkspacesCommand) -> ExitCode {
    let client = match client(site) {
        Ok(c) => c,
        Err(code) => return code,
    };
    match command {
        WorkspacesCommand::Link { ids } => match client.link_workspaces(&ids).await {
            Ok(report) => {
                outln!(
                    "linked: {} accepted, {} unconfirmed, {} failed ({})",
                    report.accepted.len(),
                    report.unconfirmed.len(),
                    report.failed.len(),
                    count(report.requests_sent as usize, "request")
                );
                for (id, why) in &report.failed {
                    eprintln!("  failed {id}: {why}");
                }
                if report.is_complete_success() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(exit::PARTIAL)
                }
            }
            Err(e) => failed(&e),
        },
        WorkspacesCommand::List { id: Some(id) } => match client.workspace(&id).await {
            Ok(Some(id)) => {
                outln!("{id}");
                ExitCode::SUCCESS
            }
            Ok(None) => {
                eprintln!("jira-ops: workspace `{id}` is not linked");
                ExitCode::from(exit::PARTIAL)
            }
            Err(e) => failed(&e),
        },
        WorkspacesCommand::List { id: None } => match client.workspaces().await {
            Ok(ids) => {
                if ids.is_empty() {
                    eprintln!("jira-ops: no workspace is linked");
                }
                for id in ids {
                    outln!("{id}");
                }
                ExitCode::SUCCESS
            }
            Err(e) => failed(&e),
        },
        WorkspacesCommand::Unlink {
            ids,
            wait,
            wait_timeout,
        } => {
            let started = Instant::now();
            if let Err(e) = client.unlink_workspaces(&ids).await {
                return failed(&e);
            }
            outln!("unlink accepted: {}", ids.len());
            if !wait {
                return ExitCode::SUCCESS;
            }
            match client
                .wait_until_workspaces_unlinked(&ids, &policy(wait_timeout))
                .await
            {
                Ok(()) => {
                    outln!("confirmed unlinked in {:.2?}", started.elapsed());
                    ExitCode::SUCCESS
                }
                Err(e) => failed(&e),
            }
        }
    }
}

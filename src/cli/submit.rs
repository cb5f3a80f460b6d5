//! `jira-ops submit`: stream a file of incidents or reviews into Jira, with an exact account.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use futures::StreamExt as _;
use jira_operations::batch::Record as BatchRecord;
use jira_operations::input::{self, Record};
use jira_operations::types::{Incident, Review};
use jira_operations::validate;
use jira_operations::waiter::StoredTarget;
use jira_operations::{
    EntityKind, ItemKind, OperationsClient, Rejected, SubmitOptions, SubmitReport, WaitPolicy,
};
use serde::de::DeserializeOwned;

use super::config::SiteArgs;
use super::exit;

/// What the file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// Incidents.
    Incidents,
    /// Post-incident reviews.
    Reviews,
}

/// Submit incidents or reviews from a JSON array or NDJSON file, or standard input.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// What the input holds.
    pub kind: Kind,
    /// The input file (JSON array or NDJSON); `-` or nothing for standard input.
    pub file: Option<PathBuf>,
    /// A request property `key=value` sent with every request (at most 5), usable later by
    /// `delete-by-property`.
    #[arg(long = "property", value_name = "KEY=VALUE")]
    pub properties: Vec<String>,
    /// The provider product name sent as `providerMetadata.product`.
    #[arg(long)]
    pub product: Option<String>,
    /// After submitting, wait until everything accepted is stored.
    #[arg(long)]
    pub wait: bool,
    /// How long `--wait` waits, in seconds.
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub wait_timeout: u64,
    /// Print the full report as JSON on standard output.
    #[arg(long)]
    pub json: bool,
    /// Exit 0 when at least one record was accepted, even if others were not.
    #[arg(long)]
    pub allow_partial: bool,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Largest request body, in bytes.
    #[arg(long, value_name = "BYTES")]
    pub max_request_bytes: Option<usize>,
    /// Entities per request (at most the API's 1000).
    #[arg(long, value_name = "N")]
    pub batch_size: Option<usize>,
}

/// Parses `key=value`.
pub fn parse_pair(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!("`{text}` is not key=value")),
    }
}

fn options(args: &SubmitArgs) -> Result<SubmitOptions, String> {
    let mut options = SubmitOptions::new().concurrency(args.concurrency.max(1));
    if let Some(bytes) = args.max_request_bytes {
        options = options.max_request_bytes(bytes);
    }
    if let Some(n) = args.batch_size {
        options = options.max_entities_per_request(n);
    }
    for pair in &args.properties {
        let (key, value) = parse_pair(pair)?;
        options = options.property(key, value);
    }
    if let Some(product) = &args.product {
        options = options.product(product.clone());
    }
    let problems = options.validate();
    if problems.is_empty() {
        Ok(options)
    } else {
        Err(problems.join("; "))
    }
}

/// Reads, pre-checks and submits one kind of entity; records that cannot be read or are
/// invalid are listed in the report with their file and line.
async fn submit_kind<T, F>(
    client: &OperationsClient,
    args: &SubmitArgs,
    options: &SubmitOptions,
    check: F,
    progress: &Progress,
) -> SubmitReport
where
    T: DeserializeOwned + Send + 'static,
    F: Fn(&T) -> (String, Vec<String>) + Send + Sync,
    BatchRecord<T>: Send,
    OperationsClient: SubmitStream<T>,
{
    let mut rx = input::read::<T>(args.file.as_deref());
    let rejected = Arc::new(std::sync::Mutex::new(Vec::new()));
    let stopped = Arc::new(std::sync::Mutex::new(None));

    let records = {
        let rejected = rejected.clone();
        let stopped = stopped.clone();
        let check = &check;
        futures::stream::poll_fn(move |cx| rx.poll_recv(cx)).filter_map(move |record| {
            progress.read();
            let out = match record {
                Record::Entity { entity, origin } => {
                    let (id, reasons) = check(&entity);
                    if reasons.is_empty() {
                        Some(BatchRecord::new(entity, origin.to_string()))
                    } else {
                        rejected.lock().expect("lock").push(Rejected {
                            id: Some(id),
                            position: origin.record,
                            source: Some(origin.to_string()),
                            reasons,
                        });
                        None
                    }
                }
                Record::Malformed { origin, id, reason } => {
                    rejected.lock().expect("lock").push(Rejected {
                        id,
                        position: origin.record,
                        source: Some(origin.to_string()),
                        reasons: vec![format!("malformed record: {reason}")],
                    });
                    None
                }
                Record::Stopped { reason, origin } => {
                    *stopped.lock().expect("lock") = Some(format!("{origin}: {reason}"));
                    None
                }
            };
            futures::future::ready(out)
        })
    };

    let mut report = client.submit_stream_of(records, options).await;
    for r in std::mem::take(&mut *rejected.lock().expect("lock")) {
        report.reject(r);
    }
    if let Some(stop) = stopped.lock().expect("lock").take() {
        report.warnings.push(format!("input stopped early: {stop}"));
    }
    report
}

/// The stream submission of one entity type, so `submit_kind` is written once.
pub trait SubmitStream<T> {
    /// Submits `records`.
    fn submit_stream_of<S>(
        &self,
        records: S,
        options: &SubmitOptions,
    ) -> impl std::future::Future<Output = SubmitReport> + Send
    where
        S: futures::Stream<Item = BatchRecord<T>> + Send;
}

impl SubmitStream<Incident> for OperationsClient {
    fn submit_stream_of<S>(
        &self,
        records: S,
        options: &SubmitOptions,
    ) -> impl std::future::Future<Output = SubmitReport> + Send
    where
        S: futures::Stream<Item = BatchRecord<Incident>> + Send,
    {
        self.submit_incidents_stream(records, options)
    }
}

impl SubmitStream<Review> for OperationsClient {
    fn submit_stream_of<S>(
        &self,
        records: S,
        options: &SubmitOptions,
    ) -> impl std::future::Future<Output = SubmitReport> + Send
    where
        S: futures::Stream<Item = BatchRecord<Review>> + Send,
    {
        self.submit_reviews_stream(records, options)
    }
}

/// Counts records read: a bar on a terminal, a line every so often otherwise.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    read: AtomicU64,
}

impl Progress {
    fn new(quiet: bool) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {pos} records read ({per_sec}) {elapsed}",
                )
                .expect("template"),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Self {
            bar,
            read: AtomicU64::new(0),
        }
    }

    fn read(&self) {
        let n = self.read.fetch_add(1, Ordering::Relaxed) + 1;
        match &self.bar {
            Some(bar) => bar.set_position(n),
            None if n.is_multiple_of(100_000) => eprintln!("{n} records read"),
            None => {}
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Waits until accepted and unconfirmed records are stored; moves confirmed ones to
/// `accepted` and accepted ones that never showed up to `unconfirmed`.
pub async fn wait_for_storage(
    client: &OperationsClient,
    report: &mut SubmitReport,
    timeout: Duration,
) -> Result<(), String> {
    let targets: Vec<StoredTarget> = report
        .accepted
        .iter()
        .chain(&report.unconfirmed)
        .map(|s| StoredTarget {
            kind: s.kind,
            id: s.id.clone(),
            min_sequence: None,
        })
        .collect();
    if targets.is_empty() {
        return Ok(());
    }
    let policy = WaitPolicy {
        first_delay: Duration::from_millis(200),
        ..WaitPolicy::with_deadline(timeout)
    };
    let outcome = client.wait_until_all_stored(&targets, &policy).await;

    let pending: std::collections::HashSet<(String, bool)> = match &outcome {
        Ok(()) => Default::default(),
        Err(e) => match e.wait_state() {
            Some(state) => state
                .pending
                .iter()
                .map(|p| (p.id.clone(), p.kind == ItemKind::Review))
                .collect(),
            None => return Err(format!("waiting stopped: {e}")),
        },
    };
    let stored = |kind: EntityKind, id: &str| {
        !pending.contains(&(id.to_string(), kind == EntityKind::Review))
    };

    let (still_missing, stored_accepted): (Vec<_>, Vec<_>) = std::mem::take(&mut report.accepted)
        .into_iter()
        .partition(|s| !stored(s.kind, &s.id));
    report.accepted = stored_accepted;
    report.unconfirmed.extend(still_missing);
    for kind in [EntityKind::Incident, EntityKind::Review] {
        let ids: Vec<String> = report
            .unconfirmed
            .iter()
            .filter(|s| s.kind == kind && stored(kind, &s.id))
            .map(|s| s.id.clone())
            .collect();
        report.confirm(kind, &ids);
    }
    match outcome {
        Ok(()) => Ok(()),
        Err(e) => Err(format!("not everything was stored in time: {e}")),
    }
}

/// Prints the one-screen summary of a report.
pub fn print_summary(label: &str, report: &SubmitReport, to_stderr: bool) {
    let mut text = format!(
        "{label}: {} records: {} accepted, {} failed, {} rejected before sending, {} unconfirmed ({} requests, {} retries)\n",
        report.total(),
        report.accepted.len(),
        report.failed.len(),
        report.rejected.len(),
        report.unconfirmed.len(),
        report.requests_sent,
        report.retries,
    );
    if !report.unknown_project_keys.is_empty() {
        let keys: Vec<&str> = report
            .unknown_project_keys
            .iter()
            .map(String::as_str)
            .collect();
        text.push_str(&format!("unknown project keys: {}\n", keys.join(", ")));
    }
    const SHOWN: usize = 20;
    for f in report.failed.iter().take(SHOWN) {
        let at = f.source.as_deref().unwrap_or("");
        text.push_str(&format!(
            "  failed {} {at}: {}\n",
            f.id,
            f.messages.join("; ")
        ));
    }
    for r in report.rejected.iter().take(SHOWN) {
        let at = r.source.as_deref().unwrap_or("");
        let id = r.id.as_deref().unwrap_or("(no id)");
        text.push_str(&format!("  rejected {at} {id}: {}\n", r.reasons.join("; ")));
    }
    if report.unconfirmed.len() <= SHOWN {
        for u in &report.unconfirmed {
            text.push_str(&format!("  unconfirmed {}\n", u.id));
        }
    }
    let hidden =
        report.failed.len().saturating_sub(SHOWN) + report.rejected.len().saturating_sub(SHOWN);
    if hidden > 0 {
        text.push_str(&format!("  … {hidden} more; --json lists every record\n"));
    }
    for w in &report.warnings {
        text.push_str(&format!("warning: {w}\n"));
    }
    if to_stderr {
        eprint!("{text}")
    } else {
        print!("{text}")
    }
}

/// The exit code for a report.
pub fn exit_code(report: &SubmitReport, allow_partial: bool) -> ExitCode {
    if report.is_complete_success()
        || (allow_partial && (!report.accepted.is_empty() || report.total() == 0))
    {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::PARTIAL)
    }
}

pub async fn run(site: &SiteArgs, args: SubmitArgs) -> ExitCode {
    let options = match options(&args) {
        Ok(options) => options,
        Err(e) => return exit::usage(&e),
    };
    if let Some(path) = args.file.as_ref().filter(|p| p.as_os_str() != "-")
        && !path.is_file()
    {
        return exit::usage(&format!("{}: no such file", path.display()));
    }
    let client = match site.client() {
        Ok(client) => client,
        Err(e) => return exit::usage(&e),
    };

    let started = Instant::now();
    let progress = Progress::new(args.json);
    let mut report = match args.kind {
        Kind::Incidents => {
            submit_kind::<Incident, _>(
                &client,
                &args,
                &options,
                |i| (i.id.clone(), validate::validate_incident(i)),
                &progress,
            )
            .await
        }
        Kind::Reviews => {
            submit_kind::<Review, _>(
                &client,
                &args,
                &options,
                |r| (r.id.clone(), validate::validate_review(r)),
                &progress,
            )
            .await
        }
    };
    progress.finish();
    let submitted_in = started.elapsed();

    if args.wait
        && let Err(e) =
            wait_for_storage(&client, &mut report, Duration::from_secs(args.wait_timeout)).await
    {
        eprintln!("jira-ops: {e}");
    }

    let label = match args.kind {
        Kind::Incidents => "incidents",
        Kind::Reviews => "reviews",
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("reports serialize")
        );
        print_summary(label, &report, true);
    } else {
        print_summary(label, &report, false);
    }
    eprintln!(
        "submitted in {:.2?}{}",
        submitted_in,
        if args.wait {
            format!(", confirmed in {:.2?} in all", started.elapsed())
        } else {
            String::new()
        }
    );
    exit_code(&report, args.allow_partial)
}

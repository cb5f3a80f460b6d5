//! `jira-ops submit`: stream a file of incidents or reviews into Jira, with an exact account.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::builder::RangedU64ValueParser;
use clap::{Args, ValueEnum};
use futures::StreamExt as _;
use jira_operations::batch::Record as BatchRecord;
use jira_operations::input::{self, Record};
use jira_operations::waiter::StoredTarget;
use jira_operations::{
    EntityKind, ItemKind, OperationsClient, Rejected, SubmitOptions, SubmitReport, WaitPolicy,
};
use tokio::sync::watch;

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
    /// The input file: NDJSON (one object per line), a JSON array, or objects spread over
    /// lines one after another; `-` or nothing for standard input.
    pub file: Option<PathBuf>,
    /// A request property `key=value` sent with every request (at most 5), usable later by
    /// `delete-by-property`.
    #[arg(long = "property", value_name = "KEY=VALUE")]
    pub properties: Vec<String>,
    /// The provider product name sent as `providerMetadata.product`.
    #[arg(long)]
    pub product: Option<String>,
    /// After submitting, read every record back until it is stored. The only way to confirm
    /// reviews: Jira's answer never lists them.
    #[arg(long)]
    pub wait: bool,
    /// How long `--wait` waits, in seconds.
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub wait_timeout: u64,
    /// Print the full report as JSON on standard output.
    #[arg(long)]
    pub json: bool,
    /// Exit 0 when at least one record was accepted, even if others were not (an input that
    /// could not be read to its end still exits 1).
    #[arg(long)]
    pub allow_partial: bool,
    /// Requests in flight at once (1 to 64).
    #[arg(
        long,
        default_value_t = 4,
        value_parser = RangedU64ValueParser::<usize>::new().range(1..=64)
    )]
    pub concurrency: usize,
    /// Largest request body, in bytes (at least 1024; default 1 MiB).
    #[arg(
        long,
        value_name = "BYTES",
        value_parser = RangedU64ValueParser::<usize>::new().range(1024..)
    )]
    pub max_request_bytes: Option<usize>,
    /// Entities per request (1 to the API's 1000; default 1000).
    #[arg(
        long,
        value_name = "N",
        value_parser = RangedU64ValueParser::<usize>::new().range(1..=1000)
    )]
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
    // Accepted records are listed only when something reads the list (`--json` prints it,
    // `--wait` reads each back); otherwise they are counted, so that a backfill of millions
    // of records runs in constant memory.
    let mut options = SubmitOptions::new()
        .concurrency(args.concurrency.max(1))
        .list_accepted(args.json || args.wait);
    if let Some(bytes) = args.max_request_bytes {
        options = options.max_request_bytes(bytes);
    }
    if let Some(n) = args.batch_size {
        options = options.max_entities_per_request(n);
    }
    for pair in &args.properties {
        let (key, value) = parse_pair(pair)?;
        if options.properties.contains_key(&key) {
            return Err(format!("--property `{key}` is given twice"));
        }
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

/// What `submit --help` adds after the options.
pub const AFTER_HELP: &str = "\
Every record ends up in exactly one list of the report: accepted (Jira named it in its \
answer; with --wait, it was also read back), failed (Jira refused it or its request), \
rejected before sending (it could not be read, is invalid, or loses to a record of the same \
id in the same request; its FILE:LINE is given) or unconfirmed (sent, but nothing says what \
became of it; with --wait, also an accepted record not read back in time).

Of two records with one id, the one Jira would keep is sent: the higher \
updateSequenceNumber, or the earlier of two equal ones. Records with an id sent in an \
earlier request are sent again, with a warning when they cannot supersede it.

Jira's answer never lists reviews, so reviews stay unconfirmed, and the command exits 1, \
unless --wait reads them back.

Ctrl-C stops the reading and the wait; what was read is still sent and reported once the \
requests under way finish. A second Ctrl-C quits at once, without a report.

Exit codes: 0 every record accepted (with --allow-partial: at least one); 1 some record \
failed, was rejected or is unconfirmed, or the input could not be read to its end; 2 bad \
usage, configuration or input file, before anything was sent; 130 interrupted.";

/// Where and why the input could not be read to its end.
#[derive(Debug, serde::Serialize)]
struct Stop {
    /// `file:line` of the syntax error or read failure.
    source: String,
    reason: String,
}

/// Listens for Ctrl-C for the whole of a submission; the receiver turns `true` at the first.
/// The first stops what can stop without losing the account: the reading (what was read is
/// still sent) and the wait (the report is then Jira's answers alone); requests already under
/// way finish. A second Ctrl-C quits at once, without a report.
fn listen_for_ctrl_c() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            // No handler: Ctrl-C keeps ending the process. The sender stays, so that nobody
            // reads a closed channel as an interrupt.
            return futures::future::pending::<()>().await;
        }
        let _ = tx.send(true);
        eprintln!(
            "jira-ops: interrupted: reading and waiting stop here; the requests under way \
             finish, then the report (Ctrl-C again quits at once, without a report)"
        );
        let _ = tokio::signal::ctrl_c().await;
        std::process::exit(exit::INTERRUPTED.into());
    });
    rx
}

/// Resolves at the first Ctrl-C.
async fn interrupted(mut ctrl_c: watch::Receiver<bool>) {
    if ctrl_c.wait_for(|&pressed| pressed).await.is_err() {
        futures::future::pending::<()>().await;
    }
}

/// Reads and submits one kind of entity. Records that cannot be read are listed in the report
/// as rejected, with their file and line; invalid ones are rejected by the client the same way.
/// Returns the report, with every position counted in the input, and why the input stopped
/// early, if it did.
async fn submit_kind(
    client: &OperationsClient,
    args: &SubmitArgs,
    options: &SubmitOptions,
    progress: &Progress,
    ctrl_c: watch::Receiver<bool>,
) -> (SubmitReport, Option<Stop>) {
    // Each record goes to the client as the JSON it was read as: checked there in place and
    // sent byte for byte, never parsed into owned strings or serialized again.
    let input = input::read_json(args.file.as_deref());
    let skipped = Arc::new(std::sync::Mutex::new(Vec::new()));
    let stopped = Arc::new(std::sync::Mutex::new(None));
    // The line of the last record read, for where an interrupt stopped the reading; the
    // file's name as the reader gives it in each record's origin.
    let last_line = Arc::new(AtomicU64::new(0));
    let name = match args.file.as_deref() {
        Some(path) if path.as_os_str() != "-" => path.display().to_string(),
        _ => "<stdin>".to_string(),
    };

    // Ctrl-C ends the input where it is: what was read is still sent and accounted for, and
    // the report says where reading stopped.
    let interrupted = {
        let (stopped, last_line) = (stopped.clone(), last_line.clone());
        async move {
            interrupted(ctrl_c).await;
            let source = match last_line.load(Ordering::Relaxed) {
                0 => "the start".to_string(),
                line => format!("after {name}:{line}"),
            };
            *stopped.lock().expect("lock") = Some(Stop {
                source,
                reason: "interrupted (Ctrl-C)".to_string(),
            });
        }
    };

    let records = {
        let (skipped, stopped, last_line) = (skipped.clone(), stopped.clone(), last_line.clone());
        input.take_until(interrupted).filter_map(move |record| {
            progress.read();
            let out = match record {
                Record::Entity { entity, origin } => {
                    last_line.store(origin.line as u64, Ordering::Relaxed);
                    Some(BatchRecord::new(entity, origin.to_string()))
                }
                Record::Malformed { origin, id, reason } => {
                    skipped.lock().expect("lock").push(Rejected {
                        id,
                        position: origin.record - 1,
                        source: Some(origin.to_string()),
                        reasons: vec![format!("malformed record: {reason}")],
                    });
                    None
                }
                Record::Stopped { reason, origin } => {
                    *stopped.lock().expect("lock") = Some(Stop {
                        source: origin.to_string(),
                        reason,
                    });
                    None
                }
            };
            futures::future::ready(out)
        })
    };

    let mut report = match args.kind {
        Kind::Incidents => client.submit_incidents_json_stream(records, options).await,
        Kind::Reviews => client.submit_reviews_json_stream(records, options).await,
    };
    let skipped = std::mem::take(&mut *skipped.lock().expect("lock"));
    count_positions_in_input(&mut report, &skipped);
    for r in skipped {
        report.reject(r);
    }
    report.rejected.sort_by_key(|r| r.position);
    let stopped = stopped.lock().expect("lock").take();
    if let Some(stop) = &stopped {
        report.warnings.push(format!(
            "input stopped early: {}: {}; the records after it were not read and are in no list",
            stop.source, stop.reason
        ));
    }
    (report, stopped)
}

/// The client counts positions among the records it was given; records that could not be read
/// never reached it. Renumbers them as positions in the input, so that every list of the report
/// counts the same way. `skipped` holds the unread records, in input order.
fn count_positions_in_input(report: &mut SubmitReport, skipped: &[Rejected]) {
    // The j-th skipped record has `position - j` readable records before it, and that is
    // non-decreasing in j: a readable record's input position is its client position plus the
    // number of skipped records whose count is at most that.
    let before: Vec<usize> = skipped
        .iter()
        .enumerate()
        .map(|(j, r)| r.position - j)
        .collect();
    let renumber = |position: &mut usize| {
        *position += before.partition_point(|&b| b <= *position);
    };
    report
        .accepted
        .iter_mut()
        .chain(report.unconfirmed.iter_mut())
        .for_each(|s| renumber(&mut s.position));
    report
        .failed
        .iter_mut()
        .for_each(|f| renumber(&mut f.position));
    report
        .rejected
        .iter_mut()
        .for_each(|r| renumber(&mut r.position));
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
                    "{spinner} records read: {pos} ({rate}) {elapsed}",
                )
                .expect("template")
                .with_key(
                    "rate",
                    |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.0}/s", state.per_sec());
                    },
                ),
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
            None if n.is_multiple_of(100_000) => eprintln!("records read: {n}"),
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
            min_sequence: Some(s.update_sequence_number),
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
    let seen = |kind: EntityKind, id: &str| match &outcome {
        Err(e) => e.wait_state().and_then(|state| {
            state
                .pending
                .iter()
                .find(|p| {
                    p.id == id && (p.kind == ItemKind::Review) == (kind == EntityKind::Review)
                })
                .map(|p| p.seen.to_string())
        }),
        Ok(()) => None,
    };
    let waited = format!("{}s", timeout.as_secs());
    let not_read_back = |s: &jira_operations::Sent, before: Option<&str>| {
        let last = seen(s.kind, &s.id).unwrap_or_else(|| "nothing".to_string());
        match before {
            Some(before) => format!("{before}; not read back within {waited} (last seen: {last})"),
            None => format!("accepted, but not read back within {waited} (last seen: {last})"),
        }
    };
    report
        .unconfirmed
        .extend(still_missing.into_iter().map(|s| {
            let reason = not_read_back(&s, None);
            jira_operations::Sent {
                reason: Some(reason),
                ..s
            }
        }));
    for s in report.unconfirmed.iter_mut() {
        if stored(s.kind, &s.id)
            || s.reason
                .as_deref()
                .is_some_and(|r| r.contains("not read back"))
        {
            continue;
        }
        let reason = not_read_back(s, s.reason.as_deref());
        s.reason = Some(reason);
    }
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

/// `1 record`, `2 records`; `1 retry`, `2 retries`.
fn count(n: usize, noun: &str) -> String {
    match (n, noun.strip_suffix('y')) {
        (1, _) => format!("1 {noun}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        _ => format!("{n} {noun}s"),
    }
}

/// `text` with control characters and the characters that reorder text (bidirectional
/// controls) escaped, as `\n` or `\u{202e}`: ids and messages come from the input and from
/// Jira, and must neither act on the terminal nor fake lines of the summary.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            c if c.is_control() => c.escape_debug().to_string(),
            '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                c.escape_unicode().to_string()
            }
            c => c.to_string(),
        })
        .collect()
}

/// Prints the one-screen summary of a report. `waited` says whether the records were read
/// back; if not, unconfirmed reviews get a note saying how to confirm them.
pub fn print_summary(label: &str, report: &SubmitReport, waited: bool, to_stderr: bool) {
    let text = summary_text(label, report, waited);
    if to_stderr {
        eprint!("{text}")
    } else {
        super::out::text(format_args!("{text}"))
    }
}

/// The text [`print_summary`] prints.
fn summary_text(label: &str, report: &SubmitReport, waited: bool) -> String {
    let mut text = format!(
        "{label}: {}: {} accepted, {} failed, {} rejected before sending, {} unconfirmed ({}, {})\n",
        count(report.total(), "record"),
        report.accepted_count(),
        report.failed.len(),
        report.rejected.len(),
        report.unconfirmed.len(),
        count(report.requests_sent as usize, "request"),
        count(report.retries as usize, "retry"),
    );
    if !report.unknown_project_keys.is_empty() {
        let keys: Vec<&str> = report
            .unknown_project_keys
            .iter()
            .map(String::as_str)
            .collect();
        text.push_str(&format!(
            "unknown project keys: {}\n",
            printable(&keys.join(", "))
        ));
    }
    if !report.unknown_answer_fields.is_empty() {
        let fields: Vec<String> = report
            .unknown_answer_fields
            .iter()
            .map(|f| format!("`{}`", printable(f)))
            .collect();
        text.push_str(&format!(
            "Jira's answers had fields this version does not read: {}\n",
            fields.join(", ")
        ));
    }
    const SHOWN: usize = 20;
    for f in report.failed.iter().take(SHOWN) {
        let at = f.source.as_deref().unwrap_or("");
        text.push_str(&format!(
            "  failed {} {}: {}\n",
            printable(&f.id),
            printable(at),
            printable(&f.messages.join("; "))
        ));
    }
    for r in report.rejected.iter().take(SHOWN) {
        let at = r.source.as_deref().unwrap_or("");
        let id = r.id.as_deref().unwrap_or("(no id)");
        text.push_str(&format!(
            "  rejected {} {}: {}\n",
            printable(at),
            printable(id),
            printable(&r.reasons.join("; "))
        ));
    }
    for u in report.unconfirmed.iter().take(SHOWN) {
        let at = u.source.as_deref().unwrap_or("");
        text.push_str(&format!(
            "  unconfirmed {} {}\n",
            printable(&u.id),
            printable(at)
        ));
    }
    let hidden = [
        report.failed.len(),
        report.rejected.len(),
        report.unconfirmed.len(),
    ]
    .iter()
    .map(|n| n.saturating_sub(SHOWN))
    .sum::<usize>();
    if hidden > 0 {
        text.push_str(&format!("  … {hidden} more; --json lists every record\n"));
    }
    let reviews = report
        .unconfirmed
        .iter()
        .filter(|s| s.kind == EntityKind::Review)
        .count();
    if !waited && reviews > 0 {
        text.push_str(&format!(
            "note: Jira's answer never lists reviews, so the {reviews} reviews sent are unconfirmed; \
             run with --wait to confirm them by reading them back\n"
        ));
    }
    for w in &report.warnings {
        text.push_str(&format!("warning: {}\n", printable(w)));
    }
    text
}

/// The exit code for a report: 0 when every record was accepted, or with `allow_partial` when
/// at least one was (or there were none); 1 otherwise, and always when the input could not be
/// read to its end, as the records after that point are in no list.
pub fn exit_code(report: &SubmitReport, allow_partial: bool, input_complete: bool) -> ExitCode {
    let done = report.is_complete_success()
        || (allow_partial && (report.accepted_count() > 0 || report.total() == 0));
    if done && input_complete {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::PARTIAL)
    }
}

/// Checks that `path` is a file that can be opened, so that a typo is a usage error before
/// anything is sent.
fn readable(path: &Path) -> Result<(), String> {
    let metadata = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if metadata.is_dir() {
        return Err(format!(
            "{}: is a directory, not a file of records",
            path.display()
        ));
    }
    std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(())
}

pub async fn run(site: &SiteArgs, args: SubmitArgs) -> ExitCode {
    let options = match options(&args) {
        Ok(options) => options,
        Err(e) => return exit::usage(&e),
    };
    let from_stdin = match args.file.as_ref().filter(|p| p.as_os_str() != "-") {
        Some(path) => {
            if let Err(e) = readable(path) {
                return exit::usage(&e);
            }
            false
        }
        None => true,
    };
    let client = match site.client() {
        Ok(client) => client,
        Err(e) => return exit::usage(&e),
    };
    if from_stdin && std::io::stdin().is_terminal() {
        eprintln!("jira-ops: reading records from standard input (Ctrl-D ends it)");
    }

    let started = Instant::now();
    let ctrl_c = listen_for_ctrl_c();
    let progress = Progress::new(args.json);
    let (mut report, stopped) =
        submit_kind(&client, &args, &options, &progress, ctrl_c.clone()).await;
    progress.finish();
    let submitted_in = started.elapsed();
    if report.total() == 0 && stopped.is_none() {
        report
            .warnings
            .push("the input holds no records: nothing was sent".to_string());
    }

    let mut waited = args.wait;
    if args.wait {
        let not_waited = "--wait was interrupted: nothing was read back, so accepted and \
                          unconfirmed are as Jira's answers left them";
        if *ctrl_c.borrow() {
            waited = false;
            report.warnings.push(not_waited.to_string());
        } else {
            let timeout = Duration::from_secs(args.wait_timeout);
            tokio::select! {
                outcome = wait_for_storage(&client, &mut report, timeout) => {
                    if let Err(e) = outcome {
                        eprintln!("jira-ops: {e}");
                    }
                }
                () = interrupted(ctrl_c.clone()) => {
                    waited = false;
                    report.warnings.push(not_waited.to_string());
                }
            }
        }
    }

    let label = match args.kind {
        Kind::Incidents => "incidents",
        Kind::Reviews => "reviews",
    };
    if args.json {
        // The report, and where the input stopped if it did: what follows that point was
        // never read, so it is in none of the report's lists.
        let mut json = serde_json::to_value(&report).expect("reports serialize");
        if let Some(stop) = &stopped {
            json["input_stopped"] = serde_json::to_value(stop).expect("stops serialize");
        }
        outln!(
            "{}",
            serde_json::to_string_pretty(&json).expect("JSON values serialize")
        );
    }
    print_summary(label, &report, waited, args.json);
    eprintln!(
        "submitted in {:.2?}{}",
        submitted_in,
        if waited {
            format!(", {:.2?} in all with the wait", started.elapsed())
        } else {
            String::new()
        }
    );
    match &stopped {
        _ if *ctrl_c.borrow() => ExitCode::from(exit::INTERRUPTED),
        // An input that could not be read at all (UTF-16, `[` then garbage): nothing was sent.
        Some(_) if report.total() == 0 => ExitCode::from(exit::USAGE),
        _ => exit_code(&report, args.allow_partial, stopped.is_none()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jira_operations::Sent;

    #[test]
    fn control_and_reordering_characters_from_the_input_are_escaped() {
        assert_eq!(printable("CR\r\u{1b}[2J n\nl"), "CR\\r\\u{1b}[2J n\\nl");
        assert_eq!(printable("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(printable("café ✓"), "café ✓");
    }

    #[test]
    fn an_id_with_a_line_break_stays_on_its_line_of_the_summary() {
        let report = SubmitReport {
            rejected: vec![Rejected {
                id: Some("n\nl".into()),
                position: 0,
                source: Some("f.ndjson:1".into()),
                reasons: vec!["bad\nworse".into()],
            }],
            ..Default::default()
        };
        let text = summary_text("incidents", &report, true);
        assert!(
            text.contains("  rejected f.ndjson:1 n\\nl: bad\\nworse\n"),
            "{text}"
        );
    }

    /// Every pattern of unreadable records among eight: each readable record gets back its
    /// input position.
    #[test]
    fn positions_are_counted_in_the_input_whatever_was_skipped() {
        for pattern in 0u32..256 {
            let unreadable = |i: usize| pattern & (1 << i) != 0;
            let skipped: Vec<Rejected> = (0..8)
                .filter(|&i| unreadable(i))
                .map(|i| Rejected {
                    id: None,
                    position: i,
                    source: None,
                    reasons: vec![],
                })
                .collect();
            let readable: Vec<usize> = (0..8).filter(|&i| !unreadable(i)).collect();
            let mut report = SubmitReport {
                accepted: (0..readable.len())
                    .map(|p| Sent {
                        kind: EntityKind::Incident,
                        id: p.to_string(),
                        position: p,
                        source: None,
                        update_sequence_number: 1,
                        reason: None,
                    })
                    .collect(),
                ..SubmitReport::default()
            };

            count_positions_in_input(&mut report, &skipped);
            let positions: Vec<usize> = report.accepted.iter().map(|s| s.position).collect();
            assert_eq!(positions, readable, "unreadable pattern {pattern:08b}");
        }
    }
}

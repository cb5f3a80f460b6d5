//! End-to-end submission benchmark: a file of incidents sent to an in-process emulator by the
//! library (as `jira-ops submit` reads and sends it), and by a plain reqwest loop as the floor
//! of the HTTP stack. See BENCHMARKS.md for the commands and the figures.
//!
//! ```sh
//! jira-ops generate --count 100000 --seed 1 -o /tmp/inc-100k.ndjson
//! cargo build --release --all-features --example e2e_bench
//! # One measured run (one process per run, so `time -v` reports that run's peak):
//! /usr/bin/time -v target/release/examples/e2e_bench one library /tmp/inc-100k.ndjson
//! /usr/bin/time -v target/release/examples/e2e_bench one plain /tmp/inc-100k.ndjson
//! # Both, interleaved, several rounds, each run in its own process under `time -v`:
//! target/release/examples/e2e_bench compare --rounds 3 /tmp/inc-10k.ndjson /tmp/inc-100k.ndjson
//! ```
//!
//! * `library`: `jira_operations::input::read_json` streams the file (as the CLI does), each
//!   line becomes a `batch::Record` of its JSON with its `file:line`, and
//!   `submit_incidents_json_stream` checks each in place, packs the bytes, signs and sends. The clock runs from opening the file to the report. Accepted
//!   records are counted, not listed (`SubmitOptions::list_accepted(false)`, what
//!   `jira-ops submit` does without `--json` or `--wait`); `--list-accepted` lists them, to
//!   measure what the list costs.
//! * `plain`: the file is read and packed into requests of 1000 incidents *before* the clock
//!   starts; the timed loop posts them with reqwest (`.json(&request)`, i.e. `serde_json`),
//!   one precomputed `Authorization` header (the `qsh` of `POST /bulk` never changes; the token
//!   is made valid for a day) and reads each answer as a `SubmitEntityResponse`.
//!
//! Both send with the same concurrency (default 4, the CLI's) to an emulator started in the
//! same process, on the same tokio runtime (2 worker threads), with
//! `EmulatorConfig::default().with_retention(false)`: it authenticates, validates and answers
//! every request exactly as usual but does not keep the incidents, so the process's peak memory
//! is the client's (plus the emulator's per-request working set), not a store growing with N.
//! Every run checks that every incident was accepted, by the answers and by the emulator's
//! count.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use jira_operations::auth::{Signer, SystemClock};
use jira_operations::batch::Record as BatchRecord;
use jira_operations::emulator::{Emulator, EmulatorConfig};
use jira_operations::input::{self, Record};
use jira_operations::types::{Incident, SubmitEntityRequest, SubmitEntityResponse};
use jira_operations::{OperationsClient, SubmitOptions};
use serde::{Deserialize, Serialize};

const USAGE: &str = "usage:
  e2e_bench one (library|plain) FILE [--concurrency C] [--list-accepted]
  e2e_bench compare [--rounds R] [--concurrency C] [--list-accepted] FILE...";

/// Incidents per request in the plain loop: the API's limit, which is also what the library
/// packs synthetic incidents into (1000 of them stay under its 1 MiB default).
const PER_REQUEST: usize = 1000;

/// What one run prints, as one JSON line on standard output.
#[derive(Debug, Serialize, Deserialize)]
struct Run {
    mode: String,
    file: String,
    concurrency: usize,
    incidents: u64,
    accepted: u64,
    requests: u64,
    /// Seconds on the clock (see the module docs for what each mode times).
    seconds: f64,
    /// `plain` only: seconds spent reading and packing the file before the clock started.
    load_seconds: f64,
    incidents_per_second: f64,
    requests_per_second: f64,
    /// Incidents the emulator validated, accepted and discarded.
    emulator_discarded: u64,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("one") => one(&args[1..]),
        Some("compare") => compare(&args[1..]),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("e2e_bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Takes `--name` out of `args`; whether it was there.
fn take_switch(args: &mut Vec<String>, name: &str) -> bool {
    let before = args.len();
    args.retain(|a| a != name);
    args.len() != before
}

/// Takes `--name VALUE` out of `args`.
fn take_flag(args: &mut Vec<String>, name: &str) -> Result<Option<usize>, String> {
    let Some(i) = args.iter().position(|a| a == name) else {
        return Ok(None);
    };
    let value = args
        .get(i + 1)
        .ok_or(format!("{name} needs a value"))?
        .parse()
        .map_err(|e| format!("{name}: {e}"))?;
    args.drain(i..i + 2);
    Ok(Some(value))
}

fn one(args: &[String]) -> Result<(), String> {
    let mut args = args.to_vec();
    let concurrency = take_flag(&mut args, "--concurrency")?.unwrap_or(4).max(1);
    let list_accepted = take_switch(&mut args, "--list-accepted");
    let [mode, file] = args.as_slice() else {
        return Err(USAGE.to_string());
    };
    let file = PathBuf::from(file);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let run = runtime.block_on(async {
        let emulator = Emulator::start(EmulatorConfig::default().with_retention(false))
            .await
            .map_err(|e| e.to_string())?;
        let mut run = match mode.as_str() {
            "library" => library(&emulator, &file, concurrency, list_accepted).await?,
            "plain" => plain(&emulator, &file, concurrency).await?,
            other => return Err(format!("unknown mode `{other}`\n{USAGE}")),
        };
        run.emulator_discarded = emulator.state().discarded_entities;
        emulator.shutdown().await;
        Ok::<_, String>(run)
    })?;
    if run.accepted != run.incidents || run.emulator_discarded != run.incidents {
        return Err(format!(
            "not every incident went through: {}",
            serde_json::to_string(&run).expect("runs serialize")
        ));
    }
    println!("{}", serde_json::to_string(&run).expect("runs serialize"));
    Ok(())
}

fn finish(mode: &str, file: &Path, concurrency: usize, counts: (u64, u64, u64)) -> Run {
    let (incidents, accepted, requests) = counts;
    Run {
        mode: mode.to_string(),
        file: file.display().to_string(),
        concurrency,
        incidents,
        accepted,
        requests,
        seconds: 0.0,
        load_seconds: 0.0,
        incidents_per_second: 0.0,
        requests_per_second: 0.0,
        emulator_discarded: 0,
    }
}

fn timed(mut run: Run, elapsed: Duration) -> Run {
    run.seconds = elapsed.as_secs_f64();
    run.incidents_per_second = run.incidents as f64 / run.seconds;
    run.requests_per_second = run.requests as f64 / run.seconds;
    run
}

/// The library, fed as `jira-ops submit incidents FILE` feeds it.
async fn library(
    emulator: &Emulator,
    file: &Path,
    concurrency: usize,
    list_accepted: bool,
) -> Result<Run, String> {
    let client = OperationsClient::builder(emulator.installation())
        .build()
        .map_err(|e| e.to_string())?;
    let options = SubmitOptions::default()
        .concurrency(concurrency)
        .list_accepted(list_accepted);

    let started = Instant::now();
    let records = input::read_json(Some(file)).filter_map(|record| {
        futures::future::ready(match record {
            Record::Entity { entity, origin } => Some(BatchRecord::new(entity, origin.to_string())),
            Record::Malformed { origin, reason, .. } => panic!("{origin}: {reason}"),
            Record::Stopped { origin, reason } => panic!("{origin}: {reason}"),
        })
    });
    let report = client.submit_incidents_json_stream(records, &options).await;
    let elapsed = started.elapsed();

    if let Some(problem) = report
        .failed
        .first()
        .map(|f| f.messages.join("; "))
        .or_else(|| report.rejected.first().map(|r| r.reasons.join("; ")))
    {
        return Err(format!("library run: {problem}"));
    }
    let counts = (
        report.total() as u64,
        report.accepted_count() as u64,
        report.requests_sent,
    );
    Ok(timed(finish("library", file, concurrency, counts), elapsed))
}

/// The floor: pre-built requests posted by reqwest with one precomputed token.
async fn plain(emulator: &Emulator, file: &Path, concurrency: usize) -> Result<Run, String> {
    let loading = Instant::now();
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut requests = Vec::new();
    let mut incidents = Vec::with_capacity(PER_REQUEST);
    let mut count = 0u64;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        incidents.push(serde_json::from_str::<Incident>(line).map_err(|e| e.to_string())?);
        count += 1;
        if incidents.len() == PER_REQUEST {
            requests.push(SubmitEntityRequest {
                incidents: std::mem::replace(&mut incidents, Vec::with_capacity(PER_REQUEST)),
                ..Default::default()
            });
        }
    }
    if !incidents.is_empty() {
        requests.push(SubmitEntityRequest {
            incidents,
            ..Default::default()
        });
    }
    drop(text);
    let load_seconds = loading.elapsed().as_secs_f64();

    let signer = Signer::with_lifetime(
        &emulator.installation(),
        Arc::new(SystemClock),
        Duration::from_secs(24 * 3600),
    )
    .map_err(|e| e.to_string())?;
    let token = signer
        .token("POST", "/rest/operations/1.0/bulk", None)
        .map_err(|e| e.to_string())?;
    let mut authorization = reqwest::header::HeaderValue::from_str(&format!("JWT {token}"))
        .map_err(|e| e.to_string())?;
    authorization.set_sensitive(true);
    let url = format!("{}/rest/operations/1.0/bulk", emulator.base_url());
    let http = reqwest::Client::new();
    let request_count = requests.len() as u64;

    let started = Instant::now();
    let answers: Vec<Result<usize, String>> = futures::stream::iter(&requests)
        .map(|request| {
            let sent = http
                .post(&url)
                .header(reqwest::header::AUTHORIZATION, authorization.clone())
                .header(reqwest::header::ACCEPT, "application/json")
                .json(request)
                .send();
            async move {
                let answer: SubmitEntityResponse = sent
                    .await
                    .and_then(reqwest::Response::error_for_status)
                    .map_err(|e| e.to_string())?
                    .json()
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(answer.accepted_incidents.len())
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let elapsed = started.elapsed();

    let mut accepted = 0u64;
    for answer in answers {
        accepted += answer? as u64;
    }
    let mut run = timed(
        finish("plain", file, concurrency, (count, accepted, request_count)),
        elapsed,
    );
    run.load_seconds = load_seconds;
    Ok(run)
}

/// One run, as measured in its own process.
struct Measured {
    run: Run,
    max_rss_kb: u64,
}

/// Runs `self one MODE FILE` under `/usr/bin/time -v`.
fn measure(mode: &str, file: &str, concurrency: usize, list: bool) -> Result<Measured, String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let output = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(me)
        .args(["one", mode, file, "--concurrency", &concurrency.to_string()])
        .args(list.then_some("--list-accepted"))
        .output()
        .map_err(|e| format!("/usr/bin/time: {e}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("{mode} {file} failed:\n{stderr}"));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let run: Run = serde_json::from_str(stdout.lines().last().unwrap_or(""))
        .map_err(|e| format!("{mode} {file}: unreadable output ({e}): {stdout}"))?;
    let max_rss_kb = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or(format!("no peak RSS in /usr/bin/time's output:\n{stderr}"))?;
    Ok(Measured { run, max_rss_kb })
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn compare(args: &[String]) -> Result<(), String> {
    let mut args = args.to_vec();
    let rounds = take_flag(&mut args, "--rounds")?.unwrap_or(3).max(1);
    let concurrency = take_flag(&mut args, "--concurrency")?.unwrap_or(4).max(1);
    let list_accepted = take_switch(&mut args, "--list-accepted");
    if args.is_empty() {
        return Err(USAGE.to_string());
    }

    // results[file][mode] = runs
    let mut results: Vec<[Vec<Measured>; 2]> = args.iter().map(|_| [vec![], vec![]]).collect();
    const MODES: [&str; 2] = ["library", "plain"];
    for round in 0..rounds {
        for (f, file) in args.iter().enumerate() {
            // Alternate which mode goes first, so neither always runs on a warmer machine.
            let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
            for m in order {
                let measured = measure(MODES[m], file, concurrency, list_accepted)?;
                eprintln!(
                    "round {} {:>7} {file}: {:.3} s, {:.0} incidents/s, {:.1} requests/s, peak RSS {:.1} MiB",
                    round + 1,
                    MODES[m],
                    measured.run.seconds,
                    measured.run.incidents_per_second,
                    measured.run.requests_per_second,
                    measured.max_rss_kb as f64 / 1024.0
                );
                results[f][m].push(measured);
            }
        }
    }

    println!(
        "concurrency {concurrency}, {rounds} rounds, accepted records {}; medians (peak RSS: median [min, max])\n",
        if list_accepted { "listed" } else { "counted" }
    );
    println!(
        "| incidents | mode | seconds | incidents/s | requests/s | peak RSS MiB | library / plain | library / (plain + its loading) |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|");
    for file_results in &results {
        let seconds = |m: usize| median(file_results[m].iter().map(|r| r.run.seconds).collect());
        let loading = median(file_results[1].iter().map(|r| r.run.load_seconds).collect());
        for (m, mode) in MODES.iter().enumerate() {
            let runs = &file_results[m];
            let rss: Vec<f64> = runs.iter().map(|r| r.max_rss_kb as f64 / 1024.0).collect();
            let (lo, hi) = rss
                .iter()
                .fold((f64::MAX, 0.0f64), |(lo, hi), &v| (lo.min(v), hi.max(v)));
            let ratios = if m == 0 {
                format!(
                    "{:.2} | {:.2}",
                    seconds(0) / seconds(1),
                    seconds(0) / (seconds(1) + loading)
                )
            } else {
                format!("(loading: {loading:.3} s) | ")
            };
            println!(
                "| {} | {mode} | {:.3} | {:.0} | {:.1} | {:.1} [{lo:.1}, {hi:.1}] | {ratios} |",
                runs[0].run.incidents,
                seconds(m),
                median(runs.iter().map(|r| r.run.incidents_per_second).collect()),
                median(runs.iter().map(|r| r.run.requests_per_second).collect()),
                median(rss.clone()),
            );
        }
    }
    Ok(())
}

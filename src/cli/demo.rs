//! `jira-ops demo`: the whole job on real data, against an emulator started in-process.
//!
//! It submits the 242 incidents and 242 reviews mapped from public post-incident reports,
//! waits until they are stored, links workspaces, deletes one incident by ID and one
//! company's data by property, waits until those deletions are confirmed, and checks that the
//! emulator holds exactly what should be left.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use futures::StreamExt as _;
use jira_operations::demo::postmortems::{self, Mapped};
use jira_operations::emulator::{Emulator, EmulatorConfig};
use jira_operations::{OperationsClient, SubmitOptions, SubmitReport, WaitPolicy};

use super::exit;
use super::submit::{print_summary, wait_for_storage};

/// Run the demo: real post-incident data through the embedded emulator.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Milliseconds before the emulator makes a submit or delete visible, as Jira does
    /// asynchronously.
    #[arg(long, default_value_t = 250, value_name = "MS")]
    pub delay: u64,
}

fn step(n: u32, text: &str, started: Instant) {
    outln!("{n}. {text}  [{:.2?}]", started.elapsed());
}

fn options(company: &str) -> SubmitOptions {
    SubmitOptions::new()
        .property("source", "public-postmortems")
        .property("company", company)
        .product("jira-operations demo")
}

/// Submits one request group per company, a few at a time, and merges the reports.
async fn submit_by_company<T, F, Fut>(groups: &BTreeMap<String, Vec<T>>, send: F) -> SubmitReport
where
    T: Clone,
    F: Fn(Vec<T>, SubmitOptions) -> Fut,
    Fut: std::future::Future<Output = SubmitReport>,
{
    let reports: Vec<SubmitReport> = futures::stream::iter(groups)
        .map(|(company, items)| send(items.clone(), options(company)))
        .buffer_unordered(8)
        .collect()
        .await;
    let mut merged = SubmitReport::default();
    for report in reports {
        merged.merge(report);
    }
    merged
}

fn counts(report: &SubmitReport) -> String {
    format!(
        "{} accepted, {} failed, {} rejected before sending, {} unconfirmed, {} requests",
        report.accepted_count(),
        report.failed.len(),
        report.rejected.len(),
        report.unconfirmed.len(),
        report.requests_sent
    )
}

pub async fn run(args: DemoArgs) -> ExitCode {
    match demo(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("jira-ops demo: {e}");
            ExitCode::from(exit::PARTIAL)
        }
    }
}

async fn demo(args: DemoArgs) -> Result<(), String> {
    let all = Instant::now();
    let (mapped, unmapped) =
        postmortems::map_all(postmortems::DATASET).map_err(|e| e.to_string())?;
    if !unmapped.is_empty() {
        return Err(format!(
            "the dataset has records that do not map: {unmapped:?}"
        ));
    }
    let delay = Duration::from_millis(args.delay);
    let emulator = Emulator::start(EmulatorConfig::default().with_visibility_delay(delay))
        .await
        .map_err(|e| e.to_string())?;
    let client = OperationsClient::new(emulator.installation()).map_err(|e| e.to_string())?;
    let client = &client;
    outln!(
        "{} public post-incident reports from {} companies, against an Operations API emulator at {}\n\
         (it applies each change {} ms after accepting it, as Jira does asynchronously)\n",
        mapped.len(),
        by_company(&mapped, |m| m.company.clone()).len(),
        emulator.base_url(),
        args.delay
    );

    // 1-2: submit everything, one group of requests per company so that each carries the
    // company as a property.
    let started = Instant::now();
    let incidents = by_company(&mapped, |m| m.incident.clone());
    let mut incident_report = submit_by_company(&incidents, |items, opts| async move {
        client.submit_incidents(items, &opts).await
    })
    .await;
    step(
        1,
        &format!(
            "submitted {} incidents: {}",
            mapped.len(),
            counts(&incident_report)
        ),
        started,
    );

    let started = Instant::now();
    let reviews = by_company(&mapped, |m| m.review.clone());
    let mut review_report = submit_by_company(&reviews, |items, opts| async move {
        client.submit_reviews(items, &opts).await
    })
    .await;
    step(
        2,
        &format!(
            "submitted {} reviews: {} (Jira's answer does not list reviews)",
            mapped.len(),
            counts(&review_report)
        ),
        started,
    );

    for (label, report) in [("incidents", &incident_report), ("reviews", &review_report)] {
        if !report.failed.is_empty() || !report.rejected.is_empty() {
            print_summary(label, report, true, false);
        }
    }

    // 3: a 202 is not "stored": read everything back until it is there.
    let started = Instant::now();
    let wait = Duration::from_secs(30);
    wait_for_storage(client, &mut incident_report, wait).await?;
    wait_for_storage(client, &mut review_report, wait).await?;
    let stored = incident_report.accepted.len() + review_report.accepted.len();
    step(
        3,
        &format!(
            "confirmed stored by reading back: {stored} of {}",
            2 * mapped.len()
        ),
        started,
    );
    if !incident_report.is_complete_success() || !review_report.is_complete_success() {
        return Err(format!(
            "not everything was stored: incidents {}; reviews {}",
            counts(&incident_report),
            counts(&review_report)
        ));
    }

    // 4: one workspace per company.
    let policy = WaitPolicy {
        first_delay: Duration::from_millis(100),
        ..WaitPolicy::with_deadline(wait)
    };
    let started = Instant::now();
    let workspaces: Vec<String> = incidents.keys().map(|c| format!("ws-{c}")).collect();
    let linked = client
        .link_workspaces(&workspaces)
        .await
        .map_err(|e| e.to_string())?;
    client
        .wait_until_workspaces_linked(&workspaces, &policy)
        .await
        .map_err(|e| e.to_string())?;
    let listed = client.workspaces().await.map_err(|e| e.to_string())?;
    step(
        4,
        &format!(
            "linked {} workspaces in {} requests; confirmed: Jira lists {}",
            linked.accepted.len(),
            linked.requests_sent,
            listed.len()
        ),
        started,
    );

    // 5: the company with the most reports goes by property; another incident by ID.
    let (company, company_incidents) = incidents
        .iter()
        .max_by_key(|(_, items)| items.len())
        .map(|(c, items)| (c.clone(), items.len()))
        .expect("the dataset is not empty");
    let victim = mapped
        .iter()
        .find(|m| m.company != company)
        .expect("more than one company");

    let started = Instant::now();
    client
        .delete_incident(&victim.incident.id)
        .await
        .map_err(|e| e.to_string())?;
    client
        .wait_until_incident_deleted(&victim.incident.id, &policy)
        .await
        .map_err(|e| e.to_string())?;
    step(
        5,
        &format!(
            "deleted incident {} (\"{}\"); confirmed gone",
            victim.incident.id, victim.incident.summary
        ),
        started,
    );

    let started = Instant::now();
    client
        .delete_by_properties(&[("company", company.as_str())])
        .await
        .map_err(|e| e.to_string())?;
    let gone_incidents: Vec<&str> = mapped
        .iter()
        .filter(|m| m.company == company)
        .map(|m| m.incident.id.as_str())
        .collect();
    let gone_reviews: Vec<&str> = mapped
        .iter()
        .filter(|m| m.company == company)
        .map(|m| m.review.id.as_str())
        .collect();
    client
        .wait_until_all_deleted(&gone_incidents, &gone_reviews, &policy)
        .await
        .map_err(|e| e.to_string())?;
    step(
        6,
        &format!(
            "deleted by property company={company}: {} incidents and {} reviews confirmed gone",
            gone_incidents.len(),
            gone_reviews.len()
        ),
        started,
    );

    // 7: what is left must be exactly what should be.
    let state = emulator.state();
    let expected_incidents = mapped.len() - company_incidents - 1;
    let expected_reviews = mapped.len() - company_incidents;
    step(
        7,
        &format!(
            "the emulator holds {} incidents (expected {expected_incidents}), {} reviews (expected {expected_reviews}), {} workspaces",
            state.incidents, state.reviews, state.workspaces
        ),
        all,
    );
    emulator.shutdown().await;
    if state.incidents != expected_incidents
        || state.reviews != expected_reviews
        || state.workspaces != workspaces.len()
    {
        return Err("the emulator's state is not what the steps should have left".into());
    }
    outln!("\ndone in {:.2?}", all.elapsed());
    Ok(())
}

fn by_company<T>(mapped: &[Mapped], pick: impl Fn(&Mapped) -> T) -> BTreeMap<String, Vec<T>> {
    let mut groups: BTreeMap<String, Vec<T>> = BTreeMap::new();
    for m in mapped {
        groups.entry(m.company.clone()).or_default().push(pick(m));
    }
    groups
}

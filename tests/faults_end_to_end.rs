//! Ten thousand incidents through an emulator that fails often: 10 % of requests answered
//! 503, 5 % answered 429 with `Retry-After: 0`, 2 % of connections dropped before the request
//! is processed and 1 % dropped after it was (the change made, the answer lost). Seeded: the
//! n-th request the emulator sees meets the n-th fault drawn, whatever the order in which
//! concurrent requests arrive, so the faults the submission meets are the same on every run
//! (with this seed: 120 requests, of which 11 get a 503, 5 a 429, 2 a reset and 2 a reset
//! after processing; about the nominal shares).
//!
//! Every incident must end stored, and the client's report must account for each exactly
//! once, with nothing failed or rejected; the client's request and retry counts must match
//! what the emulator served, fault for fault. Then a waiter reads every incident back through
//! the same faults.

#![cfg(all(feature = "emulator", feature = "cli"))]

use std::collections::HashSet;
use std::time::Duration;

use jira_operations::demo::synthetic::Generator;
use jira_operations::emulator::{Emulator, EmulatorConfig, EmulatorState, Faults};
use jira_operations::types::Incident;
use jira_operations::{
    EntityKind, OperationsClient, RetryPolicy, StoredTarget, SubmitOptions, WaitPolicy,
};

const COUNT: usize = 10_000;
const PER_REQUEST: usize = 100;
const FAULTS: &str = "503=10%,429=5%,reset=2%,reset-after=1%,retry-after=0,seed=2024";

fn served(state: &EmulatorState, status: u16) -> u64 {
    state.requests_by_status.get(&status).copied().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_incidents_through_faults_are_each_stored_and_accounted_for_once() {
    let faults: Faults = FAULTS.parse().unwrap();
    let emu = Emulator::start(EmulatorConfig::default().with_faults(faults))
        .await
        .unwrap();
    // Short waits: `Retry-After: 0` gets a floor of 2 ms rather than the default second, and
    // enough attempts that a run of faults on one request is practically impossible
    // (0.18^12 per request).
    let retry = RetryPolicy::new()
        .max_attempts(12)
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(16))
        .retry_after_floor(Duration::from_millis(2));
    let client = OperationsClient::builder(emu.installation())
        .retry_policy(retry)
        .build()
        .unwrap();

    let incidents: Vec<Incident> = Generator::new(11).take(COUNT).collect();
    let all_ids: HashSet<String> = incidents.iter().map(|i| i.id.clone()).collect();
    assert_eq!(all_ids.len(), COUNT);
    let options = SubmitOptions::default()
        .max_entities_per_request(PER_REQUEST)
        .concurrency(4);

    let mut report = client.submit_incidents(incidents.clone(), &options).await;
    let after_submit = emu.state();

    // Each incident in exactly one list; none failed or rejected.
    assert!(report.failed.is_empty(), "{:?}", &report.failed[..1]);
    assert!(report.rejected.is_empty(), "{:?}", &report.rejected[..1]);
    assert_eq!(report.total(), COUNT);
    let mut seen = HashSet::new();
    for sent in report.accepted.iter().chain(&report.unconfirmed) {
        assert!(seen.insert(sent.id.clone()), "{} counted twice", sent.id);
    }
    assert_eq!(seen, all_ids);

    // The emulator served every kind of fault while the incidents went in.
    let (unavailable, rate_limited) = (served(&after_submit, 503), served(&after_submit, 429));
    let (resets, lost) = (after_submit.connection_resets, after_submit.answers_lost);
    assert!(unavailable > 0 && rate_limited > 0, "{after_submit:?}");
    assert!(resets > lost && lost > 0, "{after_submit:?}");
    assert_eq!(after_submit.fault_seed, Some(2024));

    // The client saw every request the emulator saw, and retried each fault: each request of
    // incidents ended in one 202, except those whose last attempt left the fate unknown.
    let served_total: u64 =
        after_submit.requests_by_status.values().sum::<u64>() + after_submit.connection_resets;
    assert_eq!(report.requests_sent, served_total);
    let requests = COUNT.div_ceil(PER_REQUEST) as u64;
    let unknown_requests = (report.unconfirmed.len() / PER_REQUEST) as u64;
    assert_eq!(served(&after_submit, 202), requests - unknown_requests);
    assert_eq!(report.retries, report.requests_sent - requests);
    assert_eq!(
        report.retries + unknown_requests,
        unavailable + rate_limited + resets
    );

    // Every incident reads back at the number it was sent with, through the same faults;
    // the unconfirmed ones (if a request ran out of attempts) are confirmed by the same wait.
    let targets: Vec<StoredTarget> = incidents
        .iter()
        .map(|i| StoredTarget::incident(&i.id, Some(i.update_sequence_number)))
        .collect();
    let policy = WaitPolicy {
        first_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        deadline: Duration::from_secs(60),
        concurrency: 16,
    };
    client
        .wait_until_all_stored(&targets, &policy)
        .await
        .unwrap();
    let unconfirmed: Vec<String> = report.unconfirmed.iter().map(|s| s.id.clone()).collect();
    assert_eq!(
        report.confirm(EntityKind::Incident, &unconfirmed),
        unconfirmed.len()
    );
    assert_eq!(report.accepted.len(), COUNT);
    assert!(report.is_complete_success());

    let stored: HashSet<String> = emu
        .state_with_ids()
        .ids
        .unwrap()
        .incidents
        .into_iter()
        .collect();
    assert_eq!(stored, all_ids);
    // The reads met faults too, and got through them.
    let after_reads = emu.state();
    assert!(served(&after_reads, 503) > unavailable);
    assert!(after_reads.connection_resets > resets);
}

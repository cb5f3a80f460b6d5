//! The client's validation against the emulator's schema check, on generated URLs and dates:
//! whatever the emulator would list in `failedIncidents`, the client refuses before sending.
//!
//! The client validates by hand (cheap, with messages that name the field), the emulator
//! validates against the vendored fragment with a JSON Schema engine (`format: uri`,
//! `format: date-time`). The two are written independently; these properties make them
//! agree. Every incident goes through `OperationsClient::submit`, which sends as given,
//! without validation.
//!
//! For `date-time` the two must agree both ways. For `uri` the client may be stricter than
//! the schema: it also asks for an absolute http(s) URL that a browser can open (a valid
//! port, a parsable host), which RFC 3986 alone does not.

#![cfg(feature = "emulator")]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use jira_operations::emulator::{Emulator, EmulatorConfig};
use jira_operations::model::{IncidentStatus, SchemaVersion};
use jira_operations::types::{Incident, SubmitEntityRequest};
use jira_operations::{OperationsClient, RetryPolicy, validate_incident};
use proptest::prelude::*;

struct Harness {
    runtime: tokio::runtime::Runtime,
    client: OperationsClient,
    _emulator: Emulator,
}

/// One emulator and one client for every case of this file.
fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let emulator = runtime
            .block_on(Emulator::start(EmulatorConfig::default()))
            .unwrap();
        let client = OperationsClient::builder(emulator.installation())
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap();
        Harness {
            runtime,
            client,
            _emulator: emulator,
        }
    })
}

fn incident(n: usize, url: &str, created: &str) -> Incident {
    Incident {
        affected_components: vec!["checkout".into()],
        associations: vec![],
        created_date: created.into(),
        description: "generated".into(),
        id: format!("GEN-{n}"),
        last_updated: "2024-01-15T10:05:00Z".into(),
        schema_version: SchemaVersion::V1_0,
        severity: None,
        status: IncidentStatus::Open,
        summary: "generated".into(),
        update_sequence_number: 1,
        url: url.into(),
    }
}

/// Submits `incidents` as they are; gives, by ID, the emulator's messages for the ones it
/// refused. Every ID must be either accepted or failed.
fn emulator_verdicts(incidents: Vec<Incident>) -> BTreeMap<String, Vec<String>> {
    let h = harness();
    let ids: Vec<String> = incidents.iter().map(|i| i.id.clone()).collect();
    let request = SubmitEntityRequest {
        incidents,
        ..Default::default()
    };
    let answer = h
        .runtime
        .block_on(h.client.submit(&request))
        .expect("a 202");
    let failed: BTreeMap<String, Vec<String>> = answer
        .failed_incidents
        .into_iter()
        .map(|(id, errors)| (id, errors.into_iter().map(|e| e.message).collect()))
        .collect();
    for id in &ids {
        assert!(
            answer.accepted_incidents.contains(id) != failed.contains_key(id),
            "{id} must be in exactly one list"
        );
    }
    failed
}

/// Strings shaped like URLs: a scheme and authority from a small set, then path, query and
/// fragment characters from every class RFC 3986 treats differently.
fn url() -> impl Strategy<Value = String> {
    let start = prop::sample::select(vec![
        "https://ops.example",
        "http://ops.example:8080",
        "https://user@ops.example",
        "https://[::1]",
        "https://[2001:db8::7]:443",
        "https:",
        "https://",
        "https://ops.example:99999",
        "http://10.0.0.1",
    ]);
    let tail = "[a-zA-Z0-9/?#\\[\\]@!$&'()*+,;=%:._~ |{}^`\"<>\\\\-]{0,14}";
    (start, tail).prop_map(|(start, tail)| format!("{start}{tail}"))
}

/// Strings shaped like RFC 3339 date-times, each part sometimes out of range or malformed.
fn date_time() -> impl Strategy<Value = String> {
    let date = (
        prop::sample::select(vec!["2024", "2023", "0000", "9999", "24", "20245"]),
        0u32..=13,
        0u32..=32,
    );
    let separator = prop::sample::select(vec!["T", "t", " ", "_", ""]);
    let time = (0u32..=25, 0u32..=61, 0u32..=61);
    let fraction = prop::sample::select(vec!["", ".1", ".123", ".123456789123", ".", ",5"]);
    let offset = prop_oneof![
        prop::sample::select(vec!["Z", "z", "", "+0100", "+01", " Z"]).prop_map(String::from),
        (prop::sample::select(vec!["+", "-"]), 0u32..=25, 0u32..=60)
            .prop_map(|(sign, h, m)| format!("{sign}{h:02}:{m:02}")),
    ];
    (date, separator, time, fraction, offset).prop_map(
        |((year, month, day), separator, (h, m, s), fraction, offset)| {
            format!("{year}-{month:02}-{day:02}{separator}{h:02}:{m:02}:{s:02}{fraction}{offset}")
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_url_the_emulator_refuses_the_client_refuses(urls in prop::collection::vec(url(), 40)) {
        let incidents: Vec<Incident> = urls
            .iter()
            .enumerate()
            .map(|(n, url)| incident(n, url, "2024-01-15T10:00:00Z"))
            .collect();
        let client: Vec<Vec<String>> = incidents.iter().map(validate_incident).collect();
        let emulator = emulator_verdicts(incidents);

        for (n, url) in urls.iter().enumerate() {
            if let Some(messages) = emulator.get(&format!("GEN-{n}")) {
                prop_assert!(
                    !client[n].is_empty(),
                    "the emulator refused url {url:?} ({messages:?}); the client let it through"
                );
            }
        }
    }

    #[test]
    fn client_and_emulator_agree_on_every_date_time(dates in prop::collection::vec(date_time(), 40)) {
        let incidents: Vec<Incident> = dates
            .iter()
            .enumerate()
            .map(|(n, date)| incident(n, "https://ops.example/incidents/1", date))
            .collect();
        let client: Vec<Vec<String>> = incidents.iter().map(validate_incident).collect();
        let emulator = emulator_verdicts(incidents);

        for (n, date) in dates.iter().enumerate() {
            let refused_by_emulator = emulator.get(&format!("GEN-{n}"));
            prop_assert_eq!(
                client[n].is_empty(),
                refused_by_emulator.is_none(),
                "date-time {:?}: client {:?}, emulator {:?}",
                date,
                client[n],
                refused_by_emulator
            );
        }
    }
}

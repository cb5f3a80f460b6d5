//! The client against the emulator, in one process: the real `OperationsClient`, signing with
//! the installation the emulator made, talking HTTP on loopback to a real server.
//!
//! The client's other tests check it against hand-written mocks, and the emulator's tests
//! check it with raw requests; here each checks the other. Every test starts its own
//! emulator. Waits run on the real clock with delays of a few tens of milliseconds, since the
//! emulator's visibility delays are tokio timers on the same clock.

#![cfg(feature = "emulator")]

use std::collections::BTreeSet;
use std::time::Duration;

use jira_operations::emulator::{Emulator, EmulatorConfig, Faults};
use jira_operations::model::{
    AssociationType, IncidentStatus, ReviewStatus, SchemaVersion, SeverityLevel,
};
use jira_operations::types::{
    Association, Incident, IncidentSeverity, Review, SubmitEntityRequest,
};
use jira_operations::{
    EntityKind, OperationsClient, RetryPolicy, Seen, StoredTarget, SubmitOptions, WaitPolicy,
    validate_incident,
};
use tokio::time::Instant;

fn incident(id: &str, sequence: i64, issue_keys: &[&str]) -> Incident {
    Incident {
        affected_components: vec!["checkout".into()],
        associations: if issue_keys.is_empty() {
            vec![]
        } else {
            vec![Association {
                association_type: Some(AssociationType::IssueIdOrKeys),
                values: issue_keys.iter().map(|k| k.to_string()).collect(),
            }]
        },
        created_date: "2024-01-15T10:00:00Z".into(),
        description: "Checkout fails for some users.".into(),
        id: id.into(),
        last_updated: "2024-01-15T10:05:00.123Z".into(),
        schema_version: SchemaVersion::V1_0,
        severity: Some(IncidentSeverity {
            level: SeverityLevel::P2,
        }),
        status: IncidentStatus::Open,
        summary: format!("Incident {id}"),
        update_sequence_number: sequence,
        url: format!("https://ops.example/incidents/{id}"),
    }
}

fn review(id: &str, sequence: i64) -> Review {
    Review {
        associations: vec![Association {
            association_type: Some(AssociationType::IssueIdOrKeys),
            values: vec!["OPS-1".into()],
        }],
        created_date: "2024-01-16T09:00:00Z".into(),
        description: "What happened and what we change.".into(),
        id: id.into(),
        last_updated: "2024-01-16T09:00:00Z".into(),
        reviews: vec!["INC-1".into()],
        schema_version: SchemaVersion::V1_0,
        status: ReviewStatus::InProgress,
        summary: format!("Review {id}"),
        update_sequence_number: sequence,
        url: format!("https://ops.example/reviews/{id}"),
    }
}

/// Short polls, a generous deadline.
fn policy() -> WaitPolicy {
    WaitPolicy {
        first_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
        deadline: Duration::from_secs(10),
        concurrency: 8,
    }
}

async fn start(config: EmulatorConfig) -> (Emulator, OperationsClient) {
    let emu = Emulator::start(config).await.unwrap();
    let client = OperationsClient::new(emu.installation()).unwrap();
    (emu, client)
}

fn ids<'a>(sent: impl IntoIterator<Item = &'a jira_operations::Sent>) -> Vec<&'a str> {
    sent.into_iter().map(|s| s.id.as_str()).collect()
}

fn served(emu: &Emulator, status: u16) -> u64 {
    emu.state()
        .requests_by_status
        .get(&status)
        .copied()
        .unwrap_or(0)
}

#[tokio::test]
async fn incidents_and_reviews_are_stored_with_the_sequence_numbers_sent() {
    let (emu, client) = start(EmulatorConfig::default()).await;
    let numbers = client.incident_sequence_numbers().clone();
    let incidents: Vec<Incident> = ["INC-1", "INC-2", "INC-3"]
        .iter()
        .map(|id| incident(id, numbers.next(id), &["OPS-1"]))
        .collect();
    let reviews: Vec<Review> = ["PIR-1", "PIR-2"]
        .iter()
        .map(|id| review(id, client.review_sequence_numbers().next(id)))
        .collect();
    let options = SubmitOptions::default().property("accountId", "acc-1");

    let mut report = client.submit_incidents(incidents.clone(), &options).await;
    report.merge(client.submit_reviews(reviews.clone(), &options).await);

    // Jira's 202 names incidents only: reviews stay unconfirmed until seen.
    assert_eq!(ids(&report.accepted), ["INC-1", "INC-2", "INC-3"]);
    assert_eq!(ids(&report.unconfirmed), ["PIR-1", "PIR-2"]);
    assert!(report.failed.is_empty() && report.rejected.is_empty());
    assert_eq!(report.requests_sent, 2);

    let targets: Vec<StoredTarget> = incidents
        .iter()
        .map(|i| StoredTarget::incident(&i.id, Some(i.update_sequence_number)))
        .chain(
            reviews
                .iter()
                .map(|r| StoredTarget::review(&r.id, Some(r.update_sequence_number))),
        )
        .collect();
    client
        .wait_until_all_stored(&targets, &policy())
        .await
        .unwrap();
    assert_eq!(report.confirm(EntityKind::Review, &["PIR-1", "PIR-2"]), 2);
    assert!(report.is_complete_success());

    // What is stored is what was sent, field for field.
    for sent in &incidents {
        let stored = client.get_incident(&sent.id).await.unwrap();
        assert_eq!(stored.as_ref(), Some(sent));
    }
    for sent in &reviews {
        let stored = client.get_review(&sent.id).await.unwrap();
        assert_eq!(stored.as_ref(), Some(sent));
    }
    let state = emu.state();
    assert_eq!((state.incidents, state.reviews), (3, 2));
}

#[tokio::test]
async fn a_get_finds_what_is_stored_and_none_for_an_unknown_id() {
    let (_emu, client) = start(EmulatorConfig::default()).await;
    let mut sent = incident("INC 1/a?b#c", 7, &["OPS-1"]);
    sent.url = "https://ops.example/incidents/INC%201".into();
    let report = client
        .submit_incidents([sent.clone()], &SubmitOptions::default())
        .await;
    assert_eq!(ids(&report.accepted), ["INC 1/a?b#c"]);
    let sent_review = review("PIR-1", 3);
    client
        .submit_reviews([sent_review.clone()], &SubmitOptions::default())
        .await;

    // An ID that needs encoding round-trips through the path.
    assert_eq!(
        client.get_incident("INC 1/a?b#c").await.unwrap(),
        Some(sent)
    );
    assert_eq!(client.get_review("PIR-1").await.unwrap(), Some(sent_review));
    assert_eq!(client.get_incident("INC-404").await.unwrap(), None);
    assert_eq!(client.get_review("PIR-404").await.unwrap(), None);
    // A review ID is not an incident ID.
    assert_eq!(client.get_incident("PIR-1").await.unwrap(), None);
}

#[tokio::test]
async fn a_delete_by_id_is_awaited_until_the_entity_is_gone() {
    let (emu, client) = start(EmulatorConfig::default()).await;
    client
        .submit_incidents(
            [incident("INC-1", 1, &[]), incident("INC-2", 1, &[])],
            &SubmitOptions::default(),
        )
        .await;
    client
        .submit_reviews([review("PIR-1", 1)], &SubmitOptions::default())
        .await;

    client.delete_incident("INC-1").await.unwrap();
    client.delete_review("PIR-1").await.unwrap();
    // Deleting what does not exist is accepted too.
    client.delete_incident("INC-404").await.unwrap();

    client
        .wait_until_incident_deleted("INC-1", &policy())
        .await
        .unwrap();
    client
        .wait_until_review_deleted("PIR-1", &policy())
        .await
        .unwrap();
    assert_eq!(client.get_incident("INC-1").await.unwrap(), None);
    assert!(client.get_incident("INC-2").await.unwrap().is_some());
    assert_eq!(served(&emu, 202), 2 + 3);
}

/// The property values need encoding in the query (`&`, `+`, `/`, a space, a non-ASCII
/// letter): the emulator must decode them to what was submitted, and verify the signature
/// over the encoded query.
#[tokio::test]
async fn a_delete_by_properties_removes_only_entities_with_every_pair() {
    let (emu, client) = start(EmulatorConfig::default()).await;
    let both = SubmitOptions::default()
        .property("accountId", "acc-1")
        .property("team", "ops & sre+1/é");
    let account_only = SubmitOptions::default().property("accountId", "acc-1");
    let team_only = SubmitOptions::default().property("team", "ops & sre+1/é");

    client
        .submit_incidents(
            [incident("BOTH-1", 1, &[]), incident("BOTH-2", 1, &[])],
            &both,
        )
        .await;
    client.submit_reviews([review("PIR-BOTH", 1)], &both).await;
    client
        .submit_incidents([incident("ACCOUNT-ONLY", 1, &[])], &account_only)
        .await;
    client
        .submit_reviews([review("PIR-TEAM-ONLY", 1)], &team_only)
        .await;
    assert_eq!((emu.state().incidents, emu.state().reviews), (3, 2));

    client
        .delete_by_properties(&[("accountId", "acc-1"), ("team", "ops & sre+1/é")])
        .await
        .unwrap();
    client
        .wait_until_all_deleted(&["BOTH-1", "BOTH-2"], &["PIR-BOTH"], &policy())
        .await
        .unwrap();

    // An entity with one of the two pairs survives.
    assert!(client.get_incident("ACCOUNT-ONLY").await.unwrap().is_some());
    assert!(client.get_review("PIR-TEAM-ONLY").await.unwrap().is_some());
    let stored = emu.state_with_ids().ids.unwrap();
    assert_eq!(stored.incidents, ["ACCOUNT-ONLY"]);
    assert_eq!(stored.reviews, ["PIR-TEAM-ONLY"]);
}

#[tokio::test]
async fn workspaces_are_linked_listed_one_by_one_and_unlinked() {
    let (_emu, client) = start(EmulatorConfig::default()).await;
    assert_eq!(client.workspaces().await.unwrap(), Vec::<String>::new());

    let linked = client
        .link_workspaces(&["w-3", "w-1", "w-2", "w-1"])
        .await
        .unwrap();
    assert_eq!(linked.accepted, ["w-3", "w-1", "w-2"]);
    assert!(linked.is_complete_success());
    client
        .wait_until_workspaces_linked(&["w-1", "w-2", "w-3"], &policy())
        .await
        .unwrap();

    assert_eq!(client.workspaces().await.unwrap(), ["w-1", "w-2", "w-3"]);
    assert_eq!(
        client.workspace("w-2").await.unwrap().as_deref(),
        Some("w-2")
    );
    assert_eq!(client.workspace("w-9").await.unwrap(), None);

    let unlinked = client.unlink_workspaces(&["w-1", "w-2"]).await.unwrap();
    assert_eq!(unlinked.accepted, ["w-1", "w-2"]);
    client
        .wait_until_workspaces_unlinked(&["w-1", "w-2"], &policy())
        .await
        .unwrap();
    assert_eq!(client.workspaces().await.unwrap(), ["w-3"]);

    // With nothing linked, Jira answers 404, which reads as an empty list.
    client.unlink_workspaces(&["w-3"]).await.unwrap();
    client
        .wait_until_workspaces_unlinked(&["w-3"], &policy())
        .await
        .unwrap();
    assert_eq!(client.workspaces().await.unwrap(), Vec::<String>::new());
    assert_eq!(client.workspace("w-3").await.unwrap(), None);
}

#[tokio::test]
async fn a_lower_sequence_number_after_a_higher_one_is_accepted_and_changes_nothing() {
    let (_emu, client) = start(EmulatorConfig::default()).await;
    let options = SubmitOptions::default();

    let first = client
        .submit_incidents([incident("INC-1", 5, &["OPS-1"])], &options)
        .await;
    assert_eq!(ids(&first.accepted), ["INC-1"]);
    assert!(first.warnings.is_empty(), "{:?}", first.warnings);

    let mut older = incident("INC-1", 3, &["OPS-1"]);
    older.status = IncidentStatus::Resolved;
    let mut same = incident("INC-1", 5, &["OPS-1"]);
    same.summary = "Same number, other summary".into();
    for stale in [older, same] {
        let report = client.submit_incidents([stale], &options).await;
        // Accepted, as Jira does; the client warns that it cannot supersede.
        assert_eq!(ids(&report.accepted), ["INC-1"]);
        assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
        assert!(report.warnings[0].contains("does not supersede 5"));

        let stored = client.get_incident("INC-1").await.unwrap().unwrap();
        assert_eq!(stored.update_sequence_number, 5);
        assert_eq!(stored.status, IncidentStatus::Open);
        assert_eq!(stored.summary, "Incident INC-1");
    }

    let mut newer = incident("INC-1", 6, &["OPS-1"]);
    newer.status = IncidentStatus::Resolved;
    client.submit_incidents([newer.clone()], &options).await;
    assert_eq!(client.get_incident("INC-1").await.unwrap(), Some(newer));
}

#[tokio::test]
async fn an_incident_whose_issue_keys_are_all_unknown_is_neither_stored_nor_accepted() {
    let (_emu, client) = start(EmulatorConfig::default()).await;
    let report = client
        .submit_incidents(
            [
                incident("ALL-UNKNOWN", 1, &["NOPE-1", "UTF-8"]),
                incident("SOME-KNOWN", 1, &["NOPE-2", "OPS-7"]),
                incident("NO-ISSUES", 1, &[]),
            ],
            &SubmitOptions::default(),
        )
        .await;

    assert_eq!(ids(&report.accepted), ["SOME-KNOWN", "NO-ISSUES"]);
    // Named in no list of the answer: its fate is for a GET to tell.
    assert_eq!(ids(&report.unconfirmed), ["ALL-UNKNOWN"]);
    assert!(report.failed.is_empty());
    assert_eq!(
        report.unknown_project_keys,
        BTreeSet::from(["NOPE".to_string(), "UTF".to_string()])
    );
    // The client says why it is most likely not stored.
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(
        report.warnings[0].starts_with(
            "incident ALL-UNKNOWN: every issue key is in a project Jira does not know (NOPE, UTF)"
        ),
        "{:?}",
        report.warnings
    );
    assert_eq!(client.get_incident("ALL-UNKNOWN").await.unwrap(), None);
    assert!(client.get_incident("SOME-KNOWN").await.unwrap().is_some());
}

/// Entities the emulator's schema check refuses. The first four were sent by the client's
/// validation before it learnt RFC 3986's and JSON Schema's stricter rules.
fn refused_by_the_schema() -> Vec<(Incident, &'static str)> {
    let with = |id: &str, change: &dyn Fn(&mut Incident)| {
        let mut i = incident(id, 1, &["OPS-1"]);
        change(&mut i);
        i
    };
    vec![
        (
            with("BRACKETS", &|i| i.url = "https://ops.example/?q=[1]".into()),
            "`/url`",
        ),
        (
            with("TWO-HASHES", &|i| i.url = "https://ops.example/#a#b".into()),
            "`/url`",
        ),
        (
            with("SPACE-IN-DATE", &|i| {
                i.created_date = "2024-01-15 10:00:00Z".into()
            }),
            "`/createdDate`",
        ),
        (
            with("LEAP-SECOND", &|i| {
                i.last_updated = "2024-01-15T10:00:60Z".into()
            }),
            "`/lastUpdated`",
        ),
        (with("EMPTY-URL", &|i| i.url = String::new()), "`/url`"),
        (
            with("NO-COMPONENTS", &|i| i.affected_components.clear()),
            "`/affectedComponents`",
        ),
        (
            with("LONG-SUMMARY", &|i| i.summary = "s".repeat(256)),
            "`/summary`",
        ),
        (
            with("CLOSED", &|i| i.status = IncidentStatus::from("closed")),
            "`/status`",
        ),
        (
            with("P0", &|i| {
                i.severity = Some(IncidentSeverity {
                    level: SeverityLevel::from("P0"),
                })
            }),
            "`/severity/level`",
        ),
    ]
}

#[tokio::test]
async fn what_the_emulator_refuses_per_entity_the_client_refuses_before_sending() {
    let (emu, client) = start(EmulatorConfig::default()).await;
    let bad = refused_by_the_schema();
    let good = incident("GOOD", 1, &["OPS-1"]);

    // Sent as given (`submit` does not validate): the emulator fails each bad one by ID,
    // naming the field, and still takes the good one.
    let mut incidents: Vec<Incident> = bad.iter().map(|(i, _)| i.clone()).collect();
    incidents.push(good.clone());
    let answer = client
        .submit(&SubmitEntityRequest {
            incidents: incidents.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(answer.accepted_incidents, ["GOOD"]);
    assert_eq!(answer.failed_incidents.len(), bad.len());
    for (incident, field) in &bad {
        let messages = &answer.failed_incidents[&incident.id];
        assert!(
            messages.iter().any(|m| m.message.contains(field)),
            "{}: {messages:?}",
            incident.id
        );
    }
    emu.reset();

    // Through the batching layer, each is rejected with the client's reasons and only the
    // good one is sent.
    let report = client
        .submit_incidents(incidents, &SubmitOptions::default())
        .await;
    assert_eq!(ids(&report.accepted), ["GOOD"]);
    assert!(report.failed.is_empty());
    let rejected: Vec<&str> = report
        .rejected
        .iter()
        .map(|r| r.id.as_deref().unwrap())
        .collect();
    let expected: Vec<&str> = bad.iter().map(|(i, _)| i.id.as_str()).collect();
    assert_eq!(rejected, expected);
    for (rejected, (incident, _)) in report.rejected.iter().zip(&bad) {
        assert_eq!(rejected.reasons, validate_incident(incident));
    }
    assert_eq!(report.requests_sent, 1);
    assert_eq!(emu.state_with_ids().ids.unwrap().incidents, ["GOOD"]);
}

/// Requests and 413s a bisecting client makes for `incidents` against a body limit of
/// `limit` bytes, from the sizes of the bodies it would send; the third number is how many
/// single incidents are too large to be sent at all.
fn bisect(incidents: &[Incident], limit: usize) -> (u64, u64, u64) {
    let body = serde_json::to_vec(&SubmitEntityRequest {
        incidents: incidents.to_vec(),
        ..Default::default()
    })
    .unwrap();
    if body.len() <= limit {
        return (1, 0, 0);
    }
    if incidents.len() == 1 {
        return (1, 1, 1);
    }
    let (left, right) = incidents.split_at(incidents.len() / 2);
    let (l, r) = (bisect(left, limit), bisect(right, limit));
    (1 + l.0 + r.0, 1 + l.1 + r.1, l.2 + r.2)
}

#[tokio::test]
async fn a_413_is_split_in_halves_until_each_request_fits() {
    const LIMIT: usize = 2_000;
    let (emu, client) = start(EmulatorConfig::default().with_max_body_bytes(LIMIT)).await;
    let mut incidents: Vec<Incident> = (0..23)
        .map(|n| incident(&format!("INC-{n}"), 1, &["OPS-1"]))
        .collect();
    // Alone larger than the limit: refused even when sent on its own.
    incidents[9].description = "x".repeat(3_000);
    let (requests, too_large, unsendable) = bisect(&incidents, LIMIT);
    assert_eq!(unsendable, 1);

    let report = client
        .submit_incidents(incidents.clone(), &SubmitOptions::default())
        .await;

    assert_eq!(report.accepted.len(), 22);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].id, "INC-9");
    assert!(
        report.failed[0]
            .messages
            .iter()
            .any(|m| m.contains("Data is too large")),
        "{:?}",
        report.failed[0].messages
    );
    assert_eq!(report.total(), 23);

    // Exactly the requests a bisection makes, each 413 answered by the emulator's limit.
    assert_eq!(report.requests_sent, requests);
    assert_eq!(report.retries, 0);
    assert_eq!(served(&emu, 413), too_large);
    assert_eq!(served(&emu, 202), requests - too_large);
    let stored = emu.state_with_ids().ids.unwrap().incidents;
    let mut expected: Vec<String> = ids(&report.accepted)
        .into_iter()
        .map(String::from)
        .collect();
    expected.sort();
    assert_eq!(stored, expected);
}

#[tokio::test]
async fn waiters_wait_out_the_visibility_delay_of_submits_and_deletes() {
    const DELAY: Duration = Duration::from_millis(150);
    let (emu, client) = start(EmulatorConfig::default().with_visibility_delay(DELAY)).await;
    let options = SubmitOptions::default().property("accountId", "acc-1");

    let started = Instant::now();
    let report = client
        .submit_incidents(
            [incident("INC-1", 1, &["OPS-1"]), incident("INC-2", 1, &[])],
            &options,
        )
        .await;
    assert_eq!(ids(&report.accepted), ["INC-1", "INC-2"]);
    // Accepted is not stored yet.
    assert_eq!(client.get_incident("INC-1").await.unwrap(), None);
    assert_eq!(emu.state().pending_operations, 1);
    client
        .wait_until_incident_stored("INC-1", Some(1), &policy())
        .await
        .unwrap();
    assert!(started.elapsed() >= DELAY);

    let started = Instant::now();
    client.delete_incident("INC-1").await.unwrap();
    assert!(client.get_incident("INC-1").await.unwrap().is_some());
    client
        .wait_until_incident_deleted("INC-1", &policy())
        .await
        .unwrap();
    assert!(started.elapsed() >= DELAY);

    let started = Instant::now();
    client
        .delete_by_properties(&[("accountId", "acc-1")])
        .await
        .unwrap();
    assert!(client.get_incident("INC-2").await.unwrap().is_some());
    client
        .wait_until_all_deleted(&["INC-2"], &[] as &[&str], &policy())
        .await
        .unwrap();
    assert!(started.elapsed() >= DELAY);

    let started = Instant::now();
    client.link_workspaces(&["w-1"]).await.unwrap();
    assert_eq!(client.workspace("w-1").await.unwrap(), None);
    client
        .wait_until_workspaces_linked(&["w-1"], &policy())
        .await
        .unwrap();
    assert!(started.elapsed() >= DELAY);

    let started = Instant::now();
    client.unlink_workspaces(&["w-1"]).await.unwrap();
    assert_eq!(client.workspaces().await.unwrap(), ["w-1"]);
    client
        .wait_until_workspaces_unlinked(&["w-1"], &policy())
        .await
        .unwrap();
    assert!(started.elapsed() >= DELAY);
}

#[tokio::test]
async fn a_wait_shorter_than_the_visibility_delay_times_out_with_what_it_saw() {
    let (_emu, client) =
        start(EmulatorConfig::default().with_visibility_delay(Duration::from_secs(30))).await;
    client
        .submit_incidents([incident("INC-1", 4, &[])], &SubmitOptions::default())
        .await;
    client.link_workspaces(&["w-1"]).await.unwrap();

    let short = WaitPolicy {
        deadline: Duration::from_millis(120),
        ..policy()
    };
    let error = client
        .wait_until_incident_stored("INC-1", Some(4), &short)
        .await
        .unwrap_err();
    assert!(error.is_wait_timeout(), "{error}");
    let state = error.wait_state().unwrap();
    assert_eq!(state.target, "stored");
    assert_eq!(state.pending[0].seen, Seen::Missing);
    assert!(state.polls >= 2, "{state:?}");

    let error = client
        .wait_until_workspaces_linked(&["w-1"], &short)
        .await
        .unwrap_err();
    assert!(error.is_wait_timeout(), "{error}");
    let state = error.wait_state().unwrap();
    assert_eq!(state.target, "linked");
    assert_eq!(state.pending[0].id, "w-1");
    assert_eq!(state.pending[0].seen, Seen::Missing);
}

#[tokio::test]
async fn a_lost_answer_leaves_the_fate_unknown_until_a_get_confirms_it() {
    let faults: Faults = "reset-after=100%,seed=1".parse().unwrap();
    let emu = Emulator::start(EmulatorConfig::default().with_faults(faults))
        .await
        .unwrap();
    let client = OperationsClient::builder(emu.installation())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();

    // The emulator applies the submit and drops the connection before answering.
    let mut report = client
        .submit_incidents(
            [incident("INC-1", 1, &["OPS-1"]), incident("INC-2", 2, &[])],
            &SubmitOptions::default(),
        )
        .await;
    assert!(report.accepted.is_empty() && report.failed.is_empty());
    assert_eq!(ids(&report.unconfirmed), ["INC-1", "INC-2"]);
    assert!(
        report.warnings.iter().any(|w| w.contains("unknown")),
        "{:?}",
        report.warnings
    );
    assert_eq!(emu.state().answers_lost, 1);

    emu.set_faults(Faults::none()).unwrap();
    let targets = [
        StoredTarget::incident("INC-1", Some(1)),
        StoredTarget::incident("INC-2", Some(2)),
    ];
    client
        .wait_until_all_stored(&targets, &policy())
        .await
        .unwrap();
    assert_eq!(report.confirm(EntityKind::Incident, &["INC-1", "INC-2"]), 2);
    assert!(report.is_complete_success());

    // A request lost on the way looks the same to the client; only the GET tells them
    // apart, and what it does not find must be sent again.
    emu.set_faults("reset=100%,seed=1".parse().unwrap())
        .unwrap();
    let lost = client
        .submit_incidents([incident("INC-3", 1, &[])], &SubmitOptions::default())
        .await;
    assert_eq!(ids(&lost.unconfirmed), ["INC-3"]);
    emu.set_faults(Faults::none()).unwrap();
    let short = WaitPolicy {
        deadline: Duration::from_millis(100),
        ..policy()
    };
    let error = client
        .wait_until_incident_stored("INC-3", Some(1), &short)
        .await
        .unwrap_err();
    assert!(error.is_wait_timeout(), "{error}");
    assert_eq!(error.wait_state().unwrap().pending[0].seen, Seen::Missing);
}

#[tokio::test]
async fn an_unknown_fate_is_not_blamed_on_a_last_attempt_that_got_a_429() {
    // With this seed the first attempt's connection is dropped and the retry gets a 429:
    // the drop left the fate open, the 429 only refused the second copy.
    let faults: Faults = "reset=50%,429=50%,retry-after=0,seed=6".parse().unwrap();
    let emu = Emulator::start(EmulatorConfig::default().with_faults(faults))
        .await
        .unwrap();
    let retry = RetryPolicy::new()
        .max_attempts(2)
        .base_delay(Duration::from_millis(1))
        .retry_after_floor(Duration::from_millis(1));
    let client = OperationsClient::builder(emu.installation())
        .retry_policy(retry)
        .build()
        .unwrap();

    let report = client
        .submit_incidents(
            [incident("INC-1", 1, &[]), incident("INC-2", 2, &[])],
            &SubmitOptions::default(),
        )
        .await;
    let state = emu.state();
    assert_eq!(state.connection_resets, 1, "{state:?}");
    assert_eq!(served(&emu, 429), 1, "{state:?}");
    assert_eq!(ids(&report.unconfirmed), ["INC-1", "INC-2"]);

    let warning = report
        .warnings
        .iter()
        .find(|w| w.contains("is unknown"))
        .unwrap_or_else(|| panic!("no warning of the unknown fate: {:?}", report.warnings));
    assert!(
        warning.starts_with(
            "the fate of a request of 2 incidents is unknown: an earlier attempt may have been applied (the connection to Jira broke while submitting incidents or reviews"
        ),
        "{warning}"
    );
    assert!(
        warning.ends_with(
            "the last attempt got: jira is rate limiting the app (429) while submitting incidents or reviews: wait at least 1s before retrying"
        ),
        "{warning}"
    );
    let reason = report.unconfirmed[0].reason.as_deref().unwrap();
    assert!(
        reason.starts_with("the request's fate is unknown: an earlier attempt"),
        "{reason}"
    );
}

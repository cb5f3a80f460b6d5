//! Waiting for submitted incidents and reviews to be stored: polls GET with capped doubling
//! delays, tolerates transient errors, and on timeout says what it saw last.

mod common;

use std::time::Duration;

use common::*;
use httpmock::{Method::GET, MockServer};
use jira_operations::auth::FixedClock;
use jira_operations::{ItemKind, OperationsClient, RetryPolicy, Seen, StoredTarget, WaitPolicy};
use serde_json::json;
use tokio::time::Instant;

const INCIDENT: &str = "/rest/operations/1.0/incidents/INC-1";
const REVIEW: &str = "/rest/operations/1.0/post-incident-reviews/PIR-1";

fn policy(deadline_secs: u64) -> WaitPolicy {
    WaitPolicy {
        first_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(4),
        deadline: Duration::from_secs(deadline_secs),
        concurrency: 4,
    }
}

fn stored_incident(sequence: i64) -> serde_json::Value {
    let mut body = incident_json("INC-1");
    body["updateSequenceNumber"] = json!(sequence);
    body
}

fn stored_review(sequence: i64) -> serde_json::Value {
    json!({
        "createdDate": "2024-01-16T10:00:00Z", "description": "what happened", "id": "PIR-1",
        "lastUpdated": "2024-01-16T10:00:00Z", "reviews": ["INC-1"], "schemaVersion": "1.0",
        "status": "completed", "summary": "VPN outage review", "updateSequenceNumber": sequence,
        "url": "https://ops.example/reviews/PIR-1"
    })
}

/// No retries inside a poll, so each transient error reaches the waiter.
fn single_attempt(server: &MockServer) -> OperationsClient {
    builder(&server.base_url(), FixedClock::at(NOW))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn an_incident_is_awaited_until_stored_with_the_sequence_asked_for() {
    let server = MockServer::start_async().await;
    let clock = FixedClock::at(NOW);
    let (_mock, log) = scripted(
        &server,
        GET,
        INCIDENT,
        vec![
            status(404),
            json(200, stored_incident(1)),
            json(200, stored_incident(2)),
        ],
    )
    .await;
    let client = builder(&server.base_url(), clock.clone()).build().unwrap();

    let started = Instant::now();
    let stored = client
        .wait_until_incident_stored("INC-1", Some(2), &policy(60))
        .await
        .unwrap();

    assert_eq!(stored.update_sequence_number, 2);
    assert_eq!(log.len(), 3);
    // Polls at 0 s, 1 s and 3 s.
    assert_eq!(started.elapsed(), Duration::from_secs(3));
    for request in log.all() {
        request.assert_signed(&server.base_url(), clock.clone());
    }
}

#[tokio::test(start_paused = true)]
async fn an_incident_never_stored_times_out_with_what_was_seen() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(&server, GET, INCIDENT, vec![json(200, stored_incident(1))]).await;

    let started = Instant::now();
    let error = client(&server)
        .wait_until_incident_stored("INC-1", Some(5), &policy(10))
        .await
        .unwrap_err();

    // Polls at 0, 1, 3, 7 and, last, at the 10 s deadline.
    assert_eq!(started.elapsed(), Duration::from_secs(10));
    assert_eq!(log.len(), 5);
    assert!(error.is_wait_timeout());
    assert!(error.is_timeout());
    let state = error.wait_state().unwrap();
    assert_eq!(state.target, "stored");
    assert_eq!(state.polls, 5);
    assert_eq!(state.pending.len(), 1);
    assert_eq!(state.pending[0].kind, ItemKind::Incident);
    assert_eq!(state.pending[0].seen, Seen::OlderSequence(1));
    assert!(
        error.to_string().contains("incident INC-1 at sequence 1"),
        "{error}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_transient_error_while_polling_is_not_fatal() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(
        &server,
        GET,
        INCIDENT,
        vec![
            status(503),
            with_header(429, "Retry-After", "0"),
            json(200, stored_incident(1)),
        ],
    )
    .await;

    let stored = single_attempt(&server)
        .wait_until_incident_stored("INC-1", None, &policy(60))
        .await
        .unwrap();

    assert_eq!(stored.id, "INC-1");
    assert_eq!(log.len(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_transient_error_until_the_deadline_is_reported_in_the_state() {
    let server = MockServer::start_async().await;
    let (_mock, _log) = scripted(&server, GET, INCIDENT, vec![status(503)]).await;

    let error = single_attempt(&server)
        .wait_until_incident_stored("INC-1", None, &policy(5))
        .await
        .unwrap_err();

    let state = error.wait_state().unwrap();
    assert_eq!(state.pending[0].seen, Seen::Unknown);
    assert!(
        state.last_error.as_deref().unwrap().contains("(503)"),
        "{state:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_auth_error_while_polling_ends_the_wait_at_once() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(&server, GET, INCIDENT, vec![status(401)]).await;

    let error = client(&server)
        .wait_until_incident_stored("INC-1", None, &policy(60))
        .await
        .unwrap_err();

    assert_eq!(log.len(), 1);
    assert!(error.is_auth());
    assert!(!error.is_wait_timeout());
}

#[tokio::test(start_paused = true)]
async fn a_review_is_awaited_until_stored() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(
        &server,
        GET,
        REVIEW,
        vec![status(404), status(404), json(200, stored_review(3))],
    )
    .await;

    let stored = client(&server)
        .wait_until_review_stored("PIR-1", Some(3), &policy(60))
        .await
        .unwrap();

    assert_eq!(stored.update_sequence_number, 3);
    assert_eq!(log.len(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_review_never_stored_times_out_as_missing() {
    let server = MockServer::start_async().await;
    let (_mock, _log) = scripted(&server, GET, REVIEW, vec![status(404)]).await;

    let error = client(&server)
        .wait_until_review_stored("PIR-1", None, &policy(3))
        .await
        .unwrap_err();

    let state = error.wait_state().unwrap();
    assert_eq!(state.pending[0].kind, ItemKind::Review);
    assert_eq!(state.pending[0].seen, Seen::Missing);
}

#[tokio::test(start_paused = true)]
async fn a_review_poll_tolerates_a_broken_answer() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(
        &server,
        GET,
        REVIEW,
        vec![status(502), json(200, stored_review(1))],
    )
    .await;

    single_attempt(&server)
        .wait_until_review_stored("PIR-1", None, &policy(60))
        .await
        .unwrap();
    assert_eq!(log.len(), 2);
}

#[tokio::test(start_paused = true)]
async fn all_targets_are_awaited_together() {
    let server = MockServer::start_async().await;
    let (_a, a_log) = scripted(
        &server,
        GET,
        INCIDENT,
        vec![status(404), json(200, stored_incident(7))],
    )
    .await;
    let (_b, b_log) = scripted(
        &server,
        GET,
        "/rest/operations/1.0/incidents/INC-2",
        vec![json(200, incident_json("INC-2"))],
    )
    .await;
    let (_r, r_log) = scripted(
        &server,
        GET,
        REVIEW,
        vec![
            status(503),
            status(404),
            status(404),
            json(200, stored_review(1)),
        ],
    )
    .await;
    let targets = [
        StoredTarget::incident("INC-1", Some(7)),
        StoredTarget::incident("INC-2", None),
        StoredTarget::review("PIR-1", Some(1)),
    ];

    single_attempt(&server)
        .wait_until_all_stored(&targets, &policy(60))
        .await
        .unwrap();

    assert_eq!(a_log.len(), 2);
    assert_eq!(b_log.len(), 1, "a stored item is not polled again");
    assert_eq!(r_log.len(), 4);
}

#[tokio::test(start_paused = true)]
async fn all_targets_time_out_naming_only_those_still_pending() {
    let server = MockServer::start_async().await;
    let (_a, _) = scripted(&server, GET, INCIDENT, vec![status(404)]).await;
    let (_b, _) = scripted(
        &server,
        GET,
        "/rest/operations/1.0/incidents/INC-2",
        vec![json(200, incident_json("INC-2"))],
    )
    .await;

    let error = client(&server)
        .wait_until_all_stored(
            &[
                StoredTarget::incident("INC-1", None),
                StoredTarget::incident("INC-2", None),
            ],
            &policy(5),
        )
        .await
        .unwrap_err();

    let state = error.wait_state().unwrap();
    let pending: Vec<_> = state.pending.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(pending, ["INC-1"]);
}

#[tokio::test(start_paused = true)]
async fn retries_inside_a_poll_never_carry_the_wait_past_its_deadline() {
    let server = MockServer::start_async().await;
    // Rate limited for a minute at every poll; the client would honour that between attempts.
    let (_mock, log) = responder(&server, GET, INCIDENT, |_| {
        with_header(429, "Retry-After", "60")
    })
    .await;
    let client = builder(&server.base_url(), FixedClock::at(NOW))
        .build()
        .unwrap();

    let started = Instant::now();
    let error = client
        .wait_until_incident_stored("INC-1", None, &policy(5))
        .await
        .unwrap_err();

    assert!(error.is_wait_timeout(), "{error}");
    assert!(
        started.elapsed() <= Duration::from_secs(5),
        "waited {:?}",
        started.elapsed()
    );
    let state = error.wait_state().unwrap();
    // Polls at 0, 1, 3 and 5 s, one request each: no retry fits before the deadline.
    assert_eq!(state.polls, 4);
    assert_eq!(log.len(), 4);
    assert_eq!(state.pending[0].seen, Seen::Unknown);
    assert!(
        state.last_error.as_deref().unwrap().contains("(429)"),
        "{state:?}"
    );
}

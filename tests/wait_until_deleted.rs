//! Waiting for deletes, which Jira applies asynchronously: done when GET answers 404.

mod common;

use std::time::Duration;

use common::*;
use httpmock::{Method::GET, MockServer};
use jira_operations::auth::FixedClock;
use jira_operations::{RetryPolicy, Seen, WaitPolicy};
use tokio::time::Instant;

fn policy(deadline_secs: u64) -> WaitPolicy {
    WaitPolicy {
        first_delay: Duration::from_millis(500),
        max_delay: Duration::from_secs(2),
        deadline: Duration::from_secs(deadline_secs),
        concurrency: 2,
    }
}

fn review_json(id: &str) -> serde_json::Value {
    serde_json::json!({
        "createdDate": "2024-01-16T10:00:00Z", "description": "d", "id": id,
        "lastUpdated": "2024-01-16T10:00:00Z", "reviews": ["INC-1"], "schemaVersion": "1.0",
        "status": "completed", "summary": "s", "updateSequenceNumber": 1,
        "url": "https://ops.example/reviews/1"
    })
}

#[tokio::test(start_paused = true)]
async fn an_incident_is_awaited_until_gone() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(
        &server,
        GET,
        "/rest/operations/1.0/incidents/INC-1",
        vec![
            json(200, incident_json("INC-1")),
            json(200, incident_json("INC-1")),
            status(404),
        ],
    )
    .await;

    let started = Instant::now();
    client(&server)
        .wait_until_incident_deleted("INC-1", &policy(60))
        .await
        .unwrap();

    assert_eq!(log.len(), 3);
    assert_eq!(started.elapsed(), Duration::from_millis(500 + 1000));
}

#[tokio::test(start_paused = true)]
async fn an_incident_still_present_at_the_deadline_times_out_as_present() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(
        &server,
        GET,
        "/rest/operations/1.0/incidents/INC-1",
        vec![json(200, incident_json("INC-1"))],
    )
    .await;

    let started = Instant::now();
    let error = client(&server)
        .wait_until_incident_deleted("INC-1", &policy(4))
        .await
        .unwrap_err();

    assert_eq!(started.elapsed(), Duration::from_secs(4));
    // Polls at 0, 0.5, 1.5, 3.5 and 4 s.
    assert_eq!(log.len(), 5);
    assert!(error.is_wait_timeout());
    let state = error.wait_state().unwrap();
    assert_eq!(state.target, "deleted");
    assert_eq!(state.pending[0].seen, Seen::Present);
}

#[tokio::test(start_paused = true)]
async fn a_transient_error_while_waiting_for_a_delete_is_not_fatal() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(
        &server,
        GET,
        "/rest/operations/1.0/incidents/INC-1",
        vec![status(503), status(404)],
    )
    .await;
    let client = builder(&server.base_url(), FixedClock::at(NOW))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();

    client
        .wait_until_incident_deleted("INC-1", &policy(60))
        .await
        .unwrap();
    assert_eq!(log.len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_review_is_awaited_until_gone_through_transient_errors() {
    let server = MockServer::start_async().await;
    let path = "/rest/operations/1.0/post-incident-reviews/PIR-1";
    let (_mock, log) = scripted(
        &server,
        GET,
        path,
        vec![json(200, review_json("PIR-1")), status(504), status(404)],
    )
    .await;
    let client = builder(&server.base_url(), FixedClock::at(NOW))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();

    client
        .wait_until_review_deleted("PIR-1", &policy(60))
        .await
        .unwrap();
    assert_eq!(log.len(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_review_still_present_times_out() {
    let server = MockServer::start_async().await;
    let path = "/rest/operations/1.0/post-incident-reviews/PIR-1";
    let (_mock, _log) = scripted(&server, GET, path, vec![json(200, review_json("PIR-1"))]).await;

    let error = client(&server)
        .wait_until_review_deleted("PIR-1", &policy(2))
        .await
        .unwrap_err();
    assert!(error.is_wait_timeout());
}

#[tokio::test(start_paused = true)]
async fn everything_deleted_by_properties_is_awaited_by_id() {
    let server = MockServer::start_async().await;
    let (_a, a_log) = scripted(
        &server,
        GET,
        "/rest/operations/1.0/incidents/INC-1",
        vec![status(404)],
    )
    .await;
    let (_b, b_log) = scripted(
        &server,
        GET,
        "/rest/operations/1.0/incidents/INC-2",
        vec![json(200, incident_json("INC-2")), status(503), status(404)],
    )
    .await;
    let (_r, r_log) = scripted(
        &server,
        GET,
        "/rest/operations/1.0/post-incident-reviews/PIR-1",
        vec![
            json(200, review_json("PIR-1")),
            json(200, review_json("PIR-1")),
            json(200, review_json("PIR-1")),
            status(404),
        ],
    )
    .await;
    let client = builder(&server.base_url(), FixedClock::at(NOW))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();

    client
        .wait_until_all_deleted(&["INC-1", "INC-2"], &["PIR-1"], &policy(60))
        .await
        .unwrap();

    assert_eq!(a_log.len(), 1);
    assert_eq!(b_log.len(), 3);
    assert_eq!(r_log.len(), 4);
}

#[tokio::test(start_paused = true)]
async fn a_delete_by_properties_that_misses_an_id_times_out_naming_it() {
    let server = MockServer::start_async().await;
    let (_a, _) = scripted(
        &server,
        GET,
        "/rest/operations/1.0/incidents/INC-1",
        vec![status(404)],
    )
    .await;
    let (_r, _) = scripted(
        &server,
        GET,
        "/rest/operations/1.0/post-incident-reviews/PIR-1",
        vec![json(200, review_json("PIR-1"))],
    )
    .await;

    let error = client(&server)
        .wait_until_all_deleted(&["INC-1"], &["PIR-1"], &policy(3))
        .await
        .unwrap_err();

    let state = error.wait_state().unwrap();
    assert_eq!(state.pending.len(), 1);
    assert_eq!(state.pending[0].id, "PIR-1");
    assert!(
        error.to_string().contains("review PIR-1 still present"),
        "{error}"
    );
}

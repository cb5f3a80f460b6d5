//! A 503 (Jira under maintenance) with `Retry-After` is retried after the wait asked for.

mod common;

use std::time::Duration;

use common::*;
use httpmock::{Method::GET, MockServer};
use jira_operations::auth::FixedClock;
use tokio::time::Instant;

#[tokio::test(start_paused = true)]
async fn a_503_with_retry_after_is_retried_after_the_wait() {
    let server = MockServer::start_async().await;
    let clock = FixedClock::at(NOW);
    let (_mock, log) = scripted(
        &server,
        GET,
        "/rest/operations/1.0/incidents/INC-1",
        vec![
            with_header(503, "Retry-After", "4"),
            json(200, incident_json("INC-1")),
        ],
    )
    .await;
    let client = builder(&server.base_url(), clock.clone()).build().unwrap();

    let started = Instant::now();
    let found = client.get_incident("INC-1").await.unwrap();
    let waited = started.elapsed();

    assert_eq!(found, Some(incident("INC-1")));
    assert!(waited >= Duration::from_secs(4), "waited {waited:?}");
    assert!(waited <= Duration::from_millis(4500), "waited {waited:?}");
    let seen = log.all();
    assert_eq!(seen.len(), 2);
    for request in &seen {
        assert_eq!(request.method, "GET");
        assert_eq!(request.query, None);
        assert!(request.body.is_empty());
        request.assert_signed(&server.base_url(), clock.clone());
    }
}

#[tokio::test(start_paused = true)]
async fn a_503_without_retry_after_backs_off_exponentially() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(
        &server,
        GET,
        "/rest/operations/1.0/incidents/INC-1",
        vec![
            status(503),
            status(502),
            status(504),
            json(200, incident_json("INC-1")),
        ],
    )
    .await;
    let client = builder(&server.base_url(), FixedClock::at(NOW))
        .retry_policy(jira_operations::RetryPolicy::default().jitter(jira_operations::Jitter::None))
        .build()
        .unwrap();

    let started = Instant::now();
    assert!(client.get_incident("INC-1").await.unwrap().is_some());

    assert_eq!(log.len(), 4);
    assert_eq!(started.elapsed(), Duration::from_millis(500 + 1000 + 2000));
}

#[tokio::test(start_paused = true)]
async fn a_503_that_outlasts_the_attempts_is_returned_with_its_count() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(
        &server,
        GET,
        "/rest/operations/1.0/incidents/INC-1",
        vec![with_header(503, "Retry-After", "1")],
    )
    .await;
    let client = builder(&server.base_url(), FixedClock::at(NOW))
        .retry_policy(jira_operations::RetryPolicy::default().max_attempts(3))
        .build()
        .unwrap();

    let error = client.get_incident("INC-1").await.unwrap_err();

    assert_eq!(log.len(), 3);
    assert_eq!(error.status(), Some(503));
    assert_eq!(error.attempts(), 3);
    assert!(error.is_retryable());
    assert!(!error.is_timeout());
    assert_eq!(error.operation(), Some("get_incident_by_id"));
    assert_eq!(
        error.to_string(),
        "jira is unavailable (503) while reading an incident: retry later"
    );
}

//! Retries stop when the next wait would pass the overall deadline; the last error comes back
//! marked as a timeout.

mod common;

use std::time::Duration;

use common::*;
use httpmock::{Method::POST, MockServer};
use jira_operations::auth::FixedClock;
use jira_operations::types::SubmitEntityRequest;
use jira_operations::{RetryPolicy, SubmitOptions};
use tokio::time::Instant;

#[tokio::test(start_paused = true)]
async fn the_deadline_stops_retries_and_keeps_the_last_error() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(
        &server,
        POST,
        "/rest/operations/1.0/bulk",
        vec![with_header(503, "Retry-After", "3")],
    )
    .await;
    let client = builder(&server.base_url(), FixedClock::at(NOW))
        .retry_policy(RetryPolicy::default().max_attempts(100))
        .overall_timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    let started = Instant::now();
    let error = client
        .submit(&SubmitEntityRequest {
            incidents: vec![incident("INC-1")],
            ..Default::default()
        })
        .await
        .unwrap_err();
    let elapsed = started.elapsed();

    assert!(elapsed <= Duration::from_secs(10), "took {elapsed:?}");
    // Each wait is at least 3 s: at most four attempts fit in 10 s.
    assert!((2..=4).contains(&log.len()), "{} attempts", log.len());
    assert_eq!(error.attempts() as usize, log.len());
    assert!(error.is_timeout());
    assert!(error.is_deadline_exceeded());
    assert_eq!(error.status(), Some(503));
    assert!(
        !error.outcome_unknown(),
        "a 503 is Jira not serving: nothing was applied"
    );
    let text = error.to_string();
    assert!(text.starts_with("gave up after"), "{text}");
    assert!(
        text.ends_with(
            "jira is unavailable (503) while submitting incidents or reviews: retry later"
        ),
        "{text}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_beyond_the_deadline_is_not_waited_for() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(
        &server,
        POST,
        "/rest/operations/1.0/bulk",
        vec![with_header(429, "Retry-After", "60")],
    )
    .await;
    let client = builder(&server.base_url(), FixedClock::at(NOW))
        .overall_timeout(Duration::from_secs(30))
        .build()
        .unwrap();

    let started = Instant::now();
    let report = client
        .submit_incidents(vec![incident("INC-1")], &SubmitOptions::default())
        .await;

    assert_eq!(
        started.elapsed(),
        Duration::ZERO,
        "no wait that cannot end in time"
    );
    assert_eq!(log.len(), 1);
    assert_eq!(report.failed.len(), 1, "a 429 means it was not stored");
    let message = &report.failed[0].messages[0];
    assert!(message.contains("rate limiting"), "{message}");
    assert!(message.contains("wait at least 60s"), "{message}");
}

#[tokio::test(start_paused = true)]
async fn records_of_a_request_that_outlasts_the_deadline_on_a_gateway_error_are_unconfirmed() {
    let server = MockServer::start_async().await;
    // A gateway's 502 may come after the request was applied behind it.
    let (_mock, _log) = scripted(
        &server,
        POST,
        "/rest/operations/1.0/bulk",
        vec![status(502)],
    )
    .await;
    let client = builder(&server.base_url(), FixedClock::at(NOW))
        .retry_policy(RetryPolicy::default().max_attempts(50))
        .overall_timeout(Duration::from_secs(20))
        .build()
        .unwrap();

    let report = client
        .submit_incidents(
            vec![incident("INC-1"), incident("INC-2")],
            &SubmitOptions::default(),
        )
        .await;

    assert_eq!(report.unconfirmed.len(), 2);
    assert!(report.failed.is_empty());
    assert!(report.retries >= 1);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("is unknown") && w.contains("502")),
        "{:?}",
        report.warnings
    );
    assert!(
        report.unconfirmed[0]
            .reason
            .as_deref()
            .unwrap()
            .starts_with("the request's fate is unknown: "),
        "{:?}",
        report.unconfirmed[0]
    );
}

#[tokio::test(start_paused = true)]
async fn records_of_a_request_refused_with_503_until_the_deadline_have_failed() {
    let server = MockServer::start_async().await;
    let (_mock, _log) = scripted(
        &server,
        POST,
        "/rest/operations/1.0/bulk",
        vec![status(503)],
    )
    .await;
    let client = builder(&server.base_url(), FixedClock::at(NOW))
        .retry_policy(RetryPolicy::default().max_attempts(50))
        .overall_timeout(Duration::from_secs(20))
        .build()
        .unwrap();

    let report = client
        .submit_incidents(
            vec![incident("INC-1"), incident("INC-2")],
            &SubmitOptions::default(),
        )
        .await;

    assert!(report.unconfirmed.is_empty(), "{:?}", report.unconfirmed);
    assert_eq!(report.failed.len(), 2);
    assert!(
        report.failed[0].messages[0].contains("jira is unavailable (503)"),
        "{:?}",
        report.failed[0]
    );
}

//! `Retry-After: 0` is not "retry at once": a floor applies, and consecutive 429s back off
//! further.

mod common;

use std::time::Duration;

use common::*;
use httpmock::{Method::POST, MockServer};
use jira_operations::auth::FixedClock;
use jira_operations::types::SubmitEntityRequest;
use jira_operations::{Jitter, RetryPolicy};
use serde_json::json;
use tokio::time::Instant;

async fn submit_through_two_429s(policy: RetryPolicy) -> (Duration, usize) {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(
        &server,
        POST,
        "/rest/operations/1.0/bulk",
        vec![
            with_header(429, "Retry-After", "0"),
            with_header(429, "Retry-After", "0"),
            json(202, json!({"acceptedIncidents": ["INC-1"]})),
        ],
    )
    .await;
    let client = builder(&server.base_url(), FixedClock::at(NOW))
        .retry_policy(policy)
        .build()
        .unwrap();

    let started = Instant::now();
    let answer = client
        .submit(&SubmitEntityRequest {
            incidents: vec![incident("INC-1")],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(answer.accepted_incidents, ["INC-1"]);
    (started.elapsed(), log.len())
}

#[tokio::test(start_paused = true)]
async fn retry_after_zero_waits_the_floor_plus_a_growing_backoff() {
    let policy = RetryPolicy::default().jitter(Jitter::None);
    let (waited, requests) = submit_through_two_429s(policy).await;

    // 1 s floor + 0.5 s, then 1 s floor + 1 s: the exponential term keeps growing.
    assert_eq!(requests, 3);
    assert_eq!(waited, Duration::from_millis(3500));
}

#[tokio::test(start_paused = true)]
async fn the_floor_is_configurable() {
    let policy = RetryPolicy::default()
        .jitter(Jitter::None)
        .retry_after_floor(Duration::from_millis(200));
    let (waited, requests) = submit_through_two_429s(policy).await;

    assert_eq!(requests, 3);
    assert_eq!(waited, Duration::from_millis(200 + 500 + 200 + 1000));
}

#[tokio::test(start_paused = true)]
async fn with_jitter_every_wait_is_at_least_the_floor() {
    let (waited, requests) = submit_through_two_429s(RetryPolicy::default()).await;

    assert_eq!(requests, 3);
    assert!(waited >= Duration::from_secs(2), "waited {waited:?}");
    assert!(waited <= Duration::from_millis(3500), "waited {waited:?}");
}

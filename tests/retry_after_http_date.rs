//! A 429 whose `Retry-After` is an HTTP-date waits until that date on the client's clock.

mod common;

use std::time::{Duration, UNIX_EPOCH};

use common::*;
use httpmock::{Method::POST, MockServer};
use jira_operations::auth::FixedClock;
use jira_operations::types::SubmitEntityRequest;
use serde_json::json;
use tokio::time::Instant;

#[tokio::test(start_paused = true)]
async fn a_429_with_an_http_date_waits_until_that_date_on_the_client_clock() {
    let server = MockServer::start_async().await;
    let clock = FixedClock::at(NOW);
    let date = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(NOW + 7));
    let (_mock, log) = scripted(
        &server,
        POST,
        "/rest/operations/1.0/bulk",
        vec![
            with_header(429, "Retry-After", &date),
            json(202, json!({"acceptedIncidents": ["INC-1"]})),
        ],
    )
    .await;
    let client = builder(&server.base_url(), clock.clone()).build().unwrap();

    let started = Instant::now();
    let answer = client
        .submit(&SubmitEntityRequest {
            incidents: vec![incident("INC-1")],
            ..Default::default()
        })
        .await
        .unwrap();
    let waited = started.elapsed();

    assert_eq!(answer.accepted_incidents, ["INC-1"]);
    assert!(waited >= Duration::from_secs(7), "waited {waited:?}");
    assert!(waited <= Duration::from_millis(7500), "waited {waited:?}");
    assert_eq!(log.len(), 2);
    for request in log.all() {
        request.assert_signed(&server.base_url(), clock.clone());
        assert_eq!(
            request.json(),
            json!({"incidents": [incident_json("INC-1")]})
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_date_in_the_past_counts_as_zero_and_gets_the_floor() {
    let server = MockServer::start_async().await;
    let clock = FixedClock::at(NOW);
    let date = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(NOW - 60));
    let (_mock, log) = scripted(
        &server,
        POST,
        "/rest/operations/1.0/bulk",
        vec![
            with_header(429, "Retry-After", &date),
            json(202, json!({"acceptedIncidents": ["INC-1"]})),
        ],
    )
    .await;
    let client = builder(&server.base_url(), clock).build().unwrap();

    let started = Instant::now();
    client
        .submit(&SubmitEntityRequest {
            incidents: vec![incident("INC-1")],
            ..Default::default()
        })
        .await
        .unwrap();
    let waited = started.elapsed();

    assert!(waited >= Duration::from_secs(1), "waited {waited:?}");
    assert!(waited <= Duration::from_millis(1500), "waited {waited:?}");
    assert_eq!(log.len(), 2);
}

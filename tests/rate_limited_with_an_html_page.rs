//! A 429 without `Retry-After`, whose body is an HTML error page, as Jira Cloud's edge can
//! send: the client backs off on its own schedule and retries; it never fails on the body.

mod common;

use std::time::Duration;

use common::*;
use httpmock::{HttpMockResponse, Method::POST, MockServer};
use jira_operations::auth::FixedClock;
use jira_operations::types::SubmitEntityRequest;
use jira_operations::{Jitter, RetryPolicy};
use serde_json::json;
use tokio::time::Instant;

fn html_429() -> HttpMockResponse {
    HttpMockResponse::builder()
        .status(429)
        .header("content-type", "text/html")
        .body("<!DOCTYPE html><html><body>Oops - an error has occurred</body></html>")
        .build()
}

#[tokio::test(start_paused = true)]
async fn should_back_off_and_retry_a_429_with_an_html_body_and_no_retry_after() {
    let server = MockServer::start_async().await;
    let clock = FixedClock::at(NOW);
    let (_mock, log) = scripted(
        &server,
        POST,
        "/rest/operations/1.0/bulk",
        vec![
            html_429(),
            html_429(),
            json(202, json!({"acceptedIncidents": ["INC-1"]})),
        ],
    )
    .await;
    let client = builder(&server.base_url(), clock.clone())
        .retry_policy(RetryPolicy::default().jitter(Jitter::None))
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
    let seen = log.all();
    assert_eq!(seen.len(), 3);
    for request in &seen {
        assert_eq!(request.method, "POST");
        assert_eq!(
            request.json(),
            json!({"incidents": [incident_json("INC-1")]})
        );
        request.assert_signed(&server.base_url(), clock.clone());
    }
    // No Retry-After: the rate-limit floor (1 s) plus the exponential term, 0.5 s then 1 s.
    assert_eq!(started.elapsed(), Duration::from_millis(3500));
}

#[tokio::test(start_paused = true)]
async fn should_keep_the_html_body_when_the_429s_outlast_the_retries() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(
        &server,
        POST,
        "/rest/operations/1.0/bulk",
        vec![html_429(), html_429()],
    )
    .await;
    let client = builder(&server.base_url(), FixedClock::at(NOW))
        .retry_policy(RetryPolicy::default().max_attempts(2))
        .build()
        .unwrap();

    let error = client
        .submit(&SubmitEntityRequest {
            incidents: vec![incident("INC-1")],
            ..Default::default()
        })
        .await
        .unwrap_err();

    assert_eq!(log.len(), 2);
    assert!(error.is_rate_limited(), "{error}");
    assert_eq!(error.status(), Some(429));
    assert_eq!(error.retry_after(), None);
    assert!(
        error
            .body()
            .unwrap()
            .contains("Oops - an error has occurred"),
        "{error:?}"
    );
    assert!(
        !error.is_decode(),
        "an HTML body is kept, not a parse failure"
    );
    assert_eq!(error.attempts(), 2);
}

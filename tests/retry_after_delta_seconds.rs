//! A 429 with `Retry-After: <seconds>` is retried no sooner than asked, with a fresh token.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use httpmock::{Method::POST, MockServer};
use jira_operations::auth::FixedClock;
use jira_operations::types::SubmitEntityRequest;
use serde_json::json;
use tokio::time::Instant;

#[tokio::test(start_paused = true)]
async fn a_429_with_retry_after_seconds_is_retried_after_at_least_that_long_and_re_signed() {
    let server = MockServer::start_async().await;
    let clock = FixedClock::at(NOW);
    let calls = Arc::new(AtomicUsize::new(0));
    let (server_clock, counter) = (clock.clone(), calls.clone());
    let (_mock, log) = responder(&server, POST, "/rest/operations/1.0/bulk", move |_| {
        if counter.fetch_add(1, Ordering::SeqCst) == 0 {
            // Time passes on the app's wall clock while it waits.
            server_clock.advance(3);
            with_header(429, "Retry-After", "3")
        } else {
            json(202, json!({"acceptedIncidents": ["INC-1"]}))
        }
    })
    .await;
    let client = builder(&server.base_url(), clock.clone()).build().unwrap();

    let request = SubmitEntityRequest {
        incidents: vec![incident("INC-1")],
        ..Default::default()
    };
    let started = Instant::now();
    let answer = client.submit(&request).await.unwrap();
    let waited = started.elapsed();

    assert_eq!(answer.accepted_incidents, ["INC-1"]);
    // Retry-After is a lower bound; the default policy adds at most the 500 ms base term.
    assert!(waited >= Duration::from_secs(3), "waited {waited:?}");
    assert!(waited <= Duration::from_millis(3500), "waited {waited:?}");

    let seen = log.all();
    assert_eq!(seen.len(), 2);
    let mut tokens = Vec::new();
    for request in &seen {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/rest/operations/1.0/bulk");
        assert_eq!(request.query, None);
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(
            request.header("user-agent"),
            Some(concat!("jira-operations/", env!("CARGO_PKG_VERSION")))
        );
        assert_eq!(request.header("api-version"), None);
        assert_eq!(
            request.json(),
            json!({"incidents": [incident_json("INC-1")]})
        );
        tokens.push(request.assert_signed(&server.base_url(), clock.clone()));
    }
    assert_ne!(tokens[0], tokens[1], "each attempt carries a fresh token");
    assert_eq!(iat(&tokens[0]), NOW);
    assert_eq!(iat(&tokens[1]), NOW + 3);
}

fn iat(token: &str) -> u64 {
    use base64::Engine as _;
    let claims = token.split('.').nth(1).unwrap();
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(claims)
        .unwrap();
    serde_json::from_slice::<serde_json::Value>(&claims).unwrap()["iat"]
        .as_u64()
        .unwrap()
}

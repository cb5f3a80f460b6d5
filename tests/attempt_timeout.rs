//! An attempt that gets no answer in time is abandoned, counted as a transport failure whose
//! outcome is unknown, and retried.

mod common;

use std::time::Duration;

use common::*;
use httpmock::{Method::POST, MockServer};
use jira_operations::auth::FixedClock;
use jira_operations::types::SubmitEntityRequest;
use jira_operations::{OperationsClient, RetryPolicy, SubmitOptions};

async fn slow_server() -> MockServer {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/rest/operations/1.0/bulk");
            then.status(202).body("{}").delay(Duration::from_secs(5));
        })
        .await;
    server
}

fn impatient(server: &MockServer, attempts: u32) -> OperationsClient {
    OperationsClient::builder(installation(&server.base_url()))
        .clock(FixedClock::at(NOW))
        .attempt_timeout(Duration::from_millis(100))
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(attempts)
                .base_delay(Duration::from_millis(10)),
        )
        .build()
        .unwrap()
}

// Real time: the delay is the server's, which tokio's clock cannot skip.
#[tokio::test]
async fn a_slow_answer_is_a_timeout_with_unknown_outcome() {
    let server = slow_server().await;

    let error = impatient(&server, 2)
        .submit(&SubmitEntityRequest {
            incidents: vec![incident("INC-1")],
            ..Default::default()
        })
        .await
        .unwrap_err();

    assert!(error.is_timeout());
    assert!(error.is_transport());
    assert!(!error.is_deadline_exceeded());
    assert!(error.outcome_unknown());
    assert_eq!(error.attempts(), 2);
    assert_eq!(
        error.to_string(),
        "jira did not answer in time while submitting incidents or reviews; retry later or allow more time"
    );
}

#[tokio::test]
async fn records_of_a_request_that_timed_out_are_unconfirmed() {
    let server = slow_server().await;

    let report = impatient(&server, 1)
        .submit_incidents(vec![incident("INC-1")], &SubmitOptions::default())
        .await;

    assert_eq!(report.unconfirmed.len(), 1);
    assert_eq!(report.requests_sent, 1);
}

/// A server that, for its first connection, promises 100 bytes of body, sends one and
/// closes; then answers 202 properly. Returns its URL and the number of requests served.
async fn breaking_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served = std::sync::Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = Vec::new();
            let mut chunk = [0u8; 4096];
            // Headers, then the body's closing brace: the request body is one JSON object.
            while !request.ends_with(b"}") {
                match socket.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&chunk[..n]),
                }
            }
            let answer: &[u8] = if count.fetch_add(1, Ordering::SeqCst) == 0 {
                b"HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\ncontent-length: 100\r\nconnection: close\r\n\r\n{"
            } else {
                b"HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\ncontent-length: 32\r\nconnection: close\r\n\r\n{\"acceptedIncidents\": [\"INC-1\"]}"
            };
            let _ = socket.write_all(answer).await;
            let _ = socket.shutdown().await;
        }
    });
    (url, served)
}

#[tokio::test]
async fn a_connection_broken_while_reading_the_answer_is_retried() {
    let (url, served) = breaking_server().await;
    let client = OperationsClient::builder(installation(&url))
        .clock(FixedClock::at(NOW))
        .retry_policy(RetryPolicy::default().base_delay(Duration::from_millis(10)))
        .build()
        .unwrap();

    let answer = client
        .submit(&SubmitEntityRequest {
            incidents: vec![incident("INC-1")],
            ..Default::default()
        })
        .await
        .unwrap();

    assert_eq!(answer.accepted_incidents, ["INC-1"]);
    assert_eq!(served.load(std::sync::atomic::Ordering::SeqCst), 2);
}

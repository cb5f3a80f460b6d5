//! At TRACE level, with retries, errors and a broken connection, the logs name the operation,
//! attempt, method, path and status, and never the shared secret, a token or `JWT `.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use httpmock::{HttpMockResponse, Method::GET, Method::POST, MockServer};
use jira_operations::auth::FixedClock;
use jira_operations::{OperationsClient, RetryPolicy, SubmitOptions};
use serde_json::json;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

fn capture() -> (Buffer, tracing::subscriber::DefaultGuard) {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .finish();
    (buffer, tracing::subscriber::set_default(subscriber))
}

fn assert_clean(logs: &str, tokens: &[String]) {
    assert!(!logs.contains(SECRET), "the shared secret was logged");
    assert!(!logs.contains("JWT "), "an Authorization value was logged");
    for token in tokens {
        assert!(!logs.contains(token.as_str()), "a token was logged");
        // Not even its signature part.
        let signature = token.rsplit('.').next().unwrap();
        assert!(!logs.contains(signature), "a token signature was logged");
    }
}

#[tokio::test(start_paused = true)]
async fn retries_and_errors_are_traced_without_secrets() {
    let (buffer, _guard) = capture();
    let server = MockServer::start_async().await;
    let clock = FixedClock::at(NOW);
    // A 429, then a 401 whose body echoes the Authorization header as a careless proxy might.
    let (_mock, log) = responder(&server, POST, "/rest/operations/1.0/bulk", {
        let calls = Arc::new(Mutex::new(0));
        move |seen| {
            let mut calls = calls.lock().unwrap();
            *calls += 1;
            if *calls == 1 {
                with_header(429, "Retry-After", "1")
            } else {
                HttpMockResponse::builder()
                    .status(401)
                    .header("content-type", "text/plain")
                    .body(format!(
                        "denied: Authorization: {}",
                        seen.header("authorization").unwrap()
                    ))
                    .build()
            }
        }
    })
    .await;
    let client = builder(&server.base_url(), clock.clone()).build().unwrap();

    let report = client
        .submit_incidents(vec![incident("INC-1")], &SubmitOptions::default())
        .await;
    tracing::error!(report = ?report, "submission done");

    let tokens: Vec<String> = log
        .all()
        .iter()
        .map(|s| s.assert_signed(&server.base_url(), clock.clone()))
        .collect();
    assert_eq!(tokens.len(), 2);
    let logs = buffer.text();

    // The logs say what happened...
    assert!(
        logs.contains("operation{operation=\"submit_entity\""),
        "{logs}"
    );
    assert!(logs.contains("http.request.method=\"POST\""), "{logs}");
    assert!(
        logs.contains("url.path=/rest/operations/1.0/bulk"),
        "{logs}"
    );
    assert!(logs.contains("attempt=2"), "{logs}");
    // Each attempt's own span carries its number, its method and path, and its status.
    for (attempt, status) in [(1, 429), (2, 401)] {
        let line = logs
            .lines()
            .find(|l| {
                l.contains(&format!("http.response.status_code={status}"))
                    && l.contains("http.attempt{")
            })
            .unwrap_or_else(|| panic!("no http.attempt span with status {status}: {logs}"));
        let span = &line[line.find("http.attempt{").unwrap()..];
        assert!(span.contains(&format!("attempt={attempt} ")), "{line}");
        assert!(span.contains("http.request.method=POST"), "{line}");
    }
    assert!(logs.contains("http.response.status_code=429"), "{logs}");
    assert!(logs.contains("http.response.status_code=401"), "{logs}");
    assert!(logs.contains("retrying"), "{logs}");
    assert!(
        logs.contains("request body"),
        "TRACE shows the request body: {logs}"
    );
    assert!(logs.contains("INC-1"), "{logs}");
    assert!(logs.contains("(401)"), "{logs}");
    // ...and nothing that signs a request.
    assert_clean(&logs, &tokens);
    assert!(
        report.failed[0]
            .messages
            .iter()
            .all(|m| !m.contains("JWT "))
    );
}

#[tokio::test(start_paused = true)]
async fn reads_waits_and_a_refused_connection_are_traced_without_secrets() {
    let (buffer, _guard) = capture();
    let server = MockServer::start_async().await;
    let clock = FixedClock::at(NOW);
    let (_mock, log) = scripted(
        &server,
        GET,
        "/rest/operations/1.0/incidents/INC-1",
        vec![status(503), status(404), json(200, incident_json("INC-1"))],
    )
    .await;
    let client = builder(&server.base_url(), clock.clone()).build().unwrap();
    client
        .wait_until_incident_stored("INC-1", None, &jira_operations::WaitPolicy::default())
        .await
        .unwrap();

    // Nothing listens on this port any more.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = closed.local_addr().unwrap();
    drop(closed);
    let refused = OperationsClient::builder(installation(&format!("http://{address}")))
        .clock(clock.clone())
        .attempt_timeout(None)
        .retry_policy(RetryPolicy::default().max_attempts(2))
        .build()
        .unwrap();
    let error = refused.get_incident("INC-1").await.unwrap_err();
    assert!(error.is_transport());
    assert!(
        !error.outcome_unknown(),
        "a refused connection carried nothing"
    );
    tracing::error!(error = ?error, "read failed");
    tracing::error!(client = ?refused, "client");

    let tokens: Vec<String> = log
        .all()
        .iter()
        .map(|s| s.assert_signed(&server.base_url(), clock.clone()))
        .collect();
    let logs = buffer.text();
    assert!(
        logs.contains("operation{operation=\"get_incident_by_id\""),
        "{logs}"
    );
    assert!(logs.contains("http.response.status_code=503"), "{logs}");
    assert!(logs.contains("could not connect to Jira"), "{logs}");
    assert!(logs.contains("waiting for stored"), "{logs}");
    assert_clean(&logs, &tokens);
}

#[tokio::test(start_paused = true)]
async fn a_token_echoed_in_an_error_body_is_masked() {
    // Every test of this file installs its subscriber first: a thread without one would make
    // tracing cache the client's callsites as disabled for the other tests too.
    let (buffer, _guard) = capture();
    let server = MockServer::start_async().await;
    let clock = FixedClock::at(NOW);
    let (_mock, log) = responder(&server, GET, "/rest/operations/1.0/linkedWorkspaces", |seen| {
        json(400, json!({"errorMessages": [format!("bad header {}", seen.header("authorization").unwrap())]}))
    })
    .await;
    let client = builder(&server.base_url(), clock.clone()).build().unwrap();

    let error = client.workspaces().await.unwrap_err();

    let token = log.all()[0].assert_signed(&server.base_url(), clock);
    assert!(!error.body().unwrap().contains(&token));
    assert!(!format!("{error:?}").contains(&token));
    assert!(error.body().unwrap().contains("<redacted>"));
    assert_clean(&buffer.text(), &[token]);
}

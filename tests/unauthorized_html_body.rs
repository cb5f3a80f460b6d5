//! A 401 with an HTML (or XML) body: the error keeps the body, says what to check, is not a
//! JSON-parse error, and is not retried.

mod common;

use common::*;
use httpmock::{HttpMockResponse, Method::GET, Method::POST, MockServer};
use jira_operations::types::SubmitEntityRequest;
use jira_operations::{SubmitOptions, SubmitReport};

const PAGE: &str =
    "<!DOCTYPE html><html><head><title>Unauthorized (401)</title></head><body>Oops</body></html>";

fn html_401() -> HttpMockResponse {
    HttpMockResponse::builder()
        .status(401)
        .header("content-type", "text/html;charset=UTF-8")
        .header("x-arequestid", "req-42")
        .body(PAGE)
        .build()
}

#[tokio::test(start_paused = true)]
async fn a_401_with_html_keeps_the_body_and_is_not_retried() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(&server, POST, "/rest/operations/1.0/bulk", vec![html_401()]).await;
    let client = client(&server);

    let error = client
        .submit(&SubmitEntityRequest {
            incidents: vec![incident("INC-1")],
            ..Default::default()
        })
        .await
        .unwrap_err();

    assert_eq!(log.len(), 1, "a 401 is not retried");
    assert_eq!(error.status(), Some(401));
    assert!(error.is_auth());
    assert!(!error.is_retryable());
    assert!(!error.is_decode());
    assert_eq!(error.body(), Some(PAGE));
    assert!(error.jira_messages().is_empty());
    assert!(
        std::error::Error::source(&error).is_none(),
        "no JSON error hides in the chain"
    );
    assert_eq!(error.request_id(), Some("req-42"));
    assert_eq!(
        error.to_string(),
        "jira did not accept the app's token (401) while submitting incidents or reviews: check the installation's app key, shared secret and base url, and this machine's clock"
    );
}

#[tokio::test(start_paused = true)]
async fn a_401_with_xml_gives_its_message() {
    let server = MockServer::start_async().await;
    let xml = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><status><status-code>401</status-code><message>Client must be authenticated to access this resource.</message></status>"#;
    let (_mock, log) = scripted(
        &server,
        GET,
        "/rest/operations/1.0/linkedWorkspaces",
        vec![
            HttpMockResponse::builder()
                .status(401)
                .header("content-type", "application/xml")
                .body(xml)
                .build(),
        ],
    )
    .await;

    let error = client(&server).workspaces().await.unwrap_err();

    assert_eq!(log.len(), 1);
    assert_eq!(error.body(), Some(xml));
    assert_eq!(
        error.jira_messages(),
        ["Client must be authenticated to access this resource."]
    );
}

#[tokio::test(start_paused = true)]
async fn a_401_in_a_submission_fails_every_record_and_stops_sending() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(&server, POST, "/rest/operations/1.0/bulk", vec![html_401()]).await;
    let client = client(&server);
    let incidents: Vec<_> = (0..5).map(|i| incident(&format!("INC-{i}"))).collect();
    let options = SubmitOptions::default()
        .max_entities_per_request(2)
        .concurrency(1);

    let report: SubmitReport = client.submit_incidents(incidents, &options).await;

    assert_eq!(log.len(), 1, "later requests are not sent after a 401");
    assert_eq!(report.failed.len(), 5);
    assert!(report.failed[0].messages[0].contains("(401)"));
    assert!(report.failed[2].messages[0].starts_with("not sent: an earlier request failed"));
    assert_eq!(report.total(), 5);
}

//! 400, 403, 404 and 413 are answers about the request itself: sent once, never retried.

mod common;

use common::*;
use httpmock::{Method::DELETE, Method::GET, Method::POST, MockServer};
use jira_operations::SubmitOptions;
use jira_operations::types::SubmitEntityRequest;
use serde_json::json;

#[tokio::test(start_paused = true)]
async fn a_400_fails_the_request_once_with_jiras_message() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(
        &server,
        POST,
        "/rest/operations/1.0/bulk",
        vec![json(
            400,
            json!([{"message": "Request body is malformed", "errorTraceId": "t-9"}]),
        )],
    )
    .await;
    let client = client(&server);

    let error = client
        .submit(&SubmitEntityRequest {
            incidents: vec![incident("INC-1")],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(log.len(), 1);
    assert_eq!(error.status(), Some(400));
    assert_eq!(error.jira_messages(), ["Request body is malformed"]);
    assert_eq!(error.error_trace_ids(), ["t-9"]);
    assert_eq!(
        error.to_string(),
        "jira rejected the request as malformed (400) while submitting incidents or reviews: Request body is malformed"
    );

    let report = client
        .submit_incidents(
            vec![incident("INC-1"), incident("INC-2")],
            &SubmitOptions::default(),
        )
        .await;
    assert_eq!(log.len(), 2, "one more request, not retried");
    assert_eq!(report.failed.len(), 2);
    assert_eq!(report.failed[1].messages, [error.to_string()]);
}

#[tokio::test(start_paused = true)]
async fn a_403_names_the_missing_scope_and_is_not_retried() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(
        &server,
        DELETE,
        "/rest/operations/1.0/incidents/INC-1",
        vec![status(403)],
    )
    .await;

    let error = client(&server).delete_incident("INC-1").await.unwrap_err();

    assert_eq!(log.len(), 1);
    assert!(error.is_auth());
    assert_eq!(error.required_scope(), Some("DELETE"));
    assert_eq!(
        error.to_string(),
        "jira refused the request (403) while deleting an incident: the app needs the DELETE scope and the jiraOperationsInfoProvider module"
    );
}

#[tokio::test(start_paused = true)]
async fn a_403_about_an_unparsable_token_is_reported_as_a_credential_problem() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(
        &server,
        GET,
        "/rest/operations/1.0/linkedWorkspaces",
        vec![json(
            403,
            json!({"error": "Failed to parse Connect Session Auth Token"}),
        )],
    )
    .await;

    let error = client(&server).workspaces().await.unwrap_err();

    assert_eq!(log.len(), 1);
    assert!(error.is_auth());
    assert_eq!(
        error.jira_messages(),
        ["Failed to parse Connect Session Auth Token"]
    );
    assert!(error.to_string().contains("credential problem"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn a_413_on_a_raw_submit_is_returned_not_retried() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(
        &server,
        POST,
        "/rest/operations/1.0/bulk",
        vec![json(413, json!([{"message": "Data is too large"}]))],
    )
    .await;

    let error = client(&server)
        .submit(&SubmitEntityRequest {
            incidents: vec![incident("INC-1")],
            ..Default::default()
        })
        .await
        .unwrap_err();

    assert_eq!(log.len(), 1);
    assert_eq!(error.status(), Some(413));
    assert!(!error.outcome_unknown());
}

#[tokio::test(start_paused = true)]
async fn a_404_on_get_is_none_and_not_retried() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(
        &server,
        GET,
        "/rest/operations/1.0/post-incident-reviews/PIR-9",
        vec![status(404)],
    )
    .await;

    assert_eq!(client(&server).get_review("PIR-9").await.unwrap(), None);
    assert_eq!(log.len(), 1);
}

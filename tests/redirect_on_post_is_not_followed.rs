//! A 3xx to a POST or DELETE (a renamed site) is a typed error carrying the new location; the
//! request is never replayed, least of all as a GET.

mod common;

use common::*;
use httpmock::{HttpMockResponse, Method::DELETE, Method::GET, Method::POST, MockServer};
use jira_operations::types::SubmitEntityRequest;
use jira_operations::{OperationsClient, SubmitOptions};

fn moved(location: &str) -> HttpMockResponse {
    HttpMockResponse::builder()
        .status(302)
        .header("location", location)
        .build()
}

/// A client as applications build it: the default HTTP client.
fn default_client(server: &MockServer) -> OperationsClient {
    OperationsClient::new(installation(&server.base_url())).unwrap()
}

#[tokio::test]
async fn a_302_on_post_is_an_error_with_the_location_and_no_get_is_sent() {
    let server = MockServer::start_async().await;
    let new_site = server.url("/moved/rest/operations/1.0/bulk");
    let (_post, posts) = scripted(
        &server,
        POST,
        "/rest/operations/1.0/bulk",
        vec![moved(&new_site)],
    )
    .await;
    let (_get, gets) = scripted(
        &server,
        GET,
        "/moved/rest/operations/1.0/bulk",
        vec![status(405)],
    )
    .await;
    let (_moved_post, moved_posts) = scripted(
        &server,
        POST,
        "/moved/rest/operations/1.0/bulk",
        vec![status(202)],
    )
    .await;

    let error = default_client(&server)
        .submit(&SubmitEntityRequest {
            incidents: vec![incident("INC-1")],
            ..Default::default()
        })
        .await
        .unwrap_err();

    assert_eq!(posts.len(), 1, "not retried");
    assert_eq!(gets.len(), 0, "never replayed as GET");
    assert_eq!(moved_posts.len(), 0, "never followed");
    assert!(error.is_redirect());
    assert_eq!(error.status(), Some(302));
    assert_eq!(error.redirect_location(), Some(new_site.as_str()));
    assert!(!error.is_retryable());
    let text = error.to_string();
    assert!(text.contains(&new_site), "{text}");
    assert!(
        text.contains("update the installation's base url"),
        "{text}"
    );
}

#[tokio::test]
async fn a_301_on_delete_is_an_error_with_the_location() {
    let server = MockServer::start_async().await;
    let new_site = "https://renamed.atlassian.net/rest/operations/1.0/incidents/INC-1";
    let (_delete, deletes) = scripted(
        &server,
        DELETE,
        "/rest/operations/1.0/incidents/INC-1",
        vec![
            HttpMockResponse::builder()
                .status(301)
                .header("location", new_site)
                .build(),
        ],
    )
    .await;

    let error = default_client(&server)
        .delete_incident("INC-1")
        .await
        .unwrap_err();

    assert_eq!(deletes.len(), 1);
    assert_eq!(error.redirect_location(), Some(new_site));
}

#[tokio::test]
async fn a_redirected_submission_fails_each_record_with_the_location() {
    let server = MockServer::start_async().await;
    let new_site = server.url("/moved/rest/operations/1.0/bulk");
    let (_post, posts) = scripted(
        &server,
        POST,
        "/rest/operations/1.0/bulk",
        vec![moved(&new_site)],
    )
    .await;
    let (_get, gets) = scripted(
        &server,
        GET,
        "/moved/rest/operations/1.0/bulk",
        vec![status(405)],
    )
    .await;
    let incidents: Vec<_> = (0..3).map(|i| incident(&format!("INC-{i}"))).collect();

    let report = default_client(&server)
        .submit_incidents(incidents, &SubmitOptions::default())
        .await;

    assert_eq!(posts.len(), 1);
    assert_eq!(gets.len(), 0);
    assert_eq!(report.failed.len(), 3);
    assert!(report.failed[0].messages[0].contains(&new_site));
}

//! Reads and deletes by ID and by properties: paths percent-encoded and signed as sent,
//! property filters in the raw query, 404 on a read as `None`.

mod common;

use common::*;
use httpmock::{Method::DELETE, Method::GET, MockServer};
use jira_operations::auth::FixedClock;
use serde_json::json;

#[tokio::test(start_paused = true)]
async fn get_incident_returns_the_stored_incident_or_none() {
    let server = MockServer::start_async().await;
    let clock = FixedClock::at(NOW);
    let (_found, found_log) = scripted(
        &server,
        GET,
        "/rest/operations/1.0/incidents/INC-1",
        vec![json(200, incident_json("INC-1"))],
    )
    .await;
    let (_missing, _) = scripted(
        &server,
        GET,
        "/rest/operations/1.0/incidents/INC-2",
        vec![status(404)],
    )
    .await;
    let client = builder(&server.base_url(), clock.clone()).build().unwrap();

    assert_eq!(
        client.get_incident("INC-1").await.unwrap(),
        Some(incident("INC-1"))
    );
    assert_eq!(client.get_incident("INC-2").await.unwrap(), None);
    let seen = found_log.all();
    assert_eq!(seen[0].header("accept"), Some("application/json"));
    seen[0].assert_signed(&server.base_url(), clock);
}

#[tokio::test(start_paused = true)]
async fn ids_are_percent_encoded_in_the_path_and_signed_as_sent() {
    let server = MockServer::start_async().await;
    let clock = FixedClock::at(NOW);
    let (_mock, log) = scripted(
        &server,
        DELETE,
        "/rest/operations/1.0/post-incident-reviews/PIR%201",
        vec![status(202)],
    )
    .await;
    let client = builder(&server.base_url(), clock.clone()).build().unwrap();

    client.delete_review("PIR 1").await.unwrap();

    let seen = log.all();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].path,
        "/rest/operations/1.0/post-incident-reviews/PIR%201"
    );
    seen[0].assert_signed(&server.base_url(), clock);
}

#[tokio::test(start_paused = true)]
async fn delete_by_properties_sends_the_filters_as_the_raw_query() {
    let server = MockServer::start_async().await;
    let clock = FixedClock::at(NOW);
    let (_mock, log) = scripted(
        &server,
        DELETE,
        "/rest/operations/1.0/bulkByProperties",
        vec![status(202)],
    )
    .await;
    let client = builder(&server.base_url(), clock.clone()).build().unwrap();

    client
        .delete_by_properties(&[("accountId", "account-123"), ("createdBy", "a b")])
        .await
        .unwrap();

    let seen = log.all();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].query.as_deref(),
        Some("accountId=account-123&createdBy=a+b")
    );
    assert!(seen[0].body.is_empty());
    seen[0].assert_signed(&server.base_url(), clock);
}

#[tokio::test(start_paused = true)]
async fn invalid_property_filters_are_refused_before_sending() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(
        &server,
        DELETE,
        "/rest/operations/1.0/bulkByProperties",
        vec![status(202)],
    )
    .await;
    let client = client(&server);

    for filters in [vec![], vec![("_private", "x")], vec![("a:b", "x")]] {
        let error = client.delete_by_properties(&filters).await.unwrap_err();
        assert!(error.is_invalid_input(), "{error}");
    }
    assert_eq!(log.len(), 0);
}

#[tokio::test(start_paused = true)]
async fn ids_the_spec_does_not_allow_are_refused_before_sending() {
    let server = MockServer::start_async().await;
    let client = client(&server);

    assert!(
        client
            .get_incident("")
            .await
            .unwrap_err()
            .is_invalid_input()
    );
    let long = "x".repeat(256);
    assert!(
        client
            .delete_incident(&long)
            .await
            .unwrap_err()
            .is_invalid_input()
    );
}

#[tokio::test(start_paused = true)]
async fn a_stored_review_is_read_back() {
    let server = MockServer::start_async().await;
    let body = json!({
        "createdDate": "2024-01-16T10:00:00Z",
        "description": "what happened",
        "id": "PIR-1",
        "lastUpdated": "2024-01-16T10:00:00Z",
        "reviews": ["INC-1"],
        "schemaVersion": "1.0",
        "status": "completed",
        "summary": "VPN outage review",
        "updateSequenceNumber": 1,
        "url": "https://ops.example/reviews/PIR-1"
    });
    let (_mock, _log) = scripted(
        &server,
        GET,
        "/rest/operations/1.0/post-incident-reviews/PIR-1",
        vec![json(200, body)],
    )
    .await;

    assert_eq!(
        client(&server).get_review("PIR-1").await.unwrap(),
        Some(review("PIR-1"))
    );
}

//! Workspace IDs are linked in POSTs of at most 100 and unlinked in DELETEs of at most 100
//! sent as one comma-separated `workspaceIds`; reads map 404 to "none".

mod common;

use common::*;
use httpmock::{Method::DELETE, Method::GET, Method::POST, MockServer};
use jira_operations::auth::FixedClock;
use serde_json::json;

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("ws-{i:03}")).collect()
}

#[tokio::test(start_paused = true)]
async fn linking_250_ids_sends_requests_of_100_100_50() {
    let server = MockServer::start_async().await;
    let clock = FixedClock::at(NOW);
    let (_mock, log) = responder(
        &server,
        POST,
        "/rest/operations/1.0/linkedWorkspaces/bulk",
        |seen| {
            // Jira lists what it accepted; this one leaves out ws-007.
            let accepted: Vec<String> = seen.json()["workspaceIds"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .filter(|id| id != "ws-007")
                .collect();
            json(202, json!({"acceptedWorkspaceIds": accepted}))
        },
    )
    .await;
    let client = builder(&server.base_url(), clock.clone()).build().unwrap();
    let mut input = ids(250);
    input.push("ws-001".into()); // a duplicate is sent once

    let report = client.link_workspaces(&input).await.unwrap();

    let seen = log.all();
    let sizes: Vec<usize> = seen
        .iter()
        .map(|s| s.json()["workspaceIds"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [100, 100, 50]);
    assert_eq!(seen[0].json(), json!({"workspaceIds": ids(100)}));
    for request in &seen {
        assert_eq!(request.query, None);
        assert_eq!(request.header("content-type"), Some("application/json"));
        request.assert_signed(&server.base_url(), clock.clone());
    }
    assert_eq!(report.accepted.len(), 249);
    assert_eq!(report.unconfirmed, ["ws-007"]);
    assert!(report.failed.is_empty());
    assert_eq!(report.requests_sent, 3);
}

#[tokio::test(start_paused = true)]
async fn unlinking_sends_comma_joined_ids_in_requests_of_100() {
    let server = MockServer::start_async().await;
    let clock = FixedClock::at(NOW);
    let (_mock, log) = scripted(
        &server,
        DELETE,
        "/rest/operations/1.0/linkedWorkspaces/bulk",
        vec![status(202)],
    )
    .await;
    let client = builder(&server.base_url(), clock.clone()).build().unwrap();

    let report = client.unlink_workspaces(&ids(150)).await.unwrap();

    let seen = log.all();
    assert_eq!(seen.len(), 2);
    let first = format!("workspaceIds={}", ids(100).join("%2C"));
    assert_eq!(seen[0].query.as_deref(), Some(first.as_str()));
    let second = format!("workspaceIds={}", ids(150)[100..].join("%2C"));
    assert_eq!(seen[1].query.as_deref(), Some(second.as_str()));
    for request in &seen {
        assert!(request.body.is_empty());
        request.assert_signed(&server.base_url(), clock.clone());
    }
    assert_eq!(report.accepted.len(), 150);
}

#[tokio::test(start_paused = true)]
async fn unlinking_two_ids_matches_the_documented_query() {
    let server = MockServer::start_async().await;
    let clock = FixedClock::at(NOW);
    let (_mock, log) = scripted(
        &server,
        DELETE,
        "/rest/operations/1.0/linkedWorkspaces/bulk",
        vec![status(202)],
    )
    .await;
    let client = builder(&server.base_url(), clock.clone()).build().unwrap();

    client
        .unlink_workspaces(&["111-222-333", "444-555-666"])
        .await
        .unwrap();

    let seen = log.all();
    assert_eq!(
        seen[0].query.as_deref(),
        Some("workspaceIds=111-222-333%2C444-555-666")
    );
    seen[0].assert_signed(&server.base_url(), clock);
}

#[tokio::test(start_paused = true)]
async fn ids_that_cannot_be_sent_are_refused_before_sending() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(
        &server,
        POST,
        "/rest/operations/1.0/linkedWorkspaces/bulk",
        vec![status(202)],
    )
    .await;
    let client = client(&server);

    assert!(
        client
            .link_workspaces::<&str>(&[])
            .await
            .unwrap_err()
            .is_invalid_input()
    );
    assert!(
        client
            .link_workspaces(&["a", ""])
            .await
            .unwrap_err()
            .is_invalid_input()
    );
    assert!(
        client
            .unlink_workspaces(&["a,b"])
            .await
            .unwrap_err()
            .is_invalid_input()
    );
    assert_eq!(log.len(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_403_stops_linking_and_fails_the_rest() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(
        &server,
        POST,
        "/rest/operations/1.0/linkedWorkspaces/bulk",
        vec![status(403)],
    )
    .await;

    let report = client(&server).link_workspaces(&ids(201)).await.unwrap();

    assert_eq!(log.len(), 1);
    assert_eq!(report.failed.len(), 201);
    assert!(
        report.failed["ws-000"].contains("WRITE scope"),
        "{}",
        report.failed["ws-000"]
    );
    assert!(report.failed["ws-200"].starts_with("not sent"));
}

#[tokio::test(start_paused = true)]
async fn workspace_reads_list_and_map_404_to_none() {
    let server = MockServer::start_async().await;
    let clock = FixedClock::at(NOW);
    let (_one, one_log) = responder(
        &server,
        GET,
        "/rest/operations/1.0/linkedWorkspaces",
        |seen| match seen.query.as_deref() {
            Some("workspaceId=111-222-333") => json(200, json!({"workspaceIds": ["111-222-333"]})),
            Some(_) => status(404),
            None => json(200, json!({"workspaceIds": ["111-222-333", "444"]})),
        },
    )
    .await;
    let client = builder(&server.base_url(), clock.clone()).build().unwrap();

    assert_eq!(client.workspaces().await.unwrap(), ["111-222-333", "444"]);
    assert_eq!(
        client.workspace("111-222-333").await.unwrap().as_deref(),
        Some("111-222-333")
    );
    assert_eq!(client.workspace("999").await.unwrap(), None);

    let seen = one_log.all();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].query, None);
    assert_eq!(seen[1].query.as_deref(), Some("workspaceId=111-222-333"));
    for request in &seen {
        request.assert_signed(&server.base_url(), clock.clone());
    }
}

#[tokio::test(start_paused = true)]
async fn no_linked_workspace_reads_as_an_empty_list() {
    let server = MockServer::start_async().await;
    let (_mock, _log) = scripted(
        &server,
        GET,
        "/rest/operations/1.0/linkedWorkspaces",
        vec![status(404)],
    )
    .await;

    assert!(client(&server).workspaces().await.unwrap().is_empty());
}

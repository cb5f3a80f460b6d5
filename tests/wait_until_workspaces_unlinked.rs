//! Waiting for unlinked workspaces to disappear from the linked list.

mod common;

use std::time::Duration;

use common::*;
use httpmock::{Method::GET, MockServer};
use jira_operations::auth::FixedClock;
use jira_operations::{RetryPolicy, Seen, WaitPolicy};
use serde_json::json;

const LIST: &str = "/rest/operations/1.0/linkedWorkspaces";

fn policy(deadline_secs: u64) -> WaitPolicy {
    WaitPolicy {
        deadline: Duration::from_secs(deadline_secs),
        ..WaitPolicy::default()
    }
}

#[tokio::test(start_paused = true)]
async fn workspaces_are_awaited_until_no_longer_listed() {
    let server = MockServer::start_async().await;
    let clock = FixedClock::at(NOW);
    let (_mock, log) = scripted(
        &server,
        GET,
        LIST,
        vec![
            json(200, json!({"workspaceIds": ["a", "b", "c"]})),
            json(200, json!({"workspaceIds": ["b", "c"]})),
            json(200, json!({"workspaceIds": ["c"]})),
        ],
    )
    .await;
    let client = builder(&server.base_url(), clock.clone()).build().unwrap();

    client
        .wait_until_workspaces_unlinked(&["a", "b"], &policy(60))
        .await
        .unwrap();

    assert_eq!(log.len(), 3);
    for request in log.all() {
        assert_eq!(request.query, None);
        request.assert_signed(&server.base_url(), clock.clone());
    }
}

#[tokio::test(start_paused = true)]
async fn a_404_means_nothing_is_linked() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(
        &server,
        GET,
        LIST,
        vec![json(200, json!({"workspaceIds": ["a"]})), status(404)],
    )
    .await;

    client(&server)
        .wait_until_workspaces_unlinked(&["a"], &policy(60))
        .await
        .unwrap();
    assert_eq!(log.len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_workspace_still_linked_at_the_deadline_times_out() {
    let server = MockServer::start_async().await;
    let (_mock, _log) = scripted(
        &server,
        GET,
        LIST,
        vec![json(200, json!({"workspaceIds": ["a", "b"]}))],
    )
    .await;

    let error = client(&server)
        .wait_until_workspaces_unlinked(&["a", "z"], &policy(5))
        .await
        .unwrap_err();

    assert!(error.is_wait_timeout());
    let state = error.wait_state().unwrap();
    assert_eq!(state.target, "unlinked");
    assert_eq!(state.pending.len(), 1);
    assert_eq!(state.pending[0].id, "a");
    assert_eq!(state.pending[0].seen, Seen::Present);
}

#[tokio::test(start_paused = true)]
async fn a_transient_error_while_listing_is_not_fatal() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(
        &server,
        GET,
        LIST,
        vec![
            status(503),
            with_header(429, "Retry-After", "1"),
            json(200, json!({"workspaceIds": ["x"]})),
        ],
    )
    .await;
    let client = builder(&server.base_url(), FixedClock::at(NOW))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();

    client
        .wait_until_workspaces_unlinked(&["a"], &policy(60))
        .await
        .unwrap();
    assert_eq!(log.len(), 3);
}

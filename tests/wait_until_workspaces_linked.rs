//! Waiting for linked workspaces to appear in the linked list: linking, too, is applied
//! asynchronously.

mod common;

use std::time::Duration;

use common::*;
use httpmock::{Method::GET, MockServer};
use jira_operations::auth::FixedClock;
use jira_operations::{ItemKind, RetryPolicy, Seen, WaitPolicy};
use serde_json::json;
use tokio::time::Instant;

const LIST: &str = "/rest/operations/1.0/linkedWorkspaces";

fn policy(deadline_secs: u64) -> WaitPolicy {
    WaitPolicy {
        deadline: Duration::from_secs(deadline_secs),
        ..WaitPolicy::default()
    }
}

#[tokio::test(start_paused = true)]
async fn workspaces_are_awaited_until_all_are_listed() {
    let server = MockServer::start_async().await;
    let clock = FixedClock::at(NOW);
    let (_mock, log) = scripted(
        &server,
        GET,
        LIST,
        vec![
            // Nothing linked yet: Jira answers 404.
            status(404),
            json(200, json!({"workspaceIds": ["a"]})),
            json(200, json!({"workspaceIds": ["a", "b", "c"]})),
        ],
    )
    .await;
    let client = builder(&server.base_url(), clock.clone()).build().unwrap();

    let started = Instant::now();
    client
        .wait_until_workspaces_linked(&["a", "b", "a"], &policy(60))
        .await
        .unwrap();

    assert_eq!(log.len(), 3);
    // Polls at 0 s, 1 s and 3 s.
    assert_eq!(started.elapsed(), Duration::from_secs(3));
    for request in log.all() {
        assert_eq!(request.method, "GET");
        assert_eq!(request.query, None);
        request.assert_signed(&server.base_url(), clock.clone());
    }
}

#[tokio::test(start_paused = true)]
async fn a_workspace_still_unlisted_at_the_deadline_times_out() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(
        &server,
        GET,
        LIST,
        vec![json(200, json!({"workspaceIds": ["a", "b"]}))],
    )
    .await;

    let started = Instant::now();
    let error = client(&server)
        .wait_until_workspaces_linked(&["a", "z"], &policy(5))
        .await
        .unwrap_err();

    assert!(error.is_wait_timeout());
    assert_eq!(started.elapsed(), Duration::from_secs(5));
    let state = error.wait_state().unwrap();
    assert_eq!(state.target, "linked");
    assert_eq!(state.pending.len(), 1);
    assert_eq!(state.pending[0].kind, ItemKind::Workspace);
    assert_eq!(state.pending[0].id, "z");
    assert_eq!(state.pending[0].seen, Seen::Missing);
    // At 0 s, 1 s, 3 s, and at the deadline.
    assert_eq!(state.polls, 4);
    assert_eq!(log.len(), 4);
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
            json(200, json!({"workspaceIds": ["a"]})),
        ],
    )
    .await;
    let client = builder(&server.base_url(), FixedClock::at(NOW))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();

    client
        .wait_until_workspaces_linked(&["a"], &policy(60))
        .await
        .unwrap();
    assert_eq!(log.len(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_transient_error_at_the_deadline_is_carried_by_the_timeout() {
    let server = MockServer::start_async().await;
    let (_mock, _log) = scripted(&server, GET, LIST, vec![status(503)]).await;
    let client = builder(&server.base_url(), FixedClock::at(NOW))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();

    let error = client
        .wait_until_workspaces_linked(&["a"], &policy(3))
        .await
        .unwrap_err();

    assert!(error.is_wait_timeout());
    let state = error.wait_state().unwrap();
    assert_eq!(state.pending[0].seen, Seen::Unknown);
    assert!(
        state
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("503")),
        "{state:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_refused_credential_ends_the_wait_at_once() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(&server, GET, LIST, vec![status(401)]).await;

    let error = client(&server)
        .wait_until_workspaces_linked(&["a"], &policy(60))
        .await
        .unwrap_err();

    assert!(error.is_auth(), "{error}");
    assert!(!error.is_wait_timeout());
    assert_eq!(log.len(), 1);
}

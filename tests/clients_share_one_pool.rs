//! Clients of several sites share one HTTP client (one connection pool), each signing with
//! its own installation.

mod common;

use common::*;
use httpmock::{Method::GET, MockServer};
use jira_operations::OperationsClient;
use jira_operations::auth::{FixedClock, Incoming, Installation, MemoryStore, Verifier};
use serde_json::json;

#[tokio::test]
async fn two_sites_share_one_http_client_and_each_request_is_signed_for_its_site() {
    let first_site = MockServer::start_async().await;
    let second_site = MockServer::start_async().await;
    let (_a, first_log) = scripted(
        &first_site,
        GET,
        "/rest/operations/1.0/linkedWorkspaces",
        vec![json(200, json!({"workspaceIds": ["first"]}))],
    )
    .await;
    let (_b, second_log) = scripted(
        &second_site,
        GET,
        "/rest/operations/1.0/linkedWorkspaces",
        vec![json(200, json!({"workspaceIds": ["second"]}))],
    )
    .await;
    let clock = FixedClock::at(NOW);
    let pool = OperationsClient::http_client_builder().build().unwrap();
    let other = Installation::new(
        "com.example.ops-provider",
        "second-client-key",
        "second-site-secret",
        second_site.base_url(),
    );
    let first = OperationsClient::builder(installation(&first_site.base_url()))
        .clock(clock.clone())
        .http_client(pool.clone())
        .build()
        .unwrap();
    let second = OperationsClient::builder(other.clone())
        .clock(clock.clone())
        .http_client(pool)
        .build()
        .unwrap();

    assert_eq!(first.workspaces().await.unwrap(), ["first"]);
    assert_eq!(second.workspaces().await.unwrap(), ["second"]);

    first_log.all()[0].assert_signed(&first_site.base_url(), clock.clone());
    // The second site's request verifies with its own secret and not with the first's.
    let request = &second_log.all()[0];
    let incoming = Incoming {
        method: &request.method,
        path: &request.path,
        query: request.query.as_deref(),
        authorization: request.header("authorization"),
    };
    let verifies_with = |installation: Installation| {
        let store = MemoryStore::new();
        store.insert(APP_KEY, installation);
        Verifier::new(store, &second_site.base_url())
            .clock(clock.clone())
            .verify(&incoming, false)
            .is_ok()
    };
    assert!(verifies_with(other));
    assert!(!verifies_with(installation(&second_site.base_url())));
}

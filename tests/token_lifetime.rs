//! The token's lifetime is the client's to set: `exp` is `iat` plus it, on the wire.

mod common;

use std::time::Duration;

use base64::Engine as _;
use common::*;
use httpmock::{Method::GET, MockServer};
use jira_operations::auth::FixedClock;
use serde_json::json;

fn claims(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn should_date_tokens_with_the_configured_lifetime() {
    let server = MockServer::start_async().await;
    let clock = FixedClock::at(NOW);
    let (_mock, log) = scripted(
        &server,
        GET,
        "/rest/operations/1.0/linkedWorkspaces",
        vec![
            json(200, json!({"workspaceIds": ["ws-1"]})),
            json(200, json!({"workspaceIds": ["ws-1"]})),
        ],
    )
    .await;

    let default = builder(&server.base_url(), clock.clone()).build().unwrap();
    default.workspaces().await.unwrap();
    let short = builder(&server.base_url(), clock.clone())
        .token_lifetime(Duration::from_secs(60))
        .build()
        .unwrap();
    short.workspaces().await.unwrap();

    let seen = log.all();
    assert_eq!(seen.len(), 2);
    let lifetimes: Vec<(u64, u64)> = seen
        .iter()
        .map(|request| {
            let claims = claims(&request.assert_signed(&server.base_url(), clock.clone()));
            (
                claims["iat"].as_u64().unwrap(),
                claims["exp"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(lifetimes, [(NOW, NOW + 180), (NOW, NOW + 60)]);
}

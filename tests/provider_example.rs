//! The example provider app end to end, served on 127.0.0.1 under `/connect`: its
//! descriptor, a signed install that triggers an incident push to a fake Jira (which checks
//! the push's Connect JWT as Jira would), and Jira's signed action calls.

#![cfg(feature = "server")]

#[allow(dead_code)]
#[path = "../examples/provider.rs"]
mod example;

use std::sync::Arc;

use base64::Engine as _;
use httpmock::prelude::*;
use jira_operations::auth::{
    CanonicalRequest, Clock, FixedClock, Incoming, Installation, MemoryStore, Signer, Verifier,
};
use jira_operations::provider::{InstallVerifier, ProviderModules};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

const APP_KEY: &str = "com.example.rust-ops-provider";
const CLIENT_KEY: &str = "0a1b2c3d-4e5f-6789-abcd-ef0123456789";
const SECRET: &str = "an-example-shared-secret-0123456789";
const NOW: u64 = 1_700_000_060;

fn install_vectors() -> Value {
    let path = format!(
        "{}/tests/fixtures/signed-install.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// An install token as Atlassian signs one (test-only key) for the app at `app_base_url`.
fn signed_install_token(app_base_url: &str) -> String {
    let vectors = install_vectors();
    let pem = vectors["private_key_pkcs1_pem_test_only"].as_str().unwrap();
    let base64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(base64)
        .unwrap();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(vectors["kid"].as_str().unwrap().to_string());
    let claims = json!({
        "iss": CLIENT_KEY,
        "aud": app_base_url,
        "qsh": CanonicalRequest::new("POST", "/installed", None, "").qsh(),
        "iat": NOW - 5,
        "exp": NOW + 175,
    });
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_der(&der)).unwrap()
}

/// Signs as Jira signs its calls to the app: `iss` = client key, `qsh` relative to the app.
fn jira_signer(app_base_url: &str, clock: Arc<dyn Clock>) -> Signer {
    Signer::new(
        &Installation::new(CLIENT_KEY, CLIENT_KEY, SECRET, app_base_url),
        clock,
    )
    .unwrap()
}

/// Whether a request to the fake Jira carries a Connect JWT Jira would accept from the app.
fn jira_accepts(req: &HttpMockRequest, site: &str) -> bool {
    let store = MemoryStore::new();
    store.insert(
        APP_KEY,
        Installation::new(APP_KEY, CLIENT_KEY, SECRET, site),
    );
    let verifier = Verifier::new(store, site).clock(FixedClock::at(NOW));
    let uri = req.uri();
    let headers = req.headers();
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok());
    let incoming = Incoming {
        method: req.method_str(),
        path: uri.path(),
        query: uri.query(),
        authorization,
    };
    matches!(verifier.verify(&incoming, false), Ok(v) if v.issuer == APP_KEY && !v.context_token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn should_serve_install_push_and_answer_jira_calls_end_to_end() {
    let clock: Arc<dyn Clock> = FixedClock::at(NOW);

    let keys = MockServer::start_async().await;
    let vectors = install_vectors();
    keys.mock(|when, then| {
        when.method(GET)
            .path(format!("/{}", vectors["kid"].as_str().unwrap()));
        then.status(200)
            .body(vectors["public_key_pem"].as_str().unwrap());
    });

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}/connect", listener.local_addr().unwrap());
    let installs = InstallVerifier::new(&base_url)
        .key_servers(&[&keys.base_url()])
        .unwrap()
        .clock(clock.clone());
    let app = example::app(&base_url, installs, clock.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let jira = MockServer::start_async().await;
    let site = jira.base_url();
    let created = chrono::DateTime::from_timestamp(NOW as i64, 0)
        .unwrap()
        .to_rfc3339();
    let expected_batch = json!({"incidents": [{
        "schemaVersion": "1.0", "id": "INC-1", "updateSequenceNumber": 1,
        "summary": "Checkout latency above its objective", "description": "p99 over 2 s",
        "status": "open", "affectedComponents": ["checkout"],
        "url": format!("{base_url}/inc/1"),
        "createdDate": created, "lastUpdated": created,
    }]});
    let site_for_check = site.clone();
    let push = jira.mock(|when, then| {
        when.method(POST)
            .path("/rest/operations/1.0/bulk")
            .header("content-type", "application/json")
            .header_matches(
                "authorization",
                "^JWT [A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$",
            )
            .json_body(expected_batch.clone())
            .is_true(move |req| jira_accepts(req, &site_for_check));
        then.status(202)
            .json_body(json!({"acceptedIncidents": ["INC-1"]}));
    });
    let unexpected = jira.mock(|when, then| {
        when.any_request();
        then.status(599)
            .body("the fake Jira got a request no expectation matched");
    });
    let http = reqwest::Client::new();

    // The descriptor Jira reads when the app is installed.
    let descriptor: Value = http
        .get(format!("{base_url}/atlassian-connect.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(descriptor["baseUrl"], base_url);
    assert_eq!(descriptor["key"], APP_KEY);
    assert_eq!(descriptor["authentication"], json!({"type": "jwt"}));
    assert_eq!(descriptor["lifecycle"]["installed"], "/installed");
    assert_eq!(descriptor["scopes"], json!(["READ", "WRITE", "DELETE"]));
    let modules: ProviderModules = serde_json::from_value(descriptor["modules"].clone()).unwrap();
    let actions = modules.operations_info_provider.actions();
    assert_eq!(actions.fetch_workspaces.template_url, "/workspaces");
    assert_eq!(actions.search_containers.template_url, "/containers/search");

    // An install without Atlassian's signature is refused and pushes nothing.
    let installed_body = json!({
        "key": APP_KEY, "clientKey": CLIENT_KEY, "sharedSecret": SECRET, "baseUrl": site,
        "productType": "jira", "eventType": "installed",
    });
    let forged = http
        .post(format!("{base_url}/installed"))
        .json(&installed_body)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    push.assert_calls_async(0).await;

    // A signed install is stored and triggers the push, which Jira accepts.
    let installed = http
        .post(format!("{base_url}/installed"))
        .header(
            "authorization",
            format!("JWT {}", signed_install_token(&base_url)),
        )
        .json(&installed_body)
        .send()
        .await
        .unwrap();
    assert_eq!(installed.status(), 204);
    push.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;

    // Jira's fetchWorkspaces call, signed for the app's path under /connect.
    let signer = jira_signer(&base_url, clock.clone());
    let token = signer.token("POST", "/connect/workspaces", None).unwrap();
    let workspaces = http
        .post(format!("{base_url}/workspaces"))
        .header("authorization", format!("JWT {token}"))
        .json(&json!({"ids": ["ws-1", "ws-9"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(workspaces.status(), 200);
    assert_eq!(
        workspaces.json::<Value>().await.unwrap(),
        json!({"workspaces": [{"id": "ws-1", "name": "Payments"}]})
    );

    // Jira's searchContainers call.
    let token = signer
        .token("GET", "/connect/containers/search", Some("searchQuery=pay"))
        .unwrap();
    let containers = http
        .get(format!("{base_url}/containers/search?searchQuery=pay"))
        .header("authorization", format!("JWT {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(containers.status(), 200);
    assert_eq!(
        containers.json::<Value>().await.unwrap(),
        json!({"containers": [{"id": "ws-1/payments-api"}]})
    );

    // The same call with the token of another request, or none, is refused.
    let replayed = http
        .get(format!("{base_url}/containers/search?searchQuery=checkout"))
        .header("authorization", format!("JWT {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replayed.status(), 401);
    let anonymous = http
        .get(format!("{base_url}/containers/search?searchQuery=pay"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

//! Signed installs: the RS256 `installed` callback is accepted only when Atlassian's key,
//! the app's base URL, the body's client key and the request all agree; the shared
//! signed-install vectors (test-only key pair) pass and fail as expected.

#![cfg(feature = "server")]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header::AUTHORIZATION};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use httpmock::prelude::*;
use jira_operations::auth::{CanonicalRequest, FixedClock, Rejection};
use jira_operations::provider::{
    InstallRejection, InstallRequest, InstallVerifier, SignedInstallLayer, VerifiedInstall,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tower::ServiceExt as _;

fn vectors() -> Value {
    let path = format!(
        "{}/tests/fixtures/signed-install.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn variant(id: &str) -> String {
    vectors()["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("no variant {id}"))["token"]
        .as_str()
        .unwrap()
        .to_string()
}

fn body() -> Vec<u8> {
    serde_json::to_vec(&vectors()["installed_body"]).unwrap()
}

/// A key server answering `GET /<kid>` with the vectors' public key.
fn key_server() -> (MockServer, String) {
    let server = MockServer::start();
    let v = vectors();
    server.mock(|when, then| {
        when.method(GET)
            .path(format!("/{}", v["kid"].as_str().unwrap()));
        then.status(200).body(v["public_key_pem"].as_str().unwrap());
    });
    let url = server.base_url();
    (server, url)
}

fn verifier(key_server: &str, now: u64) -> InstallVerifier {
    InstallVerifier::new("https://app.example.com/connect")
        .key_servers(&[key_server])
        .unwrap()
        .clock(FixedClock::at(now))
}

async fn verify_at(
    now: u64,
    token: &str,
    path: &str,
    body: &[u8],
) -> Result<String, InstallRejection> {
    let (_server, url) = key_server();
    let authorization = format!("JWT {token}");
    let request = InstallRequest {
        method: "POST",
        path,
        query: None,
        authorization: Some(&authorization),
        body,
    };
    verifier(&url, now)
        .verify(&request)
        .await
        .map(|installation| installation.client_key)
}

async fn verify(token: &str) -> Result<String, InstallRejection> {
    verify_at(1_700_000_060, token, "/connect/installed", &body()).await
}

/// Signs install claims with the vectors' test-only private key.
fn sign(kid: &str, claims: &Value) -> String {
    let pem = vectors()["private_key_pkcs1_pem_test_only"]
        .as_str()
        .unwrap()
        .to_string();
    let base64: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(base64)
        .unwrap();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_string());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_der(&der)).unwrap()
}

fn claims() -> Value {
    json!({
        "iss": "0a1b2c3d-4e5f-6789-abcd-ef0123456789",
        "aud": "https://app.example.com/connect",
        "qsh": CanonicalRequest::new("POST", "/installed", None, "").qsh(),
        "iat": 1_700_000_000,
        "exp": 1_700_000_180,
    })
}

#[tokio::test]
async fn should_accept_the_valid_signed_install_vector() {
    assert_eq!(
        verify(&variant("install-valid")).await,
        Ok("0a1b2c3d-4e5f-6789-abcd-ef0123456789".to_string())
    );
}

#[tokio::test]
async fn should_accept_an_audience_with_a_trailing_slash() {
    assert!(
        verify(&variant("install-valid-aud-trailing-slash"))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn should_refuse_a_token_for_another_app() {
    assert_eq!(
        verify(&variant("install-reject-wrong-aud")).await,
        Err(InstallRejection::Audience {
            found: "\"https://attacker.example.com\"".into(),
            expected: "https://app.example.com/connect".into(),
        })
    );
}

#[tokio::test]
async fn should_refuse_a_token_signed_with_another_key() {
    assert_eq!(
        verify(&variant("install-reject-wrong-key")).await,
        Err(InstallRejection::BadSignature)
    );
}

#[tokio::test]
async fn should_refuse_a_legacy_hs256_install_token() {
    assert_eq!(
        verify(&variant("install-reject-hs256-when-signed-install")).await,
        Err(InstallRejection::Algorithm("HS256".into()))
    );
}

#[tokio::test]
async fn should_refuse_the_valid_vector_once_expired() {
    let result = verify_at(
        1_700_000_211,
        &variant("install-valid"),
        "/connect/installed",
        &body(),
    )
    .await;

    assert_eq!(result, Err(InstallRejection::Expired));
}

#[tokio::test]
async fn should_refuse_the_valid_vector_on_another_lifecycle_path() {
    let result = verify_at(
        1_700_000_060,
        &variant("install-valid"),
        "/connect/uninstalled",
        &body(),
    )
    .await;

    assert_eq!(result, Err(InstallRejection::WrongQsh));
}

#[tokio::test]
async fn should_refuse_a_body_for_another_client_key() {
    let mut other = vectors()["installed_body"].clone();
    other["clientKey"] = json!("someone-else");
    let other = serde_json::to_vec(&other).unwrap();

    let result = verify_at(
        1_700_000_060,
        &variant("install-valid"),
        "/connect/installed",
        &other,
    )
    .await;

    assert_eq!(
        result,
        Err(InstallRejection::IssuerMismatch {
            issuer: "0a1b2c3d-4e5f-6789-abcd-ef0123456789".into(),
            client_key: "someone-else".into(),
        })
    );
}

#[tokio::test]
async fn should_refuse_a_body_that_is_not_an_installation_without_quoting_it() {
    let body = br#"{"key":"k","clientKey":"c","sharedSecret":12345678,"baseUrl":"b"}"#;

    let result = verify_at(
        1_700_000_060,
        &variant("install-valid"),
        "/connect/installed",
        body,
    )
    .await;

    let err = result.unwrap_err();
    assert!(matches!(err, InstallRejection::Body(_)), "{err:?}");
    assert!(!err.to_string().contains("12345678"), "{err}");
}

#[tokio::test]
async fn should_refuse_a_token_without_a_kid() {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = None;
    let token = sign("x", &claims());
    // Rebuild the token with a header that has no kid: the signature no longer matters.
    let no_kid_header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&header).unwrap());
    let rest = token.split_once('.').unwrap().1;

    assert_eq!(
        verify(&format!("{no_kid_header}.{rest}")).await,
        Err(InstallRejection::MissingKid)
    );
}

#[tokio::test]
async fn should_refuse_a_request_without_a_token() {
    let (_server, url) = key_server();
    let body = body();
    let request = InstallRequest {
        method: "POST",
        path: "/connect/installed",
        query: None,
        authorization: None,
        body: &body,
    };

    let result = verifier(&url, 1_700_000_060).verify(&request).await;

    assert_eq!(
        result.unwrap_err(),
        InstallRejection::Token(Rejection::Missing)
    );
}

#[tokio::test]
async fn should_fetch_each_key_once_and_reuse_it() {
    let server = MockServer::start();
    let pem = vectors()["public_key_pem"].as_str().unwrap().to_string();
    let key = server.mock(|when, then| {
        when.method(GET).path("/oracle-test-kid-0001");
        then.status(200).body(pem);
    });
    let verifier = verifier(&server.base_url(), 1_700_000_060);
    let authorization = format!("JWT {}", variant("install-valid"));
    let body = body();
    let request = InstallRequest {
        method: "POST",
        path: "/connect/installed",
        query: None,
        authorization: Some(&authorization),
        body: &body,
    };

    verifier.verify(&request).await.unwrap();
    verifier.verify(&request).await.unwrap();

    key.assert_calls(1);
}

#[tokio::test]
async fn should_try_the_next_key_server_when_one_does_not_have_the_key() {
    let empty = MockServer::start();
    let missing = empty.mock(|when, then| {
        when.method(GET).path("/oracle-test-kid-0001");
        then.status(404);
    });
    let (_server, url) = key_server();
    let verifier = InstallVerifier::new("https://app.example.com/connect")
        .key_servers(&[&empty.base_url(), &url])
        .unwrap()
        .clock(FixedClock::at(1_700_000_060));
    let authorization = format!("JWT {}", variant("install-valid"));
    let body = body();
    let request = InstallRequest {
        method: "POST",
        path: "/connect/installed",
        query: None,
        authorization: Some(&authorization),
        body: &body,
    };

    let result = verifier.verify(&request).await;

    assert!(result.is_ok(), "{result:?}");
    missing.assert_calls(1);
}

#[tokio::test]
async fn should_report_a_key_no_server_has() {
    let token = sign("unpublished-kid", &claims());

    let err = verify(&token).await.unwrap_err();

    match err {
        InstallRejection::KeyUnavailable { kid, reason } => {
            assert_eq!(kid, "unpublished-kid");
            assert!(reason.contains("/unpublished-kid: status 404"), "{reason}");
        }
        other => panic!("expected KeyUnavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn should_keep_a_kid_with_slashes_inside_one_path_segment_of_the_key_server() {
    let server = MockServer::start();
    let escaped = server.mock(|when, then| {
        when.method(GET).path("/keys/..%2F..%2Fadmin");
        then.status(404);
    });
    let verifier = InstallVerifier::new("https://app.example.com/connect")
        .key_servers(&[&format!("{}/keys/", server.base_url())])
        .unwrap()
        .clock(FixedClock::at(1_700_000_060));
    let authorization = format!("JWT {}", sign("../../admin", &claims()));
    let body = body();
    let request = InstallRequest {
        method: "POST",
        path: "/connect/installed",
        query: None,
        authorization: Some(&authorization),
        body: &body,
    };

    let err = verifier.verify(&request).await.unwrap_err();

    assert!(
        matches!(err, InstallRejection::KeyUnavailable { .. }),
        "{err:?}"
    );
    escaped.assert_calls(1);
}

#[tokio::test]
async fn should_accept_a_freshly_signed_install_with_an_audience_array() {
    let mut claims = claims();
    claims["aud"] = json!(["https://app.example.com/connect"]);

    assert!(verify(&sign("oracle-test-kid-0001", &claims)).await.is_ok());
}

async fn installed(VerifiedInstall(site): VerifiedInstall, Json(raw): Json<Value>) -> Json<Value> {
    Json(json!({"clientKey": site.client_key, "bodyEventType": raw["eventType"]}))
}

fn lifecycle_app(key_server: &str) -> Router {
    let routes = Router::new()
        .route("/installed", post(installed))
        .layer(SignedInstallLayer::new(Arc::new(verifier(
            key_server,
            1_700_000_060,
        ))));
    Router::new().nest("/connect", routes)
}

fn post_installed(token: &str, body: Vec<u8>) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri("/connect/installed")
        .header(AUTHORIZATION, format!("JWT {token}"))
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn should_hand_the_verified_installation_and_the_unchanged_body_to_the_handler() {
    let (_server, url) = key_server();

    let response = lifecycle_app(&url)
        .oneshot(post_installed(&variant("install-valid"), body()))
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&bytes).unwrap(),
        json!({"clientKey": "0a1b2c3d-4e5f-6789-abcd-ef0123456789", "bodyEventType": "installed"})
    );
}

#[tokio::test]
async fn should_answer_401_to_a_legacy_install_through_the_layer() {
    let (_server, url) = key_server();
    let token = variant("install-reject-hs256-when-signed-install");

    let response = lifecycle_app(&url)
        .oneshot(post_installed(&token, body()))
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.extensions().get::<InstallRejection>(),
        Some(&InstallRejection::Algorithm("HS256".into()))
    );
}

#[tokio::test]
async fn should_answer_400_to_a_body_that_is_not_json() {
    let (_server, url) = key_server();

    let response = lifecycle_app(&url)
        .oneshot(post_installed(
            &variant("install-valid"),
            b"not json".to_vec(),
        ))
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn should_answer_503_when_the_key_cannot_be_fetched() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.any_request();
        then.status(500);
    });

    let response = lifecycle_app(&server.base_url())
        .oneshot(post_installed(&variant("install-valid"), body()))
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn should_answer_400_to_a_body_over_the_size_limit() {
    let (_server, url) = key_server();
    let oversized = vec![b' '; jira_operations::provider::MAX_INSTALL_BODY + 1];

    let response = lifecycle_app(&url)
        .oneshot(post_installed(&variant("install-valid"), oversized))
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response.extensions().get::<InstallRejection>(),
        Some(&InstallRejection::Body("longer than 65536 bytes".into()))
    );
}

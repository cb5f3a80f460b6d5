//! `ConnectAuthLayer`: calls signed the way Jira signs them get through to the handler with
//! the installation and the user; everything else is refused with 401 and its own reason.
//!
//! Jira signs its calls to an app with `iss` = the site's client key and a `qsh` relative to
//! the app's base URL, path included; here that base URL is `https://app.example.com/connect`.

#![cfg(feature = "server")]

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode, header::AUTHORIZATION};
use axum::routing::{get, post};
use axum::{Json, Router};
use jira_operations::auth::{
    CanonicalRequest, FixedClock, Installation, MemoryStore, Rejection, Verifier,
};
use jira_operations::provider::{
    ConnectAuthLayer, FetchWorkspacesRequest, Refusal, SearchContainersQuery, VerifiedCall,
    at_base_path,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tower::ServiceExt as _;

const APP_BASE_URL: &str = "https://app.example.com/connect";
const APP_KEY: &str = "com.example.rust-ops-app";
const CLIENT_KEY: &str = "0a1b2c3d-4e5f-6789-abcd-ef0123456789";
const SECRET: &str = "oracle-test-shared-secret-0123456789abcdef";
const SITE: &str = "https://your-site.atlassian.net";
const ACCOUNT: &str = "557058:f1e2d3c4-b5a6-4789-9abc-def012345678";
const NOW: u64 = 1_700_000_060;

/// Token `jira-to-app-iframe` of the shared Connect JWT vectors: `GET` of the URL below,
/// `iat` 1700000000, `exp` 1700000180, signed with `SECRET` by `CLIENT_KEY`.
const IFRAME_TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI1NTcwNTg6ZjFlMmQzYzQtYjVhNi00Nzg5LTlhYmMtZGVmMDEyMzQ1Njc4IiwicXNoIjoiZjdmNzNlMmIzMWE0OWM1NDJkMDZhZDdkNWY0NjMxOTYwMjI0ODcwZmNjOWM1MTNjN2RkZjRlZjBmZjhmMjY0YyIsImlzcyI6IjBhMWIyYzNkLTRlNWYtNjc4OS1hYmNkLWVmMDEyMzQ1Njc4OSIsImNvbnRleHQiOnt9LCJleHAiOjE3MDAwMDAxODAsImlhdCI6MTcwMDAwMDAwMH0.GvStS7AyDkDAxOWwR-1HUWqR4lGIoQvHf3Rm7qL515g";
const IFRAME_PATH_AND_QUERY: &str = "/connect/ops/panel?xdm_e=https%3A%2F%2Fyour-site.atlassian.net&xdm_c=channel-ops-panel&cp=&lic=none&cv=1001.0.0";

/// Token `jira-to-app-context-jwt` of the same vectors: `qsh` = `context-qsh`, same times.
const CONTEXT_TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI1NTcwNTg6ZjFlMmQzYzQtYjVhNi00Nzg5LTlhYmMtZGVmMDEyMzQ1Njc4IiwicXNoIjoiY29udGV4dC1xc2giLCJpc3MiOiIwYTFiMmMzZC00ZTVmLTY3ODktYWJjZC1lZjAxMjM0NTY3ODkiLCJjb250ZXh0Ijp7fSwiZXhwIjoxNzAwMDAwMTgwLCJpYXQiOjE3MDAwMDAwMDB9.NU6AljkQqnCkANetl7OvbkrPtGo9n6pynGcbHHd6Rio";

fn store() -> MemoryStore {
    let store = MemoryStore::new();
    store.insert(
        CLIENT_KEY,
        Installation::new(APP_KEY, CLIENT_KEY, SECRET, SITE),
    );
    store
}

async fn who(call: VerifiedCall) -> Json<Value> {
    Json(json!({
        "clientKey": call.installation.client_key,
        "site": call.installation.base_url,
        "accountId": call.account_id,
        "context": call.context_token,
    }))
}

async fn fetch_workspaces(
    call: VerifiedCall,
    Json(body): Json<FetchWorkspacesRequest>,
) -> Json<Value> {
    Json(json!({"clientKey": call.installation.client_key, "ids": body.ids}))
}

async fn search_containers(
    call: VerifiedCall,
    axum::extract::Query(query): axum::extract::Query<SearchContainersQuery>,
) -> Json<Value> {
    Json(json!({"accountId": call.account_id, "searchQuery": query.search_query}))
}

/// The app's routes, mounted under `/connect` like the app's base URL.
fn app_at(clock_secs: u64) -> Router {
    let verifier = Verifier::new(store(), APP_BASE_URL)
        .clock(FixedClock::at(clock_secs))
        .decoded_path_fallback(true);
    let layer = ConnectAuthLayer::new(verifier);

    let jira_calls = Router::new()
        .route("/workspaces", post(fetch_workspaces))
        .route("/containers/search", get(search_containers))
        .route("/items/{id}", get(who))
        .route("/ops/panel", get(who))
        .layer(layer.clone());
    let front_end = Router::new()
        .route("/api/me", get(who))
        .layer(layer.allow_context_tokens());
    Router::new().nest("/connect", jira_calls.merge(front_end))
}

fn app() -> Router {
    app_at(NOW)
}

/// A token as Jira makes one for a call to the app.
struct JiraToken {
    iss: String,
    sub: Option<String>,
    iat: u64,
    exp: u64,
    qsh: String,
    secret: String,
    alg: Algorithm,
}

impl JiraToken {
    /// For `method` on `path_and_query` (as sent, under `/connect`).
    fn for_request(method: &str, path_and_query: &str) -> Self {
        let (path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (path_and_query, None),
        };
        Self {
            iss: CLIENT_KEY.into(),
            sub: Some(ACCOUNT.into()),
            iat: NOW - 60,
            exp: NOW + 120,
            qsh: CanonicalRequest::new(method, path, query, "/connect").qsh(),
            secret: SECRET.into(),
            alg: Algorithm::HS256,
        }
    }

    fn encode(&self) -> String {
        let mut claims = json!({
            "iss": self.iss,
            "iat": self.iat,
            "exp": self.exp,
            "qsh": self.qsh,
            "context": {},
        });
        if let Some(sub) = &self.sub {
            claims["sub"] = json!(sub);
        }
        jsonwebtoken::encode(
            &Header::new(self.alg),
            &claims,
            &EncodingKey::from_secret(self.secret.as_bytes()).unwrap(),
        )
        .unwrap()
    }
}

fn with_header(method: &str, uri: &str, token: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(AUTHORIZATION, format!("JWT {token}"))
        .body(Body::empty())
        .unwrap()
}

async fn send(app: Router, request: Request<Body>) -> (StatusCode, Option<Refusal>, Value) {
    let response = app.oneshot(request).await.unwrap();
    let status = response.status();
    let refusal = response.extensions().get::<Refusal>().cloned();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, refusal, body)
}

async fn refusal_of(request: Request<Body>) -> Refusal {
    let (status, refusal, body) = send(app(), request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "body: {body}");
    refusal.expect("a 401 from the layer carries its reason")
}

#[tokio::test]
async fn should_pass_a_post_signed_like_jira_to_the_handler_with_installation_and_account() {
    let token = JiraToken::for_request("POST", "/connect/workspaces").encode();
    let request = Request::builder()
        .method("POST")
        .uri("/connect/workspaces")
        .header(AUTHORIZATION, format!("JWT {token}"))
        .header("content-type", "application/json")
        .body(Body::from(r#"{"ids":["ws-1","ws-2"]}"#))
        .unwrap();

    let (status, _, body) = send(app(), request).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"clientKey": CLIENT_KEY, "ids": ["ws-1", "ws-2"]})
    );
}

#[tokio::test]
async fn should_take_the_token_from_the_jwt_query_parameter_and_leave_it_out_of_the_qsh() {
    let token =
        JiraToken::for_request("GET", "/connect/containers/search?searchQuery=cart%20api").encode();
    let uri = format!("/connect/containers/search?searchQuery=cart%20api&jwt={token}");

    let request = Request::builder().uri(uri).body(Body::empty()).unwrap();
    let (status, _, body) = send(app(), request).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"accountId": ACCOUNT, "searchQuery": "cart api"})
    );
}

#[tokio::test]
async fn should_report_no_account_when_the_token_has_no_sub() {
    let mut token = JiraToken::for_request("GET", "/connect/ops/panel");
    token.sub = None;

    let (status, _, body) = send(
        app(),
        with_header("GET", "/connect/ops/panel", &token.encode()),
    )
    .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accountId"], Value::Null);
    assert_eq!(body["site"], SITE);
}

#[tokio::test]
async fn should_accept_a_qsh_over_the_decoded_path_as_jira_computes_it() {
    let mut token = JiraToken::for_request("GET", "/connect/items/abc%2Fdef");
    token.qsh = CanonicalRequest::new("GET", "/items/abc/def", None, "").qsh();

    let (status, _, body) = send(
        app(),
        with_header("GET", "/connect/items/abc%2Fdef", &token.encode()),
    )
    .await;

    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn should_accept_a_qsh_over_the_raw_path_too() {
    let token = JiraToken::for_request("GET", "/connect/items/abc%2Fdef").encode();

    let (status, _, body) = send(
        app(),
        with_header("GET", "/connect/items/abc%2Fdef", &token),
    )
    .await;

    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn should_accept_a_path_a_proxy_has_already_stripped_of_the_base_path() {
    let verifier = Verifier::new(store(), APP_BASE_URL).clock(FixedClock::at(NOW));
    let app = Router::new()
        .route("/ops/panel", get(who))
        .layer(ConnectAuthLayer::new(verifier));
    let token = JiraToken::for_request("GET", "/connect/ops/panel").encode();

    let (status, _, body) = send(app, with_header("GET", "/ops/panel", &token)).await;

    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn should_refuse_a_qsh_that_keeps_the_base_path() {
    let mut token = JiraToken::for_request("GET", "/connect/ops/panel");
    token.qsh = CanonicalRequest::new("GET", "/connect/ops/panel", None, "").qsh();

    let refusal = refusal_of(with_header("GET", "/connect/ops/panel", &token.encode())).await;

    assert_eq!(refusal, Refusal::Token(Rejection::WrongQsh));
}

#[tokio::test]
async fn should_refuse_a_token_signed_for_another_request() {
    let token =
        JiraToken::for_request("GET", "/connect/containers/search?searchQuery=cart").encode();

    let request = with_header(
        "GET",
        "/connect/containers/search?searchQuery=payments",
        &token,
    );
    let refusal = refusal_of(request).await;

    assert_eq!(refusal, Refusal::Token(Rejection::WrongQsh));
}

#[tokio::test]
async fn should_refuse_a_token_signed_for_another_method() {
    let token = JiraToken::for_request("GET", "/connect/workspaces").encode();

    let refusal = refusal_of(with_header("POST", "/connect/workspaces", &token)).await;

    assert_eq!(refusal, Refusal::Token(Rejection::WrongQsh));
}

#[tokio::test]
async fn should_refuse_a_token_whose_payload_was_tampered_with() {
    let token = JiraToken::for_request("GET", "/connect/ops/panel").encode();
    let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
    let forged = JiraToken {
        sub: Some("557058:someone-else".into()),
        ..JiraToken::for_request("GET", "/connect/ops/panel")
    }
    .encode();
    parts[1] = forged.split('.').nth(1).unwrap().to_string();
    let tampered = parts.join(".");

    let refusal = refusal_of(with_header("GET", "/connect/ops/panel", &tampered)).await;

    assert_eq!(refusal, Refusal::Token(Rejection::BadSignature));
}

#[tokio::test]
async fn should_refuse_a_token_signed_with_another_secret() {
    let mut token = JiraToken::for_request("GET", "/connect/ops/panel");
    token.secret = "not-the-shared-secret".into();

    let refusal = refusal_of(with_header("GET", "/connect/ops/panel", &token.encode())).await;

    assert_eq!(refusal, Refusal::Token(Rejection::BadSignature));
}

#[tokio::test]
async fn should_refuse_an_expired_token() {
    let mut token = JiraToken::for_request("GET", "/connect/ops/panel");
    token.iat = NOW - 300;
    token.exp = NOW - 31;

    let refusal = refusal_of(with_header("GET", "/connect/ops/panel", &token.encode())).await;

    assert_eq!(refusal, Refusal::Token(Rejection::Expired));
}

#[tokio::test]
async fn should_accept_a_token_expired_within_the_leeway() {
    let mut token = JiraToken::for_request("GET", "/connect/ops/panel");
    token.iat = NOW - 300;
    token.exp = NOW - 30;

    let (status, _, body) = send(
        app(),
        with_header("GET", "/connect/ops/panel", &token.encode()),
    )
    .await;

    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn should_refuse_an_unknown_issuer() {
    let mut token = JiraToken::for_request("GET", "/connect/ops/panel");
    token.iss = "another-site-client-key".into();

    let refusal = refusal_of(with_header("GET", "/connect/ops/panel", &token.encode())).await;

    assert_eq!(
        refusal,
        Refusal::Token(Rejection::UnknownIssuer("another-site-client-key".into()))
    );
}

#[tokio::test]
async fn should_refuse_the_app_key_as_issuer() {
    let mut token = JiraToken::for_request("GET", "/connect/ops/panel");
    token.iss = APP_KEY.into();

    let refusal = refusal_of(with_header("GET", "/connect/ops/panel", &token.encode())).await;

    assert_eq!(
        refusal,
        Refusal::Token(Rejection::UnknownIssuer(APP_KEY.into()))
    );
}

#[tokio::test]
async fn should_refuse_hs512_even_with_the_right_secret() {
    let mut token = JiraToken::for_request("GET", "/connect/ops/panel");
    token.alg = Algorithm::HS512;

    let refusal = refusal_of(with_header("GET", "/connect/ops/panel", &token.encode())).await;

    assert_eq!(
        refusal,
        Refusal::Token(Rejection::Algorithm("HS512".into()))
    );
}

#[tokio::test]
async fn should_refuse_a_request_without_a_token() {
    let request = Request::builder()
        .uri("/connect/ops/panel")
        .body(Body::empty())
        .unwrap();

    assert_eq!(
        refusal_of(request).await,
        Refusal::Token(Rejection::Missing)
    );
}

#[tokio::test]
async fn should_refuse_another_authorization_scheme() {
    let token = JiraToken::for_request("GET", "/connect/ops/panel").encode();
    let request = Request::builder()
        .uri("/connect/ops/panel")
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();

    assert_eq!(
        refusal_of(request).await,
        Refusal::Token(Rejection::WrongScheme)
    );
}

#[tokio::test]
async fn should_refuse_a_token_in_both_the_header_and_the_query() {
    let token = JiraToken::for_request("GET", "/connect/ops/panel").encode();

    let request = with_header("GET", &format!("/connect/ops/panel?jwt={token}"), &token);

    assert_eq!(refusal_of(request).await, Refusal::Ambiguous);
}

#[tokio::test]
async fn should_refuse_two_jwt_query_parameters() {
    let token = JiraToken::for_request("GET", "/connect/ops/panel").encode();
    let uri = format!("/connect/ops/panel?jwt={token}&jwt={token}");

    let request = Request::builder().uri(uri).body(Body::empty()).unwrap();

    assert_eq!(refusal_of(request).await, Refusal::Ambiguous);
}

#[tokio::test]
async fn should_refuse_a_context_token_on_a_route_that_does_not_opt_in() {
    let mut token = JiraToken::for_request("POST", "/connect/workspaces");
    token.qsh = "context-qsh".into();

    let refusal = refusal_of(with_header("POST", "/connect/workspaces", &token.encode())).await;

    assert_eq!(refusal, Refusal::Token(Rejection::ContextToken));
}

#[tokio::test]
async fn should_accept_a_context_token_on_an_opt_in_route_and_say_so() {
    let mut token = JiraToken::for_request("GET", "/connect/api/me");
    token.qsh = "context-qsh".into();

    let (status, _, body) = send(
        app(),
        with_header("GET", "/connect/api/me", &token.encode()),
    )
    .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["context"], true);
    assert_eq!(body["accountId"], ACCOUNT);
}

#[tokio::test]
async fn should_still_accept_normal_tokens_on_an_opt_in_route() {
    let token = JiraToken::for_request("GET", "/connect/api/me").encode();

    let (status, _, body) = send(app(), with_header("GET", "/connect/api/me", &token)).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["context"], false);
}

#[tokio::test]
async fn should_accept_the_iframe_vector_in_the_query_at_its_verify_time() {
    let uri = format!("{IFRAME_PATH_AND_QUERY}&jwt={IFRAME_TOKEN}");

    let request = Request::builder().uri(uri).body(Body::empty()).unwrap();
    let (status, _, body) = send(app_at(1_700_000_060), request).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"clientKey": CLIENT_KEY, "site": SITE, "accountId": ACCOUNT, "context": false})
    );
}

#[tokio::test]
async fn should_refuse_the_iframe_vector_once_expired_beyond_the_leeway() {
    let uri = format!("{IFRAME_PATH_AND_QUERY}&jwt={IFRAME_TOKEN}");

    let request = Request::builder().uri(uri).body(Body::empty()).unwrap();
    let (status, refusal, _) = send(app_at(1_700_000_211), request).await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(refusal, Some(Refusal::Token(Rejection::Expired)));
}

#[tokio::test]
async fn should_refuse_the_iframe_vector_with_one_query_value_changed() {
    let uri = format!(
        "{}&jwt={IFRAME_TOKEN}",
        IFRAME_PATH_AND_QUERY.replace("lic=none", "lic=active")
    );

    let request = Request::builder().uri(uri).body(Body::empty()).unwrap();

    assert_eq!(
        refusal_of(request).await,
        Refusal::Token(Rejection::WrongQsh)
    );
}

#[tokio::test]
async fn should_accept_the_context_vector_on_the_opt_in_route() {
    let request = with_header("GET", "/connect/api/me", CONTEXT_TOKEN);

    let (status, _, body) = send(app_at(1_700_000_060), request).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"clientKey": CLIENT_KEY, "site": SITE, "accountId": ACCOUNT, "context": true})
    );
}

#[tokio::test]
async fn should_refuse_the_context_vector_on_a_route_for_jira_calls() {
    let request = with_header("GET", "/connect/ops/panel", CONTEXT_TOKEN);

    assert_eq!(
        refusal_of(request).await,
        Refusal::Token(Rejection::ContextToken)
    );
}

#[tokio::test]
async fn should_answer_401_with_a_body_that_names_no_detail() {
    let request = with_header("GET", "/connect/ops/panel", CONTEXT_TOKEN);

    let (status, _, body) = send(app(), request).await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, "the request's Connect JWT is missing or not valid");
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn should_log_the_reason_and_path_of_a_refusal_but_never_the_token() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut token = JiraToken::for_request("GET", "/connect/ops/panel");
    token.exp = NOW - 100;
    let token = token.encode();

    let uri = format!("/connect/ops/panel?cv=1&jwt={token}");
    let request = Request::builder().uri(uri).body(Body::empty()).unwrap();
    let (status, _, _) = send(app(), request).await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("refused a call to the app"), "{logs}");
    assert!(logs.contains("reason=the token has expired"), "{logs}");
    assert!(logs.contains("url.path=\"/connect/ops/panel\""), "{logs}");
    assert!(!logs.contains(&token), "the token was logged: {logs}");
    assert!(!logs.contains(token.split('.').nth(2).unwrap()), "{logs}");
    assert!(!logs.contains("jwt="), "the query was logged: {logs}");
}

#[tokio::test]
async fn should_answer_500_when_a_handler_takes_a_verified_call_without_the_layer() {
    let app = Router::new().route("/unprotected", get(who));

    let request = Request::builder()
        .uri("/unprotected")
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(app, request).await;

    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        body,
        "this route takes a VerifiedCall but is not behind ConnectAuthLayer"
    );
}

#[tokio::test]
async fn should_mount_routes_at_the_path_of_the_base_url() {
    let routes = Router::new().route("/installed", post(|| async { "mounted" }));

    let app = at_base_path("https://app.example.com/connect/", routes);

    let at_path = Request::builder()
        .method("POST")
        .uri("/connect/installed")
        .body(Body::empty());
    let (status, _, body) = send(app.clone(), at_path.unwrap()).await;
    assert_eq!((status, body), (StatusCode::OK, json!("mounted")));
    let at_root = Request::builder()
        .method("POST")
        .uri("/installed")
        .body(Body::empty());
    let (status, _, _) = send(app, at_root.unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn should_leave_routes_at_the_root_for_a_base_url_without_a_path() {
    let routes = Router::new().route("/installed", post(|| async { "root" }));

    let app = at_base_path("https://app.example.com", routes);

    let request = Request::builder()
        .method("POST")
        .uri("/installed")
        .body(Body::empty());
    let (status, _, body) = send(app, request.unwrap()).await;
    assert_eq!((status, body), (StatusCode::OK, json!("root")));
}

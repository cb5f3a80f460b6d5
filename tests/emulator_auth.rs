//! The emulator authenticates like Jira: 401 for every token problem, 403 for a missing module
//! or scope, no body either way, and the reason logged but never the token.

#![cfg(feature = "emulator")]

mod emulator_support;

use emulator_support::{Raw, assert_no_body, incident};
use jira_operations::auth::{FixedClock, Signer};
use jira_operations::emulator::{AppConfig, Emulator, EmulatorConfig, Scope};
use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::json;

const NOW: u64 = 1_700_000_000;
const WORKSPACES: &str = "/rest/operations/1.0/linkedWorkspaces";

async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default()).await.unwrap()
}

fn with_header(raw: &Raw, path: &str, value: &str) -> reqwest::Request {
    let mut request = Raw {
        signer: None,
        ..raw.clone()
    }
    .request(Method::GET, path, None);
    request
        .headers_mut()
        .insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
    request
}

#[tokio::test]
async fn a_signed_request_passes() {
    let emu = emulator().await;
    let reply = Raw::new(&emu).get(WORKSPACES).await;
    // Authenticated; nothing linked yet.
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_no_body(&reply);
}

#[tokio::test]
async fn missing_authorization_is_401_without_body() {
    let emu = emulator().await;
    let reply = Raw::unsigned(&emu).get(WORKSPACES).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_no_body(&reply);
}

#[tokio::test]
async fn other_schemes_and_empty_tokens_are_401() {
    let emu = emulator().await;
    let raw = Raw::new(&emu);
    let token = raw
        .signer
        .as_ref()
        .unwrap()
        .token("GET", WORKSPACES, None)
        .unwrap();
    for header in [
        format!("Bearer {token}"),
        format!("jwt {token}"),
        format!("JWT token={token}"),
        "Basic dXNlcjpwYXNz".to_string(),
        "JWT ".to_string(),
    ] {
        let reply = raw.send(with_header(&raw, WORKSPACES, &header)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{header:.12}");
        assert_no_body(&reply);
    }
    // The same token in the right form passes.
    let reply = raw
        .send(with_header(&raw, WORKSPACES, &format!("JWT {token}")))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_token_in_the_query_instead_of_the_header_is_401() {
    let emu = emulator().await;
    let raw = Raw::new(&emu);
    // `jwt` is left out of the qsh, so this token is right for the URL; only its place is wrong.
    let token = raw
        .signer
        .as_ref()
        .unwrap()
        .token("GET", WORKSPACES, None)
        .unwrap();
    let reply = Raw::unsigned(&emu)
        .get(&format!("{WORKSPACES}?jwt={token}"))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_no_body(&reply);
}

#[tokio::test]
async fn a_wrong_secret_is_401() {
    let emu = emulator().await;
    let mut forged = emu.installation();
    forged.shared_secret = "not-the-secret".into();
    let reply = Raw::with_installation(&emu, &forged).get(WORKSPACES).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_no_body(&reply);
}

#[tokio::test]
async fn an_unknown_issuer_is_401_even_with_the_right_secret() {
    let emu = emulator().await;
    let mut stranger = emu.installation();
    stranger.key = "com.example.not-installed".into();
    let reply = Raw::with_installation(&emu, &stranger)
        .get(WORKSPACES)
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);

    // Signing with the client key as `iss` is the classic mistake: also 401.
    let mut client_key_as_issuer = emu.installation();
    client_key_as_issuer.key = client_key_as_issuer.client_key.clone();
    let reply = Raw::with_installation(&emu, &client_key_as_issuer)
        .get(WORKSPACES)
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_no_body(&reply);
}

#[tokio::test]
async fn expiry_is_checked_on_the_configured_clock_with_30_s_leeway() {
    let clock = FixedClock::at(NOW);
    let emu = Emulator::start(EmulatorConfig::default().with_clock(clock))
        .await
        .unwrap();
    let signed_at = |iat: u64| {
        let mut raw = Raw::new(&emu);
        raw.signer = Some(Signer::new(&emu.installation(), FixedClock::at(iat)).unwrap());
        raw
    };

    // exp = iat + 180. At NOW, a token whose exp is 30 s past is still accepted...
    let reply = signed_at(NOW - 210).get(WORKSPACES).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    // ...one second more is not.
    let reply = signed_at(NOW - 211).get(WORKSPACES).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_no_body(&reply);
    let reply = signed_at(NOW - 3600).get(WORKSPACES).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_token_for_another_request_is_401() {
    let emu = emulator().await;
    let raw = Raw::new(&emu);

    // Signed for another path.
    let mut request = raw.request(Method::GET, "/rest/operations/1.0/incidents/OTHER", None);
    *request.url_mut() = format!("{}/rest/operations/1.0/incidents/INC-1", emu.base_url())
        .parse()
        .unwrap();
    let reply = raw.send(request).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_no_body(&reply);

    // Signed without the query (a classic qsh bug).
    let mut request = raw.request(Method::GET, WORKSPACES, None);
    request.url_mut().set_query(Some("workspaceId=111-222-333"));
    let reply = raw.send(request).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);

    // Signed for another method.
    let mut request = raw.request(Method::GET, "/rest/operations/1.0/incidents/INC-1", None);
    *request.method_mut() = Method::DELETE;
    let reply = raw.send(request).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_qsh_covers_the_raw_path_without_a_decoded_fallback() {
    let emu = emulator().await;
    let raw = Raw::new(&emu);
    let path = "/rest/operations/1.0/incidents/INC%201";

    let reply = raw.get(path).await;
    assert_eq!(
        reply.status,
        StatusCode::NOT_FOUND,
        "raw-path qsh must pass"
    );

    let decoded_qsh_token = raw
        .signer
        .as_ref()
        .unwrap()
        .token("GET", "/rest/operations/1.0/incidents/INC 1", None)
        .unwrap();
    let reply = raw
        .send(with_header(&raw, path, &format!("JWT {decoded_qsh_token}")))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_no_body(&reply);
}

#[tokio::test]
async fn a_context_token_is_401() {
    let emu = emulator().await;
    let installation = emu.installation();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"iss": installation.key, "iat": now, "exp": now + 180, "qsh": "context-qsh"}),
        &jsonwebtoken::EncodingKey::from_secret(installation.shared_secret.as_bytes()).unwrap(),
    )
    .unwrap();
    let raw = Raw::new(&emu);
    let reply = raw
        .send(with_header(&raw, WORKSPACES, &format!("JWT {token}")))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_no_body(&reply);
}

#[tokio::test]
async fn an_hs512_token_signed_with_the_right_secret_is_401() {
    let emu = emulator().await;
    let installation = emu.installation();
    let qsh = jira_operations::auth::CanonicalRequest::new("GET", WORKSPACES, None, "").qsh();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512),
        &json!({"iss": installation.key, "iat": now, "exp": now + 180, "qsh": qsh}),
        &jsonwebtoken::EncodingKey::from_secret(installation.shared_secret.as_bytes()).unwrap(),
    )
    .unwrap();
    let raw = Raw::new(&emu);
    let reply = raw
        .send(with_header(&raw, WORKSPACES, &format!("JWT {token}")))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

fn app(key: &str, scopes: &[Scope]) -> AppConfig {
    AppConfig::new(key).with_scopes(scopes.iter().copied())
}

async fn as_app(emu: &Emulator, key: &str) -> Raw {
    Raw::with_installation(emu, &emu.installation_for(key).unwrap())
}

#[tokio::test]
async fn an_app_without_the_operations_module_is_403_everywhere() {
    let emu = Emulator::start(
        EmulatorConfig::default().with_apps([AppConfig::new("com.example.no-module")
            .with_scopes([Scope::Admin])
            .with_operations_module(false)]),
    )
    .await
    .unwrap();
    let raw = Raw::new(&emu);
    for reply in [
        raw.get(WORKSPACES).await,
        raw.submit(&json!({"incidents": [incident("INC-1")]})).await,
        raw.delete("/rest/operations/1.0/incidents/INC-1").await,
    ] {
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert_no_body(&reply);
    }
    assert_eq!(emu.state().incidents, 0);
}

#[tokio::test]
async fn scopes_follow_the_connect_hierarchy() {
    let emu = Emulator::start(EmulatorConfig::default().with_apps([
        app("com.example.reader", &[Scope::Read]),
        app("com.example.writer", &[Scope::Write]),
        app("com.example.deleter", &[Scope::Delete]),
        app("com.example.project-admin", &[Scope::ProjectAdmin]),
        app("com.example.admin", &[Scope::Admin]),
    ]))
    .await
    .unwrap();
    let get = "/rest/operations/1.0/incidents/INC-1";
    let body = json!({"incidents": [incident("INC-1")]});

    // (app, POST, then GET, then DELETE): a reader cannot store, so its GET finds nothing.
    let expected = [
        ("com.example.reader", 403, 404, 403),
        ("com.example.writer", 202, 200, 403),
        ("com.example.deleter", 202, 200, 202),
        ("com.example.project-admin", 202, 200, 202),
        ("com.example.admin", 202, 200, 202),
    ];
    for (key, post_status, get_status, delete_status) in expected {
        let raw = as_app(&emu, key).await;
        let post = raw.submit(&body).await;
        assert_eq!(post.status.as_u16(), post_status, "{key} POST");
        let read = raw.get(get).await;
        assert_eq!(read.status.as_u16(), get_status, "{key} GET");
        let delete = raw.delete(get).await;
        assert_eq!(delete.status.as_u16(), delete_status, "{key} DELETE");
        for reply in [&post, &delete] {
            if reply.status == StatusCode::FORBIDDEN {
                assert_no_body(reply);
            }
        }
        // Leave nothing behind for the next app.
        emu.reset();
    }
}

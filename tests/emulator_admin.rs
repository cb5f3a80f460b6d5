//! The admin view, routing outside the nine operations, and the emulator's lifecycle.

#![cfg(feature = "emulator")]

mod emulator_support;

use std::time::Duration;

use emulator_support::{Raw, assert_no_body, incident, review};
use jira_operations::emulator::{
    DEFAULT_APP_KEY, Emulator, EmulatorConfig, EmulatorState, StoredIds,
};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn seeded() -> (Emulator, Raw) {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let raw = Raw::new(&emu);
    raw.submit(
        &json!({"incidents": [incident("INC-2"), incident("INC-1")], "reviews": [review("PIR-1")]}),
    )
    .await;
    raw.post(
        "/rest/operations/1.0/linkedWorkspaces/bulk",
        &json!({"workspaceIds": ["w-1"]}),
    )
    .await;
    Raw::unsigned(&emu)
        .get("/rest/operations/1.0/linkedWorkspaces")
        .await;
    (emu, raw)
}

#[tokio::test]
async fn admin_state_reports_counts_and_on_request_the_ids() {
    let (emu, _raw) = seeded().await;
    let http = reqwest::Client::new();

    let reply = http
        .get(format!("{}/__emulator/state", emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    let body: serde_json::Value = reply.json().await.unwrap();
    assert_eq!(
        body,
        json!({
            "incidents": 2,
            "reviews": 1,
            "workspaces": 1,
            "pendingOperations": 0,
            "requestsByStatus": {"202": 2, "401": 1},
            "connectionResets": 0,
            "answersLost": 0,
            "faultSeed": null
        })
    );

    let with_ids: EmulatorState = http
        .get(format!("{}/__emulator/state?ids=true", emu.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut expected = StoredIds::default();
    expected.incidents = vec!["INC-1".into(), "INC-2".into()];
    expected.reviews = vec!["PIR-1".into()];
    expected.workspaces = vec!["w-1".into()];
    assert_eq!(with_ids.ids, Some(expected));
    assert_eq!(with_ids, emu.state_with_ids());
}

#[tokio::test]
async fn admin_reset_clears_data_and_counters() {
    let (emu, raw) = seeded().await;
    let reply = reqwest::Client::new()
        .post(format!("{}/__emulator/reset", emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::NO_CONTENT);

    let state = emu.state();
    assert_eq!(
        (state.incidents, state.reviews, state.workspaces),
        (0, 0, 0)
    );
    assert!(state.requests_by_status.is_empty());
    assert_eq!(
        raw.get("/rest/operations/1.0/incidents/INC-1").await.status,
        StatusCode::NOT_FOUND
    );

    // The same from Rust; credentials survive a reset.
    raw.submit(&json!({"incidents": [incident("INC-1")]})).await;
    emu.reset();
    assert_eq!(emu.state().incidents, 0);
    assert_eq!(
        raw.submit(&json!({"incidents": [incident("INC-1")]}))
            .await
            .status,
        StatusCode::ACCEPTED
    );
}

#[tokio::test]
async fn admin_routes_check_their_method() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let http = reqwest::Client::new();
    let reply = http
        .get(format!("{}/__emulator/reset", emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn unknown_paths_are_404_and_wrong_methods_405_before_authentication() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let unsigned = Raw::unsigned(&emu);
    let signed = Raw::new(&emu);
    for raw in [&unsigned, &signed] {
        for path in [
            "/rest/operations/1.0/nothing",
            "/rest/operations/1.0/incidents",
            "/rest/operations/1.0/incidents/",
            "/rest/operations/1.0/incidents/a/b",
            "/rest/operations/2.0/bulk",
            "/rest/__emulator/state",
            "/",
        ] {
            let reply = raw.get(path).await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
            assert_no_body(&reply);
        }
        for (method, path) in [
            (Method::GET, "/rest/operations/1.0/bulk"),
            (Method::PUT, "/rest/operations/1.0/incidents/INC-1"),
            (Method::POST, "/rest/operations/1.0/linkedWorkspaces"),
            (Method::GET, "/rest/operations/1.0/bulkByProperties"),
        ] {
            let reply = raw.send(raw.request(method.clone(), path, None)).await;
            assert_eq!(
                reply.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
            assert_no_body(&reply);
        }
    }
}

#[tokio::test]
async fn installations_describe_what_a_client_signs_with() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let installation = emu.installation();
    assert_eq!(installation.key, DEFAULT_APP_KEY);
    assert_eq!(installation.base_url, emu.base_url());
    assert!(emu.base_url().starts_with("http://127.0.0.1:"));
    assert!(!emu.base_url().ends_with('/'));
    assert_eq!(emu.installations(), vec![installation.clone()]);
    assert_eq!(
        emu.installation_for(DEFAULT_APP_KEY),
        Some(installation.clone())
    );
    assert_eq!(emu.installation_for("com.example.other"), None);
    assert!(!format!("{emu:?}").contains(&installation.shared_secret));
}

#[tokio::test]
async fn fixed_credentials_are_honoured_and_emulators_are_independent() {
    use jira_operations::emulator::AppConfig;
    let fixed = AppConfig::default()
        .with_client_key("client-1")
        .with_shared_secret("fixed-secret-for-tests");
    let a = Emulator::start(EmulatorConfig::default().with_apps([fixed.clone()]))
        .await
        .unwrap();
    let b = Emulator::start(EmulatorConfig::default()).await.unwrap();
    assert_eq!(a.installation().shared_secret, "fixed-secret-for-tests");
    assert_eq!(a.installation().client_key, "client-1");
    assert_ne!(a.base_url(), b.base_url());

    // Same app key, other secret: a's token is refused by b.
    let mut signed_for_a = Raw::new(&a);
    signed_for_a.base_url = b.base_url();
    let reply = signed_for_a
        .get("/rest/operations/1.0/linkedWorkspaces")
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

async fn refuses_connections(addr: std::net::SocketAddr) -> bool {
    // The listener closes once the server task has seen the signal; give it a few turns.
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

#[tokio::test]
async fn shutdown_stops_listening() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let addr = emu.local_addr();
    let raw = Raw::new(&emu);
    assert_eq!(
        raw.get("/rest/operations/1.0/linkedWorkspaces")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    emu.shutdown().await;
    assert!(refuses_connections(addr).await);
}

#[tokio::test]
async fn dropping_the_emulator_stops_it() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let addr = emu.local_addr();
    drop(emu);
    assert!(refuses_connections(addr).await);
}

#[tokio::test]
async fn an_invalid_configuration_is_refused_at_start() {
    let error = Emulator::start(EmulatorConfig::default().with_apps([]))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid emulator configuration: at least one app must be installed"
    );
    let taken = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let error = Emulator::start(EmulatorConfig::default().with_bind(taken.local_addr()))
        .await
        .unwrap_err();
    assert!(
        error.to_string().starts_with("cannot listen on 127.0.0.1:"),
        "{error}"
    );
}

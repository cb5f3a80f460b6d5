//! Faults on demand: reproducible with a seed, each kind observable, decided before the
//! request is processed, and never applied to the admin routes.

#![cfg(feature = "emulator")]

mod emulator_support;

use std::time::Duration;

use emulator_support::{Raw, assert_no_body, incident};
use jira_operations::auth::FixedClock;
use jira_operations::emulator::{Emulator, EmulatorConfig, Faults};
use reqwest::header::RETRY_AFTER;
use reqwest::{Method, StatusCode};
use serde_json::json;

const WORKSPACES: &str = "/rest/operations/1.0/linkedWorkspaces";

async fn with_faults(spec: &str) -> (Emulator, Raw) {
    let faults: Faults = spec.parse().unwrap();
    let emu = Emulator::start(EmulatorConfig::default().with_faults(faults))
        .await
        .unwrap();
    let raw = Raw::new(&emu);
    (emu, raw)
}

/// Whether the request failed because the connection closed before a complete response:
/// hyper's "incomplete message", or the socket reset under it.
fn connection_dropped(error: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(hyper) = current.downcast_ref::<hyper::Error>()
            && hyper.is_incomplete_message()
        {
            return true;
        }
        if let Some(io) = current.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
            )
        {
            return true;
        }
        source = current.source();
    }
    false
}

/// What one request saw: a status code, or `reset` for a transport error.
async fn outcome(raw: &Raw) -> String {
    let request = raw.request(Method::GET, WORKSPACES, None);
    match raw.http.execute(request).await {
        Ok(response) => response.status().as_u16().to_string(),
        Err(error) => {
            assert!(connection_dropped(&error), "{error:?}");
            "reset".to_string()
        }
    }
}

async fn outcomes(raw: &Raw, n: usize) -> Vec<String> {
    let mut seen = Vec::with_capacity(n);
    for _ in 0..n {
        seen.push(outcome(raw).await);
    }
    seen
}

#[tokio::test]
async fn the_same_seed_gives_the_same_sequence_of_faults() {
    let spec = "429=25%,503=25%,reset=20%,seed=42";
    let (first_emu, first) = with_faults(spec).await;
    let (_second_emu, second) = with_faults(spec).await;

    let a = outcomes(&first, 80).await;
    let b = outcomes(&second, 80).await;
    assert_eq!(a, b);
    for kind in ["404", "429", "503", "reset"] {
        assert!(a.iter().any(|o| o == kind), "{kind} never happened: {a:?}");
    }

    // The counters agree with what the client saw.
    let state = first_emu.state();
    let count = |kind: &str| a.iter().filter(|o| *o == kind).count() as u64;
    assert_eq!(state.connection_resets, count("reset"));
    assert_eq!(
        state.requests_by_status.get(&429).copied().unwrap_or(0),
        count("429")
    );
    assert_eq!(
        state.requests_by_status.get(&503).copied().unwrap_or(0),
        count("503")
    );
    assert_eq!(
        state.requests_by_status.get(&404).copied().unwrap_or(0),
        count("404")
    );
    assert_eq!(state.fault_seed, Some(42));

    let (_third_emu, third) = with_faults("429=25%,503=25%,reset=20%,seed=43").await;
    assert_ne!(
        outcomes(&third, 80).await,
        a,
        "another seed, another sequence"
    );
}

#[tokio::test]
async fn a_reset_is_a_transport_error_before_any_status_line_and_changes_nothing() {
    let (emu, raw) = with_faults("reset=100%").await;
    let request = raw.request(
        Method::POST,
        "/rest/operations/1.0/bulk",
        Some(&json!({"incidents": [incident("INC-1")]})),
    );
    let error = raw
        .http
        .execute(request)
        .await
        .expect_err("a reset must not produce a response");
    assert!(connection_dropped(&error), "{error:?}");

    let state = emu.state();
    assert_eq!(state.connection_resets, 1);
    assert_eq!(state.incidents, 0);
    assert!(state.requests_by_status.is_empty());
}

#[tokio::test]
async fn a_reset_after_processing_applies_the_change_and_loses_the_answer() {
    let (emu, raw) = with_faults("reset-after=100%").await;
    let request = raw.request(
        Method::POST,
        "/rest/operations/1.0/bulk",
        Some(&json!({"incidents": [incident("INC-1")]})),
    );
    let error = raw
        .http
        .execute(request)
        .await
        .expect_err("the answer must be lost");
    assert!(connection_dropped(&error), "{error:?}");

    let state = emu.state();
    assert_eq!(state.incidents, 1, "the submit was applied");
    assert_eq!(state.connection_resets, 1);
    assert_eq!(state.answers_lost, 1);
    assert!(state.requests_by_status.is_empty());
}

#[tokio::test]
async fn faults_replaced_while_running_apply_from_the_next_request() {
    let (emu, raw) = with_faults("reset=100%,seed=5").await;
    assert_eq!(outcome(&raw).await, "reset");

    emu.set_faults(Faults::none()).unwrap();
    assert_eq!(outcome(&raw).await, "404");
    assert_eq!(emu.state().fault_seed, None);

    emu.set_faults("503=100%,seed=6".parse().unwrap()).unwrap();
    assert_eq!(outcome(&raw).await, "503");
    assert_eq!(emu.state().fault_seed, Some(6));

    let invalid = Faults::none().with_reset(0.8).with_unavailable(0.8);
    assert!(emu.set_faults(invalid).is_err());
    assert_eq!(outcome(&raw).await, "503", "a refused spec changes nothing");
}

#[tokio::test]
async fn a_429_carries_retry_after_and_rate_limit_headers_and_changes_nothing() {
    let faults: Faults = "429=100%,retry-after=0".parse().unwrap();
    let emu = Emulator::start(
        EmulatorConfig::default()
            .with_faults(faults)
            .with_clock(FixedClock::at(1_700_000_000)),
    )
    .await
    .unwrap();
    let raw = Raw::new(&emu);
    // Tokens are checked on the emulator's clock; a faulted request is never checked at all.
    let reply = raw.submit(&json!({"incidents": [incident("INC-1")]})).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_no_body(&reply);
    assert_eq!(reply.headers[RETRY_AFTER], "0");
    assert_eq!(reply.headers["x-ratelimit-limit"], "100");
    assert_eq!(reply.headers["x-ratelimit-remaining"], "0");
    assert_eq!(reply.headers["x-ratelimit-reset"], "2023-11-14T22:13:20Z");
    assert_eq!(emu.state().incidents, 0);

    let (_emu, raw) = with_faults("429=100%,retry-after=7").await;
    let reply = raw.get(WORKSPACES).await;
    assert_eq!(reply.headers[RETRY_AFTER], "7");
}

#[tokio::test]
async fn a_503_has_no_body_and_changes_nothing() {
    let (emu, raw) = with_faults("503=100%").await;
    let reply = raw.submit(&json!({"incidents": [incident("INC-1")]})).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_no_body(&reply);
    assert_eq!(emu.state().incidents, 0);
    assert_eq!(emu.state().requests_by_status.get(&503), Some(&1));
}

#[tokio::test(start_paused = true)]
async fn latency_delays_every_api_request() {
    let (_emu, raw) = with_faults("latency=250ms").await;
    let started = tokio::time::Instant::now();
    let reply = raw.get(WORKSPACES).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(started.elapsed() >= Duration::from_millis(250));

    let (_emu, raw) = with_faults("latency=100ms..300ms,seed=1").await;
    let started = tokio::time::Instant::now();
    raw.get(WORKSPACES).await;
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(100), "{elapsed:?}");
}

#[tokio::test]
async fn admin_routes_are_never_faulted() {
    let (emu, raw) = with_faults("reset=100%").await;
    let http = reqwest::Client::new();
    let state = http
        .get(format!("{}/__emulator/state", emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(state.status(), StatusCode::OK);
    let reset = http
        .post(format!("{}/__emulator/reset", emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);
    // The API itself is faulted.
    assert_eq!(outcome(&raw).await, "reset");
}

#[tokio::test]
async fn without_faults_nothing_is_injected() {
    let (emu, raw) = with_faults("none").await;
    let seen = outcomes(&raw, 30).await;
    assert!(seen.iter().all(|o| o == "404"), "{seen:?}");
    assert_eq!(emu.state().fault_seed, None);
    assert_eq!(emu.state().connection_resets, 0);
}

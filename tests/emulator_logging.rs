//! Refusals are logged with their reason, never with the token or the secret.
//!
//! Alone in its test binary: tracing caches per-callsite interest process-wide, so a
//! thread-local subscriber only sees every event when no other test races it.

#![cfg(feature = "emulator")]

mod emulator_support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use emulator_support::Raw;
use jira_operations::auth::Installation;
use jira_operations::emulator::{AppConfig, Emulator, EmulatorConfig, Scope};
use reqwest::Method;
use reqwest::header::AUTHORIZATION;

const WORKSPACES: &str = "/rest/operations/1.0/linkedWorkspaces";

/// A writer that collects everything logged.
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
async fn refusals_are_logged_with_their_reason_and_without_the_token() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let emu = Emulator::start(
        EmulatorConfig::default().with_apps([AppConfig::default().with_scopes([Scope::Read])]),
    )
    .await
    .unwrap();
    let mut forged: Installation = emu.installation();
    forged.shared_secret = "wrong".into();
    let forged_raw = Raw::with_installation(&emu, &forged);
    let forged_request = forged_raw.request(Method::GET, WORKSPACES, None);
    let forged_token = forged_request.headers()[AUTHORIZATION]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(forged_raw.send(forged_request).await.status, 401);

    let raw = Raw::new(&emu);
    let delete = raw.request(Method::DELETE, "/rest/operations/1.0/incidents/X", None);
    let token = delete.headers()[AUTHORIZATION]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(raw.send(delete).await.status, 403);

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("the signature does not verify"), "{logs}");
    assert!(logs.contains("lacks the scope"), "{logs}");
    for secret in [
        forged_token.trim_start_matches("JWT "),
        token.trim_start_matches("JWT "),
        emu.installation().shared_secret.as_str(),
    ] {
        assert!(!logs.contains(secret), "a token or secret was logged");
    }
}

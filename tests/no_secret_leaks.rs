//! No shared secret, token or `Authorization` value in `Debug` output or in logs.
//!
//! The `Debug` output of everything that holds a secret or a token is searched for them, and
//! signed requests with bodies are sent through the generated client while a TRACE-level
//! subscriber records every span and event into a buffer, which is then searched the same way.

use std::io;
use std::sync::{Arc, Mutex};

use httpmock::prelude::*;
use jira_operations::GeneratedClient;
use jira_operations::auth::{
    Clock, FixedClock, Incoming, Installation, MemoryStore, Signer, Verifier,
};
use jira_operations::types::{SubmitEntityRequest, SubmitWorkspacesRequest};
use serde_json::json;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

const APP_KEY: &str = "com.example.ops-app";
const SECRET: &str = "leak-canary-secret-7f3a9c2e5b1d4e6f8a0b";
const NOW: u64 = 1_700_000_000;

/// The base64url of `{"typ":"JWT","alg":"HS256"}`: the first bytes of every token we make.
const TOKEN_HEADER_B64: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9";

fn installation(base_url: &str) -> Installation {
    let mut installation = Installation::new(APP_KEY, "client-key-1", SECRET, base_url);
    installation
        .extra
        .insert("publicKey".into(), json!("not a secret, but kept"));
    installation
}

fn signer(base_url: &str) -> Signer {
    let clock: Arc<dyn Clock> = FixedClock::at(NOW);
    Signer::new(&installation(base_url), clock).expect("signer")
}

/// Fails if `text` holds the secret, a token, or an `Authorization` value.
fn assert_clean(what: &str, text: &str, tokens: &[String]) {
    assert!(
        !text.contains(SECRET),
        "{what} shows the shared secret:\n{text}"
    );
    assert!(
        !text.contains("JWT "),
        "{what} shows an Authorization value:\n{text}"
    );
    assert!(
        !text.contains(TOKEN_HEADER_B64),
        "{what} shows a token:\n{text}"
    );
    for token in tokens {
        assert!(!text.contains(token.as_str()), "{what} shows a token");
        let signature = token.rsplit('.').next().unwrap();
        assert!(
            !text.contains(signature),
            "{what} shows a token's signature"
        );
    }
}

#[test]
fn debug_output_never_shows_the_secret_or_a_token() {
    let base = "https://your-site.atlassian.net";
    let signer = signer(base);
    let token = signer
        .token("POST", "/rest/operations/1.0/bulk", None)
        .expect("token");
    let tokens = vec![token.clone()];

    let installation = installation(base);
    let debug = format!("{installation:?} {installation:#?}");
    assert_clean("Installation", &debug, &tokens);
    // Redacted, not missing: the record still says what it is.
    assert!(
        debug.contains(APP_KEY) && debug.contains("publicKey"),
        "{debug}"
    );

    assert_clean("Signer", &format!("{signer:?} {signer:#?}"), &tokens);

    let client = GeneratedClient::new(base, signer.clone());
    assert_clean(
        "GeneratedClient",
        &format!("{client:?} {client:#?}"),
        &tokens,
    );

    let store = MemoryStore::new();
    store.insert(APP_KEY, installation.clone());
    let clock: Arc<dyn Clock> = FixedClock::at(NOW);
    let verifier = Verifier::new(store.clone(), base).clock(clock);
    assert_clean("Verifier", &format!("{verifier:?} {verifier:#?}"), &tokens);
    assert_clean("MemoryStore", &format!("{store:?} {store:#?}"), &tokens);

    // What a verified request hands back.
    let authorization = format!("JWT {token}");
    let incoming = Incoming {
        method: "POST",
        path: "/rest/operations/1.0/bulk",
        query: None,
        authorization: Some(&authorization),
    };
    assert_clean("Incoming", &format!("{incoming:?} {incoming:#?}"), &tokens);
    let in_query = format!("workspaceId=1&jwt={token}");
    let from_query = Incoming {
        method: "GET",
        path: "/rest/operations/1.0/linkedWorkspaces",
        query: Some(&in_query),
        authorization: None,
    };
    let shown = format!("{from_query:?}");
    assert_clean("Incoming with a jwt parameter", &shown, &tokens);
    assert!(shown.contains("workspaceId=1&jwt=<redacted>"), "{shown}");
    let verified = verifier.verify(&incoming, false).expect("verifies");
    assert_clean("Verified", &format!("{verified:?} {verified:#?}"), &tokens);

    // A signed reqwest request: the header is marked sensitive.
    let mut request = reqwest::Client::new()
        .post(format!("{base}/rest/operations/1.0/bulk"))
        .body("{}")
        .build()
        .unwrap();
    signer.sign(&mut request).expect("sign");
    let signed = request
        .headers()
        .get(reqwest::header::AUTHORIZATION)
        .expect("signed")
        .to_str()
        .unwrap()
        .to_string();
    assert!(signed.starts_with("JWT "));
    let request_tokens = vec![signed[4..].to_string()];
    assert_clean(
        "signed reqwest::Request",
        &format!("{request:?}"),
        &request_tokens,
    );
}

/// A `MakeWriter` appending to a shared buffer.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl io::Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Buffer;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Buffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn trace_logs_of_signed_requests_show_spans_and_bodies_but_no_secret_or_token() {
    let server = MockServer::start_async().await;
    let tokens = Arc::new(Mutex::new(Vec::<String>::new()));
    let keep = tokens.clone();
    let mock = server
        .mock_async(|when, then| {
            when.is_true(move |req: &HttpMockRequest| {
                if let Some((_, value)) = req
                    .headers_vec()
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                {
                    let token = value.strip_prefix("JWT ").unwrap_or(value).to_string();
                    let mut seen = keep.lock().unwrap();
                    if !seen.contains(&token) {
                        seen.push(token);
                    }
                }
                true
            });
            then.status(202)
                .json_body(json!({"acceptedIncidents": [], "acceptedWorkspaceIds": []}));
        })
        .await;

    let buffer = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(buffer.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);

    let client = GeneratedClient::new(&server.base_url(), signer(&server.base_url()));
    let body: SubmitEntityRequest = serde_json::from_value(json!({
        "reviews": [{
            "schemaVersion": "1.0", "id": "PIR-LOGGED-1", "updateSequenceNumber": 1,
            "reviews": ["INC-1"], "summary": "s", "description": "d",
            "url": "https://ops.example/r/1", "createdDate": "2024-01-01T00:00:00Z",
            "lastUpdated": "2024-01-01T00:00:00Z", "status": "completed"
        }],
        "properties": {"accountId": "acc-1"}
    }))
    .unwrap();
    client.submit_entity(&body).await.expect("submit");
    client
        .submit_operations_workspaces(&SubmitWorkspacesRequest {
            workspace_ids: vec!["WS-LOGGED-1".into()],
        })
        .await
        .expect("workspaces");
    client
        .delete_entity_by_properties(&[("accountId", "acc-1")])
        .await
        .expect("delete");
    client.delete_incident_by_id("INC-1").await.expect("delete");
    drop(guard);

    let tokens = tokens.lock().unwrap().clone();
    assert_eq!(tokens.len(), 4, "one distinct token per request");
    mock.assert_calls_async(4).await;

    let log = buffer.text();
    // The spans are there, with what they are meant to record, and bodies at TRACE.
    assert!(log.contains("http.attempt"), "no request span:\n{log}");
    for operation in [
        "submit_entity",
        "submit_operations_workspaces",
        "delete_entity_by_property",
        "delete_incident_by_id",
    ] {
        assert!(log.contains(operation), "no span for {operation}:\n{log}");
    }
    assert!(log.contains("/rest/operations/1.0/bulk"), "{log}");
    assert!(
        log.contains("PIR-LOGGED-1"),
        "request body not traced:\n{log}"
    );
    assert!(
        log.contains("WS-LOGGED-1"),
        "request body not traced:\n{log}"
    );

    assert_clean("TRACE log", &log, &tokens);
}

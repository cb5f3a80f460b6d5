//! Shared by the integration tests: an installation, a client set up for tokio's paused clock,
//! a recorder of what reached the mock server, and a check that each request is signed.

#![allow(dead_code, unreachable_pub)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use httpmock::{HttpMockRequest, HttpMockResponse, Mock, MockServer};
use jira_operations::auth::{FixedClock, Incoming, Installation, MemoryStore, Verifier};
use jira_operations::model::*;
use jira_operations::types::{Incident, Review};
use jira_operations::{ClientBuilder, OperationsClient};

pub const APP_KEY: &str = "com.example.ops-provider";
pub const CLIENT_KEY: &str = "client-key-123";
pub const SECRET: &str = "test-shared-secret-not-real";
/// The fixed clock's reading, in seconds.
pub const NOW: u64 = 1_700_000_000;

pub fn installation(base_url: &str) -> Installation {
    Installation::new(APP_KEY, CLIENT_KEY, SECRET, base_url)
}

/// A client for `base_url` on a fixed clock, with no timer running while a request is in
/// flight (no attempt timeout, no pool idle timer), so tests can pause tokio's clock: a
/// paused clock jumps to the next timer whenever the runtime waits on the network.
pub fn builder(base_url: &str, clock: Arc<FixedClock>) -> ClientBuilder {
    OperationsClient::builder(installation(base_url))
        .clock(clock)
        .attempt_timeout(None)
        .http_client(
            OperationsClient::http_client_builder()
                .pool_idle_timeout(None)
                .build()
                .unwrap(),
        )
}

pub fn client(server: &MockServer) -> OperationsClient {
    builder(&server.base_url(), FixedClock::at(NOW))
        .build()
        .unwrap()
}

/// One request as it reached the server.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// The IDs of the incidents (or reviews) in a submit body.
    pub fn ids(&self, list: &str) -> Vec<String> {
        self.json()[list]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|i| i["id"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The `Authorization` token, checked against the installation as Jira would check it:
    /// HS256 with the shared secret, `iss` = app key, `qsh` of this very request.
    pub fn assert_signed(&self, base_url: &str, clock: Arc<FixedClock>) -> String {
        let store = MemoryStore::new();
        store.insert(APP_KEY, installation(base_url));
        let verifier = Verifier::new(store, base_url).clock(clock);
        let incoming = Incoming {
            method: &self.method,
            path: &self.path,
            query: self.query.as_deref(),
            authorization: self.header("authorization"),
        };
        let verified = verifier.verify(&incoming, false);
        assert!(
            verified.is_ok(),
            "{} {} not signed correctly: {verified:?}",
            self.method,
            self.path
        );
        self.header("authorization")
            .unwrap()
            .strip_prefix("JWT ")
            .unwrap()
            .to_string()
    }
}

/// What the mock received, in order.
#[derive(Debug, Clone, Default)]
pub struct Log(Arc<Mutex<Vec<Seen>>>);

impl Log {
    pub fn all(&self) -> Vec<Seen> {
        self.0.lock().unwrap().clone()
    }

    pub fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    pub fn record(&self, request: &HttpMockRequest) -> Seen {
        let uri = request.uri();
        let seen = Seen {
            method: request.method_str().to_string(),
            path: uri.path().to_string(),
            query: uri.query().map(str::to_string),
            headers: request.headers_vec().clone(),
            body: request.body_vec(),
        };
        self.0.lock().unwrap().push(seen.clone());
        seen
    }
}

/// A mock on `method path` answering with `answers` in turn (the last one repeats), which
/// records every request.
pub async fn scripted<'a>(
    server: &'a MockServer,
    method: httpmock::Method,
    path: &str,
    answers: Vec<HttpMockResponse>,
) -> (Mock<'a>, Log) {
    let log = Log::default();
    let queue = Arc::new(Mutex::new(VecDeque::from(answers)));
    let recorder = log.clone();
    let mock = server
        .mock_async(move |when, then| {
            when.method(method).path(path);
            then.respond_with(move |request| {
                recorder.record(request);
                let mut queue = queue.lock().unwrap();
                if queue.len() > 1 {
                    queue.pop_front().unwrap()
                } else {
                    queue.front().cloned().expect("at least one answer")
                }
            });
        })
        .await;
    (mock, log)
}

/// A mock on `method path` whose answer is computed from each request, which records every
/// request.
pub async fn responder<'a>(
    server: &'a MockServer,
    method: httpmock::Method,
    path: &str,
    answer: impl Fn(&Seen) -> HttpMockResponse + Send + Sync + 'static,
) -> (Mock<'a>, Log) {
    let log = Log::default();
    let recorder = log.clone();
    let mock = server
        .mock_async(move |when, then| {
            when.method(method).path(path);
            then.respond_with(move |request| {
                let seen = recorder.record(request);
                answer(&seen)
            });
        })
        .await;
    (mock, log)
}

pub fn status(code: u16) -> HttpMockResponse {
    HttpMockResponse::builder().status(code).build()
}

pub fn json(code: u16, body: serde_json::Value) -> HttpMockResponse {
    HttpMockResponse::builder()
        .status(code)
        .header("content-type", "application/json")
        .body(body.to_string())
        .build()
}

pub fn with_header(code: u16, name: &str, value: &str) -> HttpMockResponse {
    HttpMockResponse::builder()
        .status(code)
        .header(name, value)
        .build()
}

pub fn incident(id: &str) -> Incident {
    Incident {
        affected_components: vec!["comp-1".into()],
        associations: vec![jira_operations::types::Association {
            association_type: Some(AssociationType::IssueIdOrKeys),
            values: vec!["OPS-1".into()],
        }],
        created_date: "2024-01-15T10:00:00Z".into(),
        description: "VPN down".into(),
        id: id.into(),
        last_updated: "2024-01-15T10:05:00Z".into(),
        schema_version: SchemaVersion::V1_0,
        severity: None,
        status: IncidentStatus::Open,
        summary: "VPN down".into(),
        update_sequence_number: 1,
        url: format!("https://ops.example/incidents/{id}"),
    }
}

pub fn review(id: &str) -> Review {
    Review {
        associations: vec![],
        created_date: "2024-01-16T10:00:00Z".into(),
        description: "what happened".into(),
        id: id.into(),
        last_updated: "2024-01-16T10:00:00Z".into(),
        reviews: vec!["INC-1".into()],
        schema_version: SchemaVersion::V1_0,
        status: ReviewStatus::Completed,
        summary: "VPN outage review".into(),
        update_sequence_number: 1,
        url: format!("https://ops.example/reviews/{id}"),
    }
}

/// The JSON of an incident as the client must send it.
pub fn incident_json(id: &str) -> serde_json::Value {
    serde_json::json!({
        "affectedComponents": ["comp-1"],
        "associations": [{"associationType": "issueIdOrKeys", "values": ["OPS-1"]}],
        "createdDate": "2024-01-15T10:00:00Z",
        "description": "VPN down",
        "id": id,
        "lastUpdated": "2024-01-15T10:05:00Z",
        "schemaVersion": "1.0",
        "status": "open",
        "summary": "VPN down",
        "updateSequenceNumber": 1,
        "url": format!("https://ops.example/incidents/{id}"),
    })
}

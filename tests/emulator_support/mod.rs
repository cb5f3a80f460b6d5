//! Helpers shared by the emulator tests: valid entities and a raw, signed HTTP client that
//! shows status, headers and body exactly as received.

#![allow(dead_code)]

use std::sync::Arc;

use jira_operations::auth::{Installation, Signer, SystemClock};
use jira_operations::emulator::Emulator;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// `id` as a URL path segment.
fn encoded(id: &str) -> String {
    percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A complete, valid incident in project OPS.
pub fn incident(id: &str) -> Value {
    json!({
        "schemaVersion": "1.0",
        "id": id,
        "updateSequenceNumber": 1,
        "summary": format!("Incident {id}"),
        "description": "Checkout fails for some users.",
        "url": format!("https://ops.example/incidents/{}", encoded(id)),
        "createdDate": "2024-01-15T10:00:00Z",
        "lastUpdated": "2024-01-15T10:05:00.123Z",
        "status": "open",
        "severity": {"level": "P2"},
        "affectedComponents": ["checkout"],
        "associations": [{"associationType": "issueIdOrKeys", "values": ["OPS-1"]}]
    })
}

/// A complete, valid post-incident review.
pub fn review(id: &str) -> Value {
    json!({
        "schemaVersion": "1.0",
        "id": id,
        "updateSequenceNumber": 1,
        "summary": format!("Review {id}"),
        "description": "What happened and what we change.",
        "url": format!("https://ops.example/reviews/{}", encoded(id)),
        "createdDate": "2024-01-16T09:00:00Z",
        "lastUpdated": "2024-01-16T09:00:00Z",
        "status": "in progress",
        "reviews": ["INC-1"]
    })
}

/// What came back.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as JSON; panics with the body when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A signed raw client for one emulator.
#[derive(Clone)]
pub struct Raw {
    pub base_url: String,
    pub http: reqwest::Client,
    pub signer: Option<Signer>,
}

impl Raw {
    /// Signs as the emulator's first app, on the system clock.
    pub fn new(emu: &Emulator) -> Self {
        Self::with_installation(emu, &emu.installation())
    }

    /// Signs with `installation`.
    pub fn with_installation(emu: &Emulator, installation: &Installation) -> Self {
        Self {
            base_url: emu.base_url(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            signer: Some(Signer::new(installation, Arc::new(SystemClock)).unwrap()),
        }
    }

    /// Sends nothing in `Authorization`.
    pub fn unsigned(emu: &Emulator) -> Self {
        Self {
            signer: None,
            ..Self::new(emu)
        }
    }

    /// Builds a request for `path_and_query` (already encoded), signed when a signer is set.
    pub fn request(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&Value>,
    ) -> reqwest::Request {
        let url = format!("{}{}", self.base_url, path_and_query);
        let mut builder = self.http.request(method, url);
        if let Some(body) = body {
            builder = builder.json(body);
        }
        let mut request = builder.build().unwrap();
        if let Some(signer) = &self.signer {
            signer.sign(&mut request).unwrap();
        }
        request
    }

    /// Sends a request and reads the whole reply.
    pub async fn send(&self, request: reqwest::Request) -> Reply {
        let response = self.http.execute(request).await.expect("transport error");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.unwrap().to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path_and_query: &str) -> Reply {
        self.send(self.request(Method::GET, path_and_query, None))
            .await
    }

    pub async fn delete(&self, path_and_query: &str) -> Reply {
        self.send(self.request(Method::DELETE, path_and_query, None))
            .await
    }

    pub async fn post(&self, path_and_query: &str, body: &Value) -> Reply {
        self.send(self.request(Method::POST, path_and_query, Some(body)))
            .await
    }

    /// `POST /rest/operations/1.0/bulk`.
    pub async fn submit(&self, body: &Value) -> Reply {
        self.post("/rest/operations/1.0/bulk", body).await
    }
}

/// Asserts an empty body, showing it otherwise.
pub fn assert_no_body(reply: &Reply) {
    assert!(
        reply.body.is_empty(),
        "expected no body with {}, got {:?}",
        reply.status,
        reply.text()
    );
}

/// The messages of an `ErrorMessages` body, checking its shape.
pub fn error_messages(reply: &Reply) -> Vec<String> {
    let body = reply.json();
    let items = body
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {body}"));
    assert!(
        !items.is_empty(),
        "ErrorMessages must have at least one item"
    );
    items
        .iter()
        .map(|item| {
            let object = item.as_object().unwrap();
            assert!(
                object.keys().all(|k| k == "message" || k == "errorTraceId"),
                "{item}"
            );
            object["message"].as_str().unwrap().to_string()
        })
        .collect()
}

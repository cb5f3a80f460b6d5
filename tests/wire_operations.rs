//! The nine Operations API calls on the wire, against a mock Jira site.
//!
//! For each operation: the exact method, raw path, raw query, headers and JSON body the mock
//! received; the `Authorization` header verified by our own [`Verifier`] against that very
//! request, with a `qsh` equal to the canonical form of what arrived; and the documented
//! success body decoded. Around them: error statuses, unknown fields and enum values, path
//! parameters with reserved characters, and both branches of the submit body.

use std::sync::{Arc, Mutex};

use httpmock::prelude::*;
use jira_operations::auth::{
    CanonicalRequest, Clock, FixedClock, Incoming, Installation, MemoryStore, Signer, Verifier,
};
use jira_operations::types::{
    AssociationType, Incident, IncidentSeverity, IncidentStatus, ProviderMetadata, Review,
    ReviewStatus, SchemaVersion, SeverityLevel, SubmitEntityRequest, SubmitWorkspacesRequest,
};
use jira_operations::{GeneratedClient, GeneratedError};
use serde_json::{Value, json};

const APP_KEY: &str = "com.example.ops-app";
const CLIENT_KEY: &str = "6f1c2d3e-0000-4000-8000-00000000abcd";
const SECRET: &str = "wire-test-shared-secret-0123456789abcdef";
const NOW: u64 = 1_700_000_000;

/// A mock Jira site and a client signed for it.
struct Site {
    server: MockServer,
    client: GeneratedClient,
}

impl Site {
    async fn start() -> Self {
        let server = MockServer::start_async().await;
        let installation = Installation::new(APP_KEY, CLIENT_KEY, SECRET, server.base_url());
        let clock: Arc<dyn Clock> = FixedClock::at(NOW);
        let signer = Signer::new(&installation, clock).expect("signer");
        let client = GeneratedClient::new(&server.base_url(), signer);
        Self { server, client }
    }

    /// Jira's side of the handshake: the app's key and secret, the site's base URL.
    fn verifier(&self) -> Verifier<MemoryStore> {
        let store = MemoryStore::new();
        store.insert(
            APP_KEY,
            Installation::new(APP_KEY, CLIENT_KEY, SECRET, self.server.base_url()),
        );
        let clock: Arc<dyn Clock> = FixedClock::at(NOW + 1);
        Verifier::new(store, &self.server.base_url()).clock(clock)
    }
}

/// The last request a mock matched, as the server received it.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Option<HttpMockRequest>>>);

impl Seen {
    /// A matcher that always matches and keeps the request.
    fn keep(&self) -> impl Fn(&HttpMockRequest) -> bool + Send + Sync + 'static {
        let slot = self.0.clone();
        move |req: &HttpMockRequest| {
            *slot.lock().unwrap() = Some(req.clone());
            true
        }
    }

    fn request(&self) -> HttpMockRequest {
        self.0
            .lock()
            .unwrap()
            .clone()
            .expect("the mock received no request")
    }
}

/// Matches exactly this raw query (`None`: no `?` at all), as bytes on the wire.
fn raw_query(expected: Option<&'static str>) -> impl Fn(&HttpMockRequest) -> bool + Send + Sync {
    move |req: &HttpMockRequest| req.uri().query() == expected
}

fn header(req: &HttpMockRequest, name: &str) -> Option<String> {
    let values: Vec<&String> = req
        .headers_vec()
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .collect();
    assert!(values.len() <= 1, "`{name}` sent {} times", values.len());
    values.first().map(|v| v.to_string())
}

fn claims_of(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url payload");
    serde_json::from_slice(&bytes).expect("JSON payload")
}

/// What every request must carry, checked on `req` as received: the request line, the
/// headers we promise, and a token Jira would accept for exactly this request. Returns the
/// canonical request the token is bound to.
fn assert_signed(
    site: &Site,
    req: &HttpMockRequest,
    method: &str,
    path: &str,
    query: Option<&str>,
) -> String {
    let uri = req.uri();
    assert_eq!(req.method_str(), method, "method");
    assert_eq!(uri.path(), path, "raw path");
    assert_eq!(uri.query(), query, "raw query");

    assert_eq!(header(req, "api-version"), None, "no api-version header");
    let agent = header(req, "user-agent").expect("User-Agent");
    assert!(agent.starts_with("jira-operations/"), "User-Agent {agent}");
    assert_eq!(
        agent,
        concat!("jira-operations/", env!("CARGO_PKG_VERSION"))
    );

    let authorization = header(req, "authorization").expect("Authorization");
    let token = authorization
        .strip_prefix("JWT ")
        .unwrap_or_else(|| panic!("Authorization is not `JWT <token>`: {authorization}"));
    assert_eq!(token.split('.').count(), 3, "compact JWS");
    assert!(!token.contains(char::is_whitespace));

    let verified = site
        .verifier()
        .verify(
            &Incoming {
                method: req.method_str(),
                path: uri.path(),
                query: uri.query(),
                authorization: Some(&authorization),
            },
            false,
        )
        .unwrap_or_else(|r| panic!("Jira would refuse {method} {path}: {r}"));
    assert_eq!(verified.issuer, APP_KEY);
    assert!(!verified.context_token);

    let canonical = CanonicalRequest::new(req.method_str(), uri.path(), uri.query(), "");
    let claims = claims_of(token);
    assert_eq!(
        claims,
        json!({"iss": APP_KEY, "iat": NOW, "exp": NOW + 180, "qsh": canonical.qsh()}),
        "claims for {canonical}"
    );
    canonical.to_string()
}

fn assert_json_request(req: &HttpMockRequest, body: &Value) {
    assert_eq!(
        header(req, "content-type").as_deref(),
        Some("application/json")
    );
    let sent: Value = serde_json::from_slice(req.body_ref()).expect("JSON body");
    assert_eq!(&sent, body, "body");
}

fn assert_no_body(req: &HttpMockRequest) {
    assert!(req.body_ref().is_empty(), "unexpected body");
    assert_eq!(header(req, "content-type"), None);
}

fn incident(id: &str) -> Incident {
    Incident {
        affected_components: vec!["comp-1".into()],
        associations: vec![jira_operations::types::Association {
            association_type: Some(AssociationType::IssueIdOrKeys),
            values: vec!["OPS-1".into()],
        }],
        created_date: "2024-01-15T10:00:00Z".into(),
        description: "VPN down for everyone".into(),
        id: id.into(),
        last_updated: "2024-01-15T10:05:00Z".into(),
        schema_version: SchemaVersion::V1_0,
        severity: Some(IncidentSeverity {
            level: SeverityLevel::P1,
        }),
        status: IncidentStatus::Open,
        summary: "VPN down".into(),
        update_sequence_number: 1_705_312_800_000,
        url: format!("https://ops.example/incidents/{id}"),
    }
}

fn incident_json(id: &str) -> Value {
    json!({
        "affectedComponents": ["comp-1"],
        "associations": [{"associationType": "issueIdOrKeys", "values": ["OPS-1"]}],
        "createdDate": "2024-01-15T10:00:00Z",
        "description": "VPN down for everyone",
        "id": id,
        "lastUpdated": "2024-01-15T10:05:00Z",
        "schemaVersion": "1.0",
        "severity": {"level": "P1"},
        "status": "open",
        "summary": "VPN down",
        "updateSequenceNumber": 1_705_312_800_000u64,
        "url": format!("https://ops.example/incidents/{id}"),
    })
}

fn review(id: &str) -> Review {
    Review {
        associations: vec![],
        created_date: "2024-01-16T09:00:00Z".into(),
        description: "What happened and what we changed".into(),
        id: id.into(),
        last_updated: "2024-01-16T09:30:00Z".into(),
        reviews: vec!["INC-1".into()],
        schema_version: SchemaVersion::V1_0,
        status: ReviewStatus::InProgress,
        summary: "VPN outage review".into(),
        update_sequence_number: 7,
        url: format!("https://ops.example/reviews/{id}"),
    }
}

fn review_json(id: &str) -> Value {
    json!({
        "createdDate": "2024-01-16T09:00:00Z",
        "description": "What happened and what we changed",
        "id": id,
        "lastUpdated": "2024-01-16T09:30:00Z",
        "reviews": ["INC-1"],
        "schemaVersion": "1.0",
        "status": "in progress",
        "summary": "VPN outage review",
        "updateSequenceNumber": 7,
        "url": format!("https://ops.example/reviews/{id}"),
    })
}

// ---------------------------------------------------------------------------------------------
// submitEntity

#[tokio::test]
async fn submit_entity_posts_incidents_with_properties_and_reads_the_202_with_failures() {
    let site = Site::start().await;
    let seen = Seen::default();
    let body = SubmitEntityRequest {
        incidents: vec![incident("INC-1"), incident("INC-2")],
        properties: [("accountId".to_string(), "acc-1".to_string())].into(),
        provider_metadata: Some(ProviderMetadata {
            product: Some("Ops Platform 2.1".into()),
        }),
        reviews: vec![],
    };
    // Both branches of the spec's anyOf: `properties` must not push `incidents` out.
    let expected = json!({
        "incidents": [incident_json("INC-1"), incident_json("INC-2")],
        "properties": {"accountId": "acc-1"},
        "providerMetadata": {"product": "Ops Platform 2.1"},
    });
    let mock = site
        .server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/rest/operations/1.0/bulk")
                .is_true(raw_query(None))
                .json_body(expected.clone())
                .is_true(seen.keep());
            then.status(202).json_body(json!({
                "acceptedIncidents": ["INC-1"],
                "failedIncidents": {
                    "INC-2": [{"message": "Incident summary is too long", "errorTraceId": "trace-9"}]
                },
                "unknownProjectKeys": ["UTF"],
                "acceptedReviews": ["a field this crate does not know"]
            }));
        })
        .await;

    let response = site.client.submit_entity(&body).await.expect("202");
    mock.assert_async().await;

    let req = seen.request();
    let canonical = assert_signed(&site, &req, "POST", "/rest/operations/1.0/bulk", None);
    assert_eq!(canonical, "POST&/rest/operations/1.0/bulk&");
    assert_json_request(&req, &expected);
    assert_eq!(header(&req, "accept").as_deref(), Some("application/json"));

    assert_eq!(response.status().as_u16(), 202);
    let result = response.into_inner();
    assert_eq!(result.accepted_incidents, vec!["INC-1".to_string()]);
    assert_eq!(result.unknown_project_keys, vec!["UTF".to_string()]);
    let failures = &result.failed_incidents["INC-2"];
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].message, "Incident summary is too long");
    assert_eq!(failures[0].error_trace_id.as_deref(), Some("trace-9"));
    // A field the spec does not name is kept as received.
    assert_eq!(
        result.extra,
        [(
            "acceptedReviews".to_string(),
            json!(["a field this crate does not know"])
        )]
        .into()
    );
}

#[tokio::test]
async fn submit_entity_with_reviews_only_sends_reviews_and_nothing_else() {
    let site = Site::start().await;
    let seen = Seen::default();
    let body = SubmitEntityRequest {
        reviews: vec![review("PIR-1")],
        ..Default::default()
    };
    let mock = site
        .server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/rest/operations/1.0/bulk")
                .is_true(seen.keep());
            then.status(202).json_body(json!({}));
        })
        .await;

    let response = site.client.submit_entity(&body).await.expect("202");
    mock.assert_async().await;

    let req = seen.request();
    assert_signed(&site, &req, "POST", "/rest/operations/1.0/bulk", None);
    assert_json_request(&req, &json!({"reviews": [review_json("PIR-1")]}));
    // The exact bytes: one key, no empty `incidents`, `properties` or `providerMetadata`.
    let text = String::from_utf8(req.body_vec()).unwrap();
    assert!(text.starts_with(r#"{"reviews":[{"#), "{text}");
    for absent in [
        "incidents",
        "properties",
        "providerMetadata",
        "associations",
    ] {
        assert!(!text.contains(absent), "`{absent}` in {text}");
    }

    // An empty 202 body decodes to empty lists.
    let result = response.into_inner();
    assert!(result.accepted_incidents.is_empty());
    assert!(result.failed_incidents.is_empty());
}

// ---------------------------------------------------------------------------------------------
// deleteEntityByProperty

#[tokio::test]
async fn delete_by_properties_sends_the_filters_as_the_query_and_signs_it() {
    let site = Site::start().await;
    let seen = Seen::default();
    let mock = site
        .server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/rest/operations/1.0/bulkByProperties")
                .is_true(raw_query(Some("accountId=account-123&createdBy=user-456")))
                .is_true(seen.keep());
            then.status(202);
        })
        .await;

    let response = site
        .client
        .delete_entity_by_properties(&[("accountId", "account-123"), ("createdBy", "user-456")])
        .await
        .expect("202");
    mock.assert_async().await;
    assert_eq!(response.status().as_u16(), 202);

    let req = seen.request();
    let canonical = assert_signed(
        &site,
        &req,
        "DELETE",
        "/rest/operations/1.0/bulkByProperties",
        Some("accountId=account-123&createdBy=user-456"),
    );
    assert_eq!(
        canonical,
        "DELETE&/rest/operations/1.0/bulkByProperties&accountId=account-123&createdBy=user-456"
    );
    // The reference library's hash for this request (vector ops-bulk-by-properties-delete).
    assert_eq!(
        claims_of(&header(&req, "authorization").unwrap()[4..])["qsh"],
        "6e69277e58d56df56e68834157841c814b0c305dbe1aba6994e4e5318c62f87e"
    );
    assert_no_body(&req);
}

#[tokio::test]
async fn delete_by_properties_with_spaces_plus_star_tilde_and_non_ascii_is_signed_for_the_bytes_sent()
 {
    let site = Site::start().await;
    let seen = Seen::default();
    // Form encoding on the wire: space as `+`, a literal `+` as `%2B`, `*` bare, `~` as `%7E`.
    let wire = "createdBy=Jos%C3%A9+N%C3%BA%C3%B1ez&accountId=acc+1%2B2&tag=a*b%7Ec";
    let mock = site
        .server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/rest/operations/1.0/bulkByProperties")
                .is_true(raw_query(Some(wire)))
                .is_true(seen.keep());
            then.status(202);
        })
        .await;

    site.client
        .delete_entity_by_properties(&[
            ("createdBy", "José Núñez"),
            ("accountId", "acc 1+2"),
            ("tag", "a*b~c"),
        ])
        .await
        .expect("202");
    mock.assert_async().await;

    let req = seen.request();
    let canonical = assert_signed(
        &site,
        &req,
        "DELETE",
        "/rest/operations/1.0/bulkByProperties",
        Some(wire),
    );
    // The canonical form Jira hashes: sorted by name, `%20` for space, `%2B`, `%2A`, bare `~`,
    // upper-case hex for UTF-8.
    assert_eq!(
        canonical,
        "DELETE&/rest/operations/1.0/bulkByProperties\
         &accountId=acc%201%2B2&createdBy=Jos%C3%A9%20N%C3%BA%C3%B1ez&tag=a%2Ab~c"
    );
    // What the server decodes is what was asked for.
    let decoded: Vec<(String, String)> = req.query_params();
    assert_eq!(
        decoded,
        vec![
            ("createdBy".to_string(), "José Núñez".to_string()),
            ("accountId".to_string(), "acc 1+2".to_string()),
            ("tag".to_string(), "a*b~c".to_string()),
        ]
    );
}

#[tokio::test]
async fn delete_by_properties_refuses_bad_filters_before_sending() {
    let site = Site::start().await;
    let any = site
        .server
        .mock_async(|when, then| {
            when.any_request();
            then.status(202);
        })
        .await;

    let none = site.client.delete_entity_by_properties(&[]).await;
    assert!(
        matches!(none, Err(GeneratedError::InvalidRequest(_))),
        "{none:?}"
    );
    let six: Vec<(&str, &str)> = (0..6).map(|_| ("k", "v")).collect();
    let too_many = site.client.delete_entity_by_properties(&six).await;
    assert!(matches!(too_many, Err(GeneratedError::InvalidRequest(_))));
    for key in ["a:b", "_hidden", ""] {
        let bad = site.client.delete_entity_by_properties(&[(key, "v")]).await;
        assert!(
            matches!(bad, Err(GeneratedError::InvalidRequest(ref m)) if m.contains("not allowed")),
            "{key:?}: {bad:?}"
        );
    }
    let long = "v".repeat(256);
    let too_long = site
        .client
        .delete_entity_by_properties(&[("accountId", &long)])
        .await;
    assert!(
        matches!(too_long, Err(GeneratedError::InvalidRequest(ref m)) if m.contains("256 characters long, more than 255")),
        "{too_long:?}"
    );
    any.assert_calls_async(0).await;
}

// ---------------------------------------------------------------------------------------------
// getIncidentById / deleteIncidentById

#[tokio::test]
async fn get_incident_reads_the_incident_ignoring_unknown_fields_and_keeping_unknown_values() {
    let site = Site::start().await;
    let seen = Seen::default();
    let mut answer = incident_json("INC-1");
    answer["status"] = json!("investigating");
    answer["severity"] = json!({"level": "P0", "note": "extra"});
    answer["associations"][0]["associationType"] = json!("ati:cloud:new-kind");
    answer["assignee"] = json!({"accountId": "someone"});
    let mock = site
        .server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/rest/operations/1.0/incidents/INC-1")
                .is_true(raw_query(None))
                .is_true(seen.keep());
            then.status(200).json_body(answer.clone());
        })
        .await;

    let response = site.client.get_incident_by_id("INC-1").await.expect("200");
    mock.assert_async().await;

    let req = seen.request();
    let canonical = assert_signed(
        &site,
        &req,
        "GET",
        "/rest/operations/1.0/incidents/INC-1",
        None,
    );
    assert_eq!(canonical, "GET&/rest/operations/1.0/incidents/INC-1&");
    assert_eq!(header(&req, "accept").as_deref(), Some("application/json"));
    assert_no_body(&req);

    let got = response.into_inner();
    assert_eq!(got.id, "INC-1");
    assert_eq!(got.status, IncidentStatus::Other("investigating".into()));
    assert!(!got.status.is_known());
    assert_eq!(
        got.severity.map(|s| s.level),
        Some(SeverityLevel::Other("P0".into()))
    );
    assert_eq!(
        got.associations[0].association_type,
        Some(AssociationType::Other("ati:cloud:new-kind".into()))
    );
    assert_eq!(got.update_sequence_number, 1_705_312_800_000);
    assert_eq!(got.affected_components, vec!["comp-1".to_string()]);
}

#[tokio::test]
async fn get_incident_answered_404_is_an_unexpected_response_with_status_404() {
    let site = Site::start().await;
    let seen = Seen::default();
    let mock = site
        .server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/rest/operations/1.0/incidents/INC-404")
                .is_true(seen.keep());
            then.status(404);
        })
        .await;

    let err = site
        .client
        .get_incident_by_id("INC-404")
        .await
        .expect_err("404");
    mock.assert_async().await;
    match err {
        GeneratedError::UnexpectedResponse(response) => {
            assert_eq!(response.status().as_u16(), 404)
        }
        other => panic!("expected UnexpectedResponse, got {other:?}"),
    }
    assert_signed(
        &site,
        &seen.request(),
        "GET",
        "/rest/operations/1.0/incidents/INC-404",
        None,
    );
}

#[tokio::test]
async fn delete_incident_sends_a_bodiless_delete_and_reads_the_202() {
    let site = Site::start().await;
    let seen = Seen::default();
    let mock = site
        .server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/rest/operations/1.0/incidents/INC-1")
                .is_true(raw_query(None))
                .is_true(seen.keep());
            then.status(202);
        })
        .await;

    let response = site
        .client
        .delete_incident_by_id("INC-1")
        .await
        .expect("202");
    mock.assert_async().await;
    assert_eq!(response.status().as_u16(), 202);

    let req = seen.request();
    let canonical = assert_signed(
        &site,
        &req,
        "DELETE",
        "/rest/operations/1.0/incidents/INC-1",
        None,
    );
    assert_eq!(canonical, "DELETE&/rest/operations/1.0/incidents/INC-1&");
    assert_no_body(&req);
}

// ---------------------------------------------------------------------------------------------
// getReviewById / deleteReviewById

#[tokio::test]
async fn get_review_reads_the_review() {
    let site = Site::start().await;
    let seen = Seen::default();
    let mut answer = review_json("PIR-1");
    answer["status"] = json!("archived");
    answer["futureField"] = json!([1, 2, 3]);
    let mock = site
        .server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/rest/operations/1.0/post-incident-reviews/PIR-1")
                .is_true(raw_query(None))
                .is_true(seen.keep());
            then.status(200).json_body(answer.clone());
        })
        .await;

    let response = site.client.get_review_by_id("PIR-1").await.expect("200");
    mock.assert_async().await;

    let req = seen.request();
    let canonical = assert_signed(
        &site,
        &req,
        "GET",
        "/rest/operations/1.0/post-incident-reviews/PIR-1",
        None,
    );
    assert_eq!(
        canonical,
        "GET&/rest/operations/1.0/post-incident-reviews/PIR-1&"
    );
    assert_eq!(header(&req, "accept").as_deref(), Some("application/json"));

    let got = response.into_inner();
    assert_eq!(got.id, "PIR-1");
    assert_eq!(got.reviews, vec!["INC-1".to_string()]);
    assert_eq!(got.status, ReviewStatus::Other("archived".into()));
}

#[tokio::test]
async fn delete_review_sends_a_bodiless_delete_and_reads_the_202() {
    let site = Site::start().await;
    let seen = Seen::default();
    let mock = site
        .server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/rest/operations/1.0/post-incident-reviews/PIR-1")
                .is_true(raw_query(None))
                .is_true(seen.keep());
            then.status(202);
        })
        .await;

    site.client.delete_review_by_id("PIR-1").await.expect("202");
    mock.assert_async().await;

    let req = seen.request();
    let canonical = assert_signed(
        &site,
        &req,
        "DELETE",
        "/rest/operations/1.0/post-incident-reviews/PIR-1",
        None,
    );
    assert_eq!(
        canonical,
        "DELETE&/rest/operations/1.0/post-incident-reviews/PIR-1&"
    );
    assert_no_body(&req);
}

// ---------------------------------------------------------------------------------------------
// Workspaces

#[tokio::test]
async fn submit_workspaces_posts_the_ids_and_reads_the_accepted_ones() {
    let site = Site::start().await;
    let seen = Seen::default();
    let body = SubmitWorkspacesRequest {
        workspace_ids: vec!["111-222-333".into(), "444-555-666".into()],
    };
    let expected = json!({"workspaceIds": ["111-222-333", "444-555-666"]});
    let mock = site
        .server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/rest/operations/1.0/linkedWorkspaces/bulk")
                .is_true(raw_query(None))
                .json_body(expected.clone())
                .is_true(seen.keep());
            then.status(202)
                .json_body(json!({"acceptedWorkspaceIds": ["111-222-333"], "extra": 1}));
        })
        .await;

    let response = site
        .client
        .submit_operations_workspaces(&body)
        .await
        .expect("202");
    mock.assert_async().await;

    let req = seen.request();
    let canonical = assert_signed(
        &site,
        &req,
        "POST",
        "/rest/operations/1.0/linkedWorkspaces/bulk",
        None,
    );
    assert_eq!(
        canonical,
        "POST&/rest/operations/1.0/linkedWorkspaces/bulk&"
    );
    assert_json_request(&req, &expected);
    assert_eq!(
        String::from_utf8(req.body_vec()).unwrap(),
        r#"{"workspaceIds":["111-222-333","444-555-666"]}"#
    );
    assert_eq!(header(&req, "accept").as_deref(), Some("application/json"));
    assert_eq!(
        response.into_inner().accepted_workspace_ids,
        vec!["111-222-333".to_string()]
    );
}

#[tokio::test]
async fn get_workspaces_without_an_id_sends_no_query() {
    let site = Site::start().await;
    let seen = Seen::default();
    let mock = site
        .server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/rest/operations/1.0/linkedWorkspaces")
                .is_true(raw_query(None))
                .is_true(seen.keep());
            then.status(200)
                .json_body(json!({"workspaceIds": ["111-222-333", "444-555-666"]}));
        })
        .await;

    let response = site.client.get_workspaces(None).await.expect("200");
    mock.assert_async().await;

    let req = seen.request();
    let canonical = assert_signed(
        &site,
        &req,
        "GET",
        "/rest/operations/1.0/linkedWorkspaces",
        None,
    );
    assert_eq!(canonical, "GET&/rest/operations/1.0/linkedWorkspaces&");
    assert_eq!(header(&req, "accept").as_deref(), Some("application/json"));
    assert_eq!(response.into_inner().workspace_ids.len(), 2);
}

#[tokio::test]
async fn get_workspaces_with_an_id_sends_it_as_the_query_and_signs_it() {
    let site = Site::start().await;
    let seen = Seen::default();
    let mock = site
        .server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/rest/operations/1.0/linkedWorkspaces")
                .is_true(raw_query(Some("workspaceId=111-222-333")))
                .is_true(seen.keep());
            then.status(200)
                .json_body(json!({"workspaceIds": ["111-222-333"]}));
        })
        .await;

    let response = site
        .client
        .get_workspaces(Some("111-222-333"))
        .await
        .expect("200");
    mock.assert_async().await;

    let req = seen.request();
    let canonical = assert_signed(
        &site,
        &req,
        "GET",
        "/rest/operations/1.0/linkedWorkspaces",
        Some("workspaceId=111-222-333"),
    );
    assert_eq!(
        canonical,
        "GET&/rest/operations/1.0/linkedWorkspaces&workspaceId=111-222-333"
    );
    // The reference library's hash (vector ops-linked-workspaces-get-one).
    assert_eq!(
        claims_of(&header(&req, "authorization").unwrap()[4..])["qsh"],
        "c70c8f1f9469dea2371b335c339606112a9a4a59c28f33b08a43088cb9e66500"
    );
    assert_eq!(
        response.into_inner().workspace_ids,
        vec!["111-222-333".to_string()]
    );
}

#[tokio::test]
async fn get_workspaces_answered_404_is_an_unexpected_response_with_status_404() {
    let site = Site::start().await;
    let mock = site
        .server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/rest/operations/1.0/linkedWorkspaces");
            then.status(404);
        })
        .await;

    let err = site
        .client
        .get_workspaces(Some("999-999-999"))
        .await
        .expect_err("404");
    mock.assert_async().await;
    assert!(
        matches!(&err, GeneratedError::UnexpectedResponse(r) if r.status().as_u16() == 404),
        "{err:?}"
    );
}

#[tokio::test]
async fn delete_workspaces_sends_one_comma_joined_workspace_ids_parameter_and_signs_it() {
    let site = Site::start().await;
    let seen = Seen::default();
    // One parameter; the comma inside its value is percent-encoded on the wire.
    let wire = "workspaceIds=111-222-333%2C444-555-666";
    let mock = site
        .server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/rest/operations/1.0/linkedWorkspaces/bulk")
                .is_true(raw_query(Some(wire)))
                .is_true(seen.keep());
            then.status(202);
        })
        .await;

    site.client
        .delete_workspaces("111-222-333,444-555-666")
        .await
        .expect("202");
    mock.assert_async().await;

    let req = seen.request();
    let canonical = assert_signed(
        &site,
        &req,
        "DELETE",
        "/rest/operations/1.0/linkedWorkspaces/bulk",
        Some(wire),
    );
    assert_eq!(
        canonical,
        "DELETE&/rest/operations/1.0/linkedWorkspaces/bulk&workspaceIds=111-222-333%2C444-555-666"
    );
    // The reference library's hash (vector ops-linked-workspaces-bulk-delete-comma).
    assert_eq!(
        claims_of(&header(&req, "authorization").unwrap()[4..])["qsh"],
        "1e84f611c95e147bfabdd42a0a9f390f6389f98617112e68f551d954b9935d56"
    );
    assert_eq!(
        req.query_params(),
        vec![(
            "workspaceIds".to_string(),
            "111-222-333,444-555-666".to_string()
        )]
    );
    assert_no_body(&req);
}

// ---------------------------------------------------------------------------------------------
// Path parameters with reserved characters

/// Sends `id` through `op` and returns the raw path the server received, after checking the
/// request was signed for exactly that path.
async fn path_sent_for<F, Fut, T>(method: &'static str, prefix: &str, id: &str, op: F) -> String
where
    F: FnOnce(GeneratedClient, String) -> Fut,
    Fut: std::future::Future<Output = Result<T, GeneratedError<()>>>,
    T: std::fmt::Debug,
{
    let site = Site::start().await;
    let seen = Seen::default();
    let prefix = prefix.to_string();
    let mock = site
        .server
        .mock_async(|when, then| {
            let prefix = prefix.clone();
            when.method(method)
                .is_true(move |req: &HttpMockRequest| req.uri().path().starts_with(&prefix))
                .is_true(seen.keep());
            then.status(if method == "GET" { 200 } else { 202 })
                .json_body(review_json("x"));
        })
        .await;

    let _ = op(site.client.clone(), id.to_string()).await;
    mock.assert_async().await;

    let req = seen.request();
    let path = req.uri().path().to_string();
    assert_eq!(
        req.uri().query(),
        None,
        "{id:?}: nothing may leak into the query"
    );
    assert_signed(&site, &req, method, &path, None);
    path
}

#[tokio::test]
async fn incident_and_review_ids_with_reserved_characters_stay_one_percent_encoded_segment() {
    let id = "INC 1/2?x#y%z";
    let encoded = "INC%201%2F2%3Fx%23y%25z";

    let path = path_sent_for(
        "GET",
        "/rest/operations/1.0/incidents/",
        id,
        |c, id| async move { c.get_incident_by_id(&id).await },
    )
    .await;
    assert_eq!(path, format!("/rest/operations/1.0/incidents/{encoded}"));

    let path = path_sent_for(
        "DELETE",
        "/rest/operations/1.0/incidents/",
        id,
        |c, id| async move { c.delete_incident_by_id(&id).await },
    )
    .await;
    assert_eq!(path, format!("/rest/operations/1.0/incidents/{encoded}"));

    let path = path_sent_for(
        "GET",
        "/rest/operations/1.0/post-incident-reviews/",
        id,
        |c, id| async move { c.get_review_by_id(&id).await },
    )
    .await;
    assert_eq!(
        path,
        format!("/rest/operations/1.0/post-incident-reviews/{encoded}")
    );

    let path = path_sent_for(
        "DELETE",
        "/rest/operations/1.0/post-incident-reviews/",
        id,
        |c, id| async move { c.delete_review_by_id(&id).await },
    )
    .await;
    assert_eq!(
        path,
        format!("/rest/operations/1.0/post-incident-reviews/{encoded}")
    );
}

#[tokio::test]
async fn encoded_slash_in_an_id_hashes_like_the_reference_library() {
    let path = path_sent_for(
        "GET",
        "/rest/operations/1.0/incidents/",
        "abc/def",
        |c, id| async move { c.get_incident_by_id(&id).await },
    )
    .await;
    assert_eq!(path, "/rest/operations/1.0/incidents/abc%2Fdef");
    // Vector ops-incident-get-encoded-slash.
    assert_eq!(
        CanonicalRequest::new("GET", &path, None, "").qsh(),
        "cb4b11394223f5f61f2131c5ab3ca19b01f0da9e62803c58510cdd7d09dfed46"
    );
}

#[tokio::test]
async fn backslash_and_bracket_characters_in_an_id_are_escaped_not_reinterpreted() {
    // A bare `\` is read as `/` by URL parsing: `..\linkedWorkspaces\bulk` would otherwise turn
    // a delete of one incident into a request to another endpoint.
    let path = path_sent_for(
        "DELETE",
        "/rest/operations/1.0/",
        r"..\linkedWorkspaces\bulk",
        |c, id| async move { c.delete_incident_by_id(&id).await },
    )
    .await;
    assert_eq!(
        path,
        "/rest/operations/1.0/incidents/..%5ClinkedWorkspaces%5Cbulk"
    );

    let path = path_sent_for(
        "GET",
        "/rest/operations/1.0/",
        r"a\b;c[d]|e^f",
        |c, id| async move { c.get_review_by_id(&id).await },
    )
    .await;
    assert_eq!(
        path,
        "/rest/operations/1.0/post-incident-reviews/a%5Cb%3Bc%5Bd%5D%7Ce%5Ef"
    );

    // Characters that are legal in a path segment stay as they are, and `&` is hashed as `%26`.
    let path = path_sent_for(
        "GET",
        "/rest/operations/1.0/",
        "a+b&c=d,e:f@g!h$i'j(k)l*m~n.o_p-q",
        |c, id| async move { c.get_incident_by_id(&id).await },
    )
    .await;
    assert_eq!(
        path,
        "/rest/operations/1.0/incidents/a+b&c=d,e:f@g!h$i'j(k)l*m~n.o_p-q"
    );
    assert_eq!(
        CanonicalRequest::new("GET", &path, None, "").to_string(),
        "GET&/rest/operations/1.0/incidents/a+b%26c=d,e:f@g!h$i'j(k)l*m~n.o_p-q&"
    );

    // Non-ASCII is sent as UTF-8 escapes.
    let path = path_sent_for(
        "GET",
        "/rest/operations/1.0/",
        "INC-é",
        |c, id| async move { c.get_incident_by_id(&id).await },
    )
    .await;
    assert_eq!(path, "/rest/operations/1.0/incidents/INC-%C3%A9");
}

#[tokio::test]
async fn empty_dot_and_dot_dot_ids_are_refused_before_anything_is_sent() {
    let site = Site::start().await;
    let any = site
        .server
        .mock_async(|when, then| {
            when.any_request();
            then.status(202);
        })
        .await;

    for id in ["", ".", ".."] {
        let get = site.client.get_incident_by_id(id).await;
        assert!(
            matches!(&get, Err(GeneratedError::InvalidRequest(m)) if m.starts_with("refusing to send GET /rest/operations/1.0/") && m.contains("a path parameter is empty")),
            "{id:?}: {get:?}"
        );
        let delete = site.client.delete_incident_by_id(id).await;
        assert!(
            matches!(&delete, Err(GeneratedError::InvalidRequest(_))),
            "{id:?}: {delete:?}"
        );
        let get = site.client.get_review_by_id(id).await;
        assert!(matches!(&get, Err(GeneratedError::InvalidRequest(_))));
        let delete = site.client.delete_review_by_id(id).await;
        assert!(matches!(&delete, Err(GeneratedError::InvalidRequest(_))));
    }
    any.assert_calls_async(0).await;
}

//! Conformance: every operation is driven through its success and error paths, and every
//! response the emulator gives is checked against what the vendored fragment declares for that
//! operation and status: the JSON body against the declared schema, or an empty body where
//! none is declared. Statuses the operation does not list fall under its `default` response.
//! At the end, every status each operation declares must have been seen.

#![cfg(feature = "emulator")]

mod emulator_support;

use std::collections::{BTreeMap, BTreeSet};

use emulator_support::{Raw, Reply, incident, review};
use jira_operations::emulator::{AppConfig, Emulator, EmulatorConfig, Faults, Scope};
use jira_operations::spec::VENDORED;
use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

/// The fragment, and what has been checked against it.
struct Conformance {
    spec: Value,
    /// operationId → (pointer to the operation object).
    operations: BTreeMap<String, String>,
    /// operationId → statuses seen.
    seen: BTreeMap<String, BTreeSet<String>>,
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

impl Conformance {
    fn new() -> Self {
        let spec: Value = serde_json::from_str(VENDORED).unwrap();
        let mut operations = BTreeMap::new();
        for (path, item) in spec["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                if let Some(id) = operation.get("operationId").and_then(Value::as_str) {
                    operations.insert(
                        id.to_string(),
                        format!("/paths/{}/{}", escape(path), method),
                    );
                }
            }
        }
        assert_eq!(operations.len(), 9, "{operations:?}");
        Self {
            spec,
            operations,
            seen: BTreeMap::new(),
        }
    }

    /// Checks one reply of `operation` against the fragment.
    fn check(&mut self, operation: &str, reply: &Reply) {
        let pointer = &self.operations[operation];
        let responses = self
            .spec
            .pointer(&format!("{pointer}/responses"))
            .unwrap()
            .as_object()
            .unwrap();
        let code = reply.status.as_str().to_string();
        let declared = if responses.contains_key(&code) {
            code.clone()
        } else {
            assert!(
                responses.contains_key("default"),
                "{operation} answered {code}, which it does not declare, and has no default"
            );
            "default".to_string()
        };
        self.seen
            .entry(operation.to_string())
            .or_default()
            .insert(declared.clone());

        let schema_pointer =
            format!("{pointer}/responses/{declared}/content/application~1json/schema");
        match self.spec.pointer(&schema_pointer) {
            None => assert!(
                reply.body.is_empty(),
                "{operation} {code}: the spec declares no body, got {:?}",
                reply.text()
            ),
            Some(schema) => {
                assert_eq!(
                    reply.headers[CONTENT_TYPE], "application/json",
                    "{operation} {code}"
                );
                let validator = jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft4)
                    .should_validate_formats(true)
                    .build(schema)
                    .unwrap();
                let body = reply.json();
                let errors: Vec<String> = validator
                    .iter_errors(&body)
                    .map(|e| format!("{} at {}", e, e.instance_path().as_str()))
                    .collect();
                assert!(
                    errors.is_empty(),
                    "{operation} {code}: body does not match the declared schema: {errors:?}\nbody: {body}"
                );
            }
        }
    }

    /// Every status each operation declares (besides `default`) was seen.
    fn assert_complete(&self) {
        for (operation, pointer) in &self.operations {
            let declared: BTreeSet<String> = self
                .spec
                .pointer(&format!("{pointer}/responses"))
                .unwrap()
                .as_object()
                .unwrap()
                .keys()
                .filter(|code| *code != "default")
                .cloned()
                .collect();
            let seen = self.seen.get(operation).cloned().unwrap_or_default();
            let missing: Vec<&String> = declared.difference(&seen).collect();
            assert!(
                missing.is_empty(),
                "{operation}: declared statuses never exercised: {missing:?}"
            );
        }
    }
}

/// One call of each operation, for the fault and auth sweeps.
fn one_of_each() -> Vec<(&'static str, Method, String, Option<Value>)> {
    vec![
        (
            "submitEntity",
            Method::POST,
            "/rest/operations/1.0/bulk".into(),
            Some(json!({"incidents": [incident("INC-1")]})),
        ),
        (
            "deleteEntityByProperty",
            Method::DELETE,
            "/rest/operations/1.0/bulkByProperties?accountId=acc-1".into(),
            None,
        ),
        (
            "getIncidentById",
            Method::GET,
            "/rest/operations/1.0/incidents/INC-1".into(),
            None,
        ),
        (
            "deleteIncidentById",
            Method::DELETE,
            "/rest/operations/1.0/incidents/INC-1".into(),
            None,
        ),
        (
            "getReviewById",
            Method::GET,
            "/rest/operations/1.0/post-incident-reviews/PIR-1".into(),
            None,
        ),
        (
            "deleteReviewById",
            Method::DELETE,
            "/rest/operations/1.0/post-incident-reviews/PIR-1".into(),
            None,
        ),
        (
            "submitOperationsWorkspaces",
            Method::POST,
            "/rest/operations/1.0/linkedWorkspaces/bulk".into(),
            Some(json!({"workspaceIds": ["w-1"]})),
        ),
        (
            "getWorkspaces",
            Method::GET,
            "/rest/operations/1.0/linkedWorkspaces".into(),
            None,
        ),
        (
            "deleteWorkspaces",
            Method::DELETE,
            "/rest/operations/1.0/linkedWorkspaces/bulk?workspaceIds=w-1".into(),
            None,
        ),
    ]
}

async fn sweep(c: &mut Conformance, raw: &Raw) {
    for (operation, method, path, body) in one_of_each() {
        let reply = raw.send(raw.request(method, &path, body.as_ref())).await;
        c.check(operation, &reply);
    }
}

#[tokio::test]
async fn every_response_matches_the_fragment() {
    let mut c = Conformance::new();
    let emu = Emulator::start(
        EmulatorConfig::default()
            .with_max_body_bytes(64 * 1024)
            .with_app(AppConfig::new("com.example.no-module").with_operations_module(false))
            .with_app(AppConfig::new("com.example.reader").with_scopes([Scope::Read])),
    )
    .await
    .unwrap();
    let raw = Raw::new(&emu);

    // submitEntity: success, partial failure with unknown keys, 400, 413 by count and by
    // bytes, 415 (default).
    let mut partial = incident("INC-2");
    partial["summary"] = json!("s".repeat(300));
    let mut unknown = incident("INC-3");
    unknown["associations"] = json!([{"associationType": "issueIdOrKeys", "values": ["NOPE-1"]}]);
    for body in [
        json!({"incidents": [incident("INC-1")], "reviews": [review("PIR-1")], "properties": {"accountId": "acc-1"}}),
        json!({"incidents": [incident("INC-1"), partial, unknown, "junk", {"id": 5}]}),
        json!({}),
        json!([]),
        json!({"properties": {"_x": "1"}, "incidents": [incident("INC-4")]}),
        json!({"incidents": (0..1001).map(|i| json!({"id": format!("X-{i}")})).collect::<Vec<_>>()}),
        json!({"incidents": [{"description": "d".repeat(70 * 1024)}]}),
    ] {
        let reply = raw.submit(&body).await;
        c.check("submitEntity", &reply);
    }
    let mut request = raw.request(Method::POST, "/rest/operations/1.0/bulk", None);
    *request.body_mut() = Some("x".into());
    request
        .headers_mut()
        .insert(CONTENT_TYPE, "text/plain".parse().unwrap());
    let reply = raw.send(request).await;
    assert_eq!(reply.status, 415);
    c.check("submitEntity", &reply);

    // Reads and deletes by ID: found, not found, deleted.
    for (operation, path) in [
        ("getIncidentById", "/rest/operations/1.0/incidents/INC-1"),
        ("getIncidentById", "/rest/operations/1.0/incidents/NOPE"),
        (
            "getReviewById",
            "/rest/operations/1.0/post-incident-reviews/PIR-1",
        ),
        (
            "getReviewById",
            "/rest/operations/1.0/post-incident-reviews/NOPE",
        ),
    ] {
        let reply = raw.get(path).await;
        c.check(operation, &reply);
    }
    for (operation, path) in [
        ("deleteIncidentById", "/rest/operations/1.0/incidents/INC-1"),
        ("deleteIncidentById", "/rest/operations/1.0/incidents/NOPE"),
        (
            "deleteReviewById",
            "/rest/operations/1.0/post-incident-reviews/PIR-1",
        ),
        (
            "deleteEntityByProperty",
            "/rest/operations/1.0/bulkByProperties?accountId=acc-1",
        ),
        (
            "deleteEntityByProperty",
            "/rest/operations/1.0/bulkByProperties",
        ),
        (
            "deleteEntityByProperty",
            "/rest/operations/1.0/bulkByProperties?a=1&b=2&c=3&d=4&e=5&f=6",
        ),
    ] {
        let reply = raw.delete(path).await;
        c.check(operation, &reply);
    }

    // Workspaces.
    let link = "/rest/operations/1.0/linkedWorkspaces/bulk";
    let list = "/rest/operations/1.0/linkedWorkspaces";
    c.check("getWorkspaces", &raw.get(list).await);
    for body in [
        json!({"workspaceIds": ["w-1", "w-2"]}),
        json!({"workspaceIds": ["w-2"]}),
        json!({"workspaceIds": []}),
        json!({"workspaceIds": (0..101).map(|i| format!("w-{i}")).collect::<Vec<_>>()}),
        json!({"nothing": true}),
    ] {
        let reply = raw.post(link, &body).await;
        c.check("submitOperationsWorkspaces", &reply);
    }
    for path in [
        list.to_string(),
        format!("{list}?workspaceId=w-1"),
        format!("{list}?workspaceId=nope"),
    ] {
        let reply = raw.get(&path).await;
        c.check("getWorkspaces", &reply);
    }
    for path in [format!("{link}?workspaceIds=w-1,w-2"), link.to_string()] {
        let reply = raw.delete(&path).await;
        c.check("deleteWorkspaces", &reply);
    }

    // 401 and 403 for every operation.
    sweep(&mut c, &Raw::unsigned(&emu)).await;
    let no_module = Raw::with_installation(
        &emu,
        &emu.installation_for("com.example.no-module").unwrap(),
    );
    sweep(&mut c, &no_module).await;
    let reader = Raw::with_installation(&emu, &emu.installation_for("com.example.reader").unwrap());
    sweep(&mut c, &reader).await;

    // 429 and 503 for every operation.
    for spec in ["429=100%,retry-after=0", "503=100%"] {
        let faulty =
            Emulator::start(EmulatorConfig::default().with_faults(spec.parse::<Faults>().unwrap()))
                .await
                .unwrap();
        sweep(&mut c, &Raw::new(&faulty)).await;
    }

    c.assert_complete();
}

fn fabricated(status: u16, body: &str) -> Reply {
    let mut headers = reqwest::header::HeaderMap::new();
    if !body.is_empty() {
        headers.insert(CONTENT_TYPE, "application/json".parse().unwrap());
    }
    Reply {
        status: reqwest::StatusCode::from_u16(status).unwrap(),
        headers,
        body: body.as_bytes().to_vec(),
    }
}

#[test]
#[should_panic(expected = "does not match the declared schema")]
fn the_checker_refuses_an_empty_workspace_list() {
    Conformance::new().check("getWorkspaces", &fabricated(200, r#"{"workspaceIds": []}"#));
}

#[test]
#[should_panic(expected = "does not match the declared schema")]
fn the_checker_refuses_an_unreportable_project_key() {
    Conformance::new().check(
        "submitEntity",
        &fabricated(
            202,
            r#"{"acceptedIncidents": [], "unknownProjectKeys": ["MY-OPS"]}"#,
        ),
    );
}

#[test]
#[should_panic(expected = "the spec declares no body")]
fn the_checker_refuses_a_body_on_401() {
    Conformance::new().check(
        "getIncidentById",
        &fabricated(401, r#"[{"message": "no"}]"#),
    );
}

#[test]
#[should_panic(expected = "does not match the declared schema")]
fn the_checker_refuses_an_error_object_instead_of_error_messages() {
    Conformance::new().check(
        "deleteEntityByProperty",
        &fabricated(400, r#"{"message": "no"}"#),
    );
}

#[test]
#[should_panic(expected = "declared statuses never exercised")]
fn the_checker_notices_statuses_never_exercised() {
    let mut c = Conformance::new();
    c.check("getIncidentById", &fabricated(404, ""));
    c.assert_complete();
}

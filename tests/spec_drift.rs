//! The vendored fragment against Atlassian's file: derivation, staleness and drift reports.

use std::path::PathBuf;

use jira_operations::spec::{self, Change};
use serde_json::{Value, json};

fn vendored() -> Value {
    serde_json::from_str(spec::VENDORED).expect("the vendored fragment is JSON")
}

fn shared_upstream() -> Option<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/upstream/jira-software-swagger.v3.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).expect("upstream is JSON")),
        Err(_) => {
            eprintln!("skipped: {} is absent", path.display());
            None
        }
    }
}

/// A minimal upstream document: the vendored fragment's paths, with prose added back, plus
/// an unrelated path that derivation must drop.
fn upstream_like() -> Value {
    let mut doc = vendored();
    let paths = doc["paths"].as_object_mut().unwrap();
    paths.insert(
        "/rest/agile/1.0/board".into(),
        json!({"get": {"operationId": "getBoards", "responses": {"200": {"description": "x"}}}}),
    );
    let bulk = paths["/rest/operations/1.0/bulk"]["post"]
        .as_object_mut()
        .unwrap();
    bulk.insert("summary".into(), json!("Atlassian's own words"));
    doc["info"]["description"] = json!("Atlassian's own words");
    *doc.pointer_mut(&format!("{SUMMARY}/description")).unwrap() = json!("Atlassian's own words");
    doc
}

const SUMMARY: &str = "/paths/~1rest~1operations~11.0~1bulk/post/requestBody/content/application~1json/schema/anyOf/0/properties/incidents/items/properties/summary";
const INCIDENT_FIELDS: &str = "/paths/~1rest~1operations~11.0~1bulk/post/requestBody/content/application~1json/schema/anyOf/0/properties/incidents/items/properties";

#[test]
fn vendored_fragment_is_current_with_the_shared_upstream_copy() {
    let Some(upstream) = shared_upstream() else {
        return;
    };
    let refresh = spec::compare(&upstream, &vendored()).unwrap();
    assert!(refresh.changes.is_empty(), "drift: {:#?}", refresh.changes);
    assert_eq!(refresh.generation_problem, None);
    assert!(
        !refresh.stale,
        "openapi/operations.json differs from a fresh derivation"
    );
}

#[test]
fn derivation_keeps_structure_and_drops_prose_and_other_groups() {
    let derived = spec::derive(&upstream_like()).unwrap();
    assert_eq!(derived, vendored());
    let text = serde_json::to_string(&derived).unwrap();
    assert!(!text.contains("Atlassian's own words"));
    assert!(!text.contains("/rest/agile/"));
    assert_eq!(
        derived.pointer(&format!("{SUMMARY}/maxLength")),
        Some(&json!(255))
    );

    // Fields carry notes of our own, and the one name with two meanings gets both.
    let body = "/paths/~1rest~1operations~11.0~1bulk/post/requestBody/content/application~1json/schema/anyOf/1/properties/reviews";
    let note = |pointer: String| derived.pointer(&pointer).and_then(Value::as_str);
    assert_eq!(
        note(format!("{SUMMARY}/description")),
        Some("A short title.")
    );
    assert_eq!(
        note(format!("{body}/description")),
        Some("The post-incident reviews to store.")
    );
    assert_eq!(
        note(format!("{body}/items/properties/reviews/description")),
        Some("IDs of the incidents the review covers.")
    );
}

#[test]
fn a_changed_limit_and_an_added_field_are_reported_and_make_the_fragment_stale() {
    let mut upstream = upstream_like();
    *upstream
        .pointer_mut(&format!("{SUMMARY}/maxLength"))
        .unwrap() = json!(300);
    upstream
        .pointer_mut(INCIDENT_FIELDS)
        .unwrap()
        .as_object_mut()
        .unwrap()
        .insert(
            "priority".into(),
            json!({"type": "string", "enum": ["high", "low"]}),
        );

    let refresh = spec::compare(&upstream, &vendored()).unwrap();
    assert!(refresh.stale);
    let problem = refresh.generation_problem.as_deref().unwrap_or_default();
    assert!(
        problem.contains("`Incident` has two different shapes"),
        "{problem}"
    );
    let at = "POST /rest/operations/1.0/bulk request anyOf[0] incidents[]";
    assert!(refresh.changes.contains(&Change::Changed {
        at: format!("{at} summary"),
        what: "maxLength".into(),
        from: "255".into(),
        to: "300".into(),
    }));
    assert!(refresh.changes.contains(&Change::Added {
        at: at.into(),
        what: "field priority".into()
    }));
    assert!(refresh.changes.contains(&Change::Added {
        at: format!("{at} priority"),
        what: "enum value high".into(),
    }));
    assert_eq!(refresh.changes.len(), 5, "{:#?}", refresh.changes);
}

#[test]
fn a_removed_operation_and_enum_value_are_reported() {
    let mut upstream = upstream_like();
    upstream["paths"]
        .as_object_mut()
        .unwrap()
        .remove("/rest/operations/1.0/bulkByProperties");
    let status = upstream
        .pointer_mut(&format!("{INCIDENT_FIELDS}/status/enum"))
        .unwrap();
    status.as_array_mut().unwrap().retain(|v| v != "unknown");

    let changes = spec::compare(&upstream, &vendored()).unwrap().changes;
    let lines: Vec<String> = changes.iter().map(ToString::to_string).collect();
    assert!(
        lines.contains(
            &"- DELETE /rest/operations/1.0/bulkByProperties: operation deleteEntityByProperty"
                .to_string()
        ),
        "{lines:#?}"
    );
    assert!(lines.contains(&"- POST /rest/operations/1.0/bulk request anyOf[0] incidents[] status: enum value unknown".to_string()), "{lines:#?}");
}

#[test]
fn a_document_without_the_operations_group_is_refused() {
    let err = spec::derive(&json!({"openapi": "3.0.1", "paths": {"/rest/agile/1.0/board": {}}}))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("no paths under `/rest/operations/`"),
        "{err}"
    );
    let err = spec::derive(&json!({"openapi": "3.1.0", "paths": {}})).unwrap_err();
    assert!(err.to_string().contains("OpenAPI 3.0"), "{err}");
}

#[test]
fn every_normalization_rule_applies_to_the_vendored_fragment() {
    let normalized = spec::normalize::normalize(&vendored()).unwrap();
    let text = serde_json::to_string(&normalized).unwrap();
    assert!(
        !text.contains("Authorization"),
        "the header parameter is gone"
    );
    assert!(!text.contains("anyOf"), "the submit body is one object");
    assert!(!text.contains("\"additionalProperties\":false"));
    assert!(!text.contains("maxLength"));
    let delete = &normalized["paths"]["/rest/operations/1.0/linkedWorkspaces/bulk"]["delete"];
    assert_eq!(delete["parameters"][0]["name"], "workspaceIds");
    let schemas = normalized["components"]["schemas"].as_object().unwrap();
    for name in [
        "Incident",
        "Review",
        "SubmitEntityRequest",
        "SubmitEntityResponse",
        "IncidentStatus",
    ] {
        assert!(schemas.contains_key(name), "{name} is named");
    }
    for (_, item) in normalized["paths"].as_object().unwrap() {
        for (_, op) in item.as_object().unwrap() {
            let codes: Vec<&String> = op["responses"].as_object().unwrap().keys().collect();
            assert_eq!(codes, ["2XX"]);
        }
    }
}

//! Deriving the vendored OpenAPI fragment from Atlassian's published file, and spotting drift.
//!
//! Atlassian publishes one large OpenAPI document for all of Jira Software. This crate vendors
//! only the structure of the Operations group (`openapi/operations.json`): paths, methods,
//! parameters, schemas and every constraint, with Atlassian's prose replaced by short notes of
//! our own. [`derive`](fn@derive) makes that fragment from the published file, so anyone can
//! re-run the step when Atlassian updates it, and [`drift`] says what changed in terms a user
//! cares about: operations, fields, limits and enum values added or removed.
//!
//! The edits that code generation needs on top of the fragment live in [`normalize`], one
//! named rule per edit, each with its reason.

#[allow(clippy::all)]
pub mod normalize;

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value, json};

/// The fragment this crate was generated from, as vendored.
pub const VENDORED: &str = include_str!("../../openapi/operations.json");

/// The path prefix that selects the Operations group in Atlassian's file.
pub const PREFIX: &str = "/rest/operations/";

/// Keys that carry Atlassian's prose rather than structure.
const PROSE: &[&str] = &[
    "description",
    "summary",
    "example",
    "examples",
    "externalDocs",
];

/// Our own one-line description of each operation, keyed by `operationId`.
const OPERATION_NOTES: &[(&str, &str)] = &[
    (
        "submitEntity",
        "Stores incidents or post-incident reviews (upsert by ID; applied asynchronously). Scope WRITE.",
    ),
    (
        "deleteEntityByProperty",
        "Deletes every incident and review whose submitted properties match all the given key=value pairs. Scope DELETE.",
    ),
    ("getIncidentById", "Reads one stored incident. Scope READ."),
    (
        "deleteIncidentById",
        "Deletes one incident, asynchronously; accepted even when absent. Scope DELETE.",
    ),
    (
        "getReviewById",
        "Reads one stored post-incident review. Scope READ.",
    ),
    (
        "deleteReviewById",
        "Deletes one post-incident review, asynchronously; accepted even when absent. Scope DELETE.",
    ),
    (
        "submitOperationsWorkspaces",
        "Links workspace IDs of the provider to the Jira site. Scope WRITE.",
    ),
    (
        "getWorkspaces",
        "Lists the linked workspace IDs, or answers for one. Scope READ.",
    ),
    (
        "deleteWorkspaces",
        "Unlinks workspaces and, eventually, their data. Scope DELETE.",
    ),
];

/// Our own one-line description of each field, by name. The one name with two meanings,
/// `reviews` (the reviews of a request, the incident IDs of a review), is told apart by what
/// its items are.
fn field_note(name: &str, schema: &Value) -> Option<&'static str> {
    let of_strings = schema.pointer("/items/type") == Some(&json!("string"));
    Some(match name {
        "acceptedIncidents" => "IDs of the incidents Jira accepted.",
        "acceptedWorkspaceIds" => "Workspace IDs Jira linked.",
        "affectedComponents" => "IDs of the components the incident affects.",
        "associationType" => {
            "What the values name: Jira issues, services or Compass event sources."
        }
        "associations" => "What the entity is linked to in Jira.",
        "createdDate" => "When the entity was created (RFC 3339 date-time).",
        "description" => "Longer text about the entity.",
        "errorTraceId" => "An ID for this error in Jira's logs.",
        "failedIncidents" => "Why Jira refused each incident it refused, by incident ID.",
        "id" => "The entity's ID within the provider; sending an ID again replaces the entity.",
        "incidents" => "The incidents to store.",
        "lastUpdated" => "When the entity last changed (RFC 3339 date-time).",
        "level" => "The severity level.",
        "message" => "What went wrong.",
        "product" => "The name of the provider's product.",
        "properties" => {
            "Key-value pairs stored with every entity of the request, to delete them by later."
        }
        "providerMetadata" => "About the provider sending the request.",
        "reviews" if of_strings => "IDs of the incidents the review covers.",
        "reviews" => "The post-incident reviews to store.",
        "schemaVersion" => "The version of the entity schema.",
        "severity" => "How severe the incident is.",
        "status" => "Where the entity is in its life.",
        "summary" => "A short title.",
        "unknownProjectKeys" => "Project keys of issue associations that the site does not have.",
        "updateSequenceNumber" => {
            "Orders the versions of one entity: Jira keeps the one with the highest number."
        }
        "url" => "Where the entity is shown in the provider's tool.",
        "values" => {
            "What the association names: issue keys or IDs, or service or event-source IDs."
        }
        "workspaceIds" => "Workspace IDs of the provider.",
        _ => return None,
    })
}

/// Writes [`field_note`]s into every `properties` map under `value`.
fn add_field_notes(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match child {
                    // Its keys are field names, each with a schema.
                    Value::Object(fields) if key == "properties" => {
                        for (name, field) in fields.iter_mut() {
                            if let Some(note) = field_note(name, field)
                                && let Some(field) = field.as_object_mut()
                            {
                                field.insert("description".into(), json!(note));
                            }
                            add_field_notes(field);
                        }
                    }
                    _ => add_field_notes(child),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(add_field_notes),
        _ => {}
    }
}

/// Our own wording for each documented status code.
fn status_note(code: &str) -> &'static str {
    match code {
        "200" => "Found.",
        "202" => "Accepted for asynchronous processing.",
        "400" => "The request is malformed.",
        "401" => "The Connect JWT is missing or invalid.",
        "403" => "The app lacks the Operations module or the scope this call needs.",
        "404" => "Nothing is stored under that ID.",
        "413" => "The request is too large; send fewer entities.",
        "429" => "Rate limited; retry later.",
        "503" => "Jira is unavailable; retry later.",
        "default" => "Any other error.",
        _ => "Undocumented status.",
    }
}

/// An error while deriving or comparing fragments.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SpecError(String);

/// Drops prose keys, except inside a `properties` map, where the keys are field names
/// (incidents have fields called `summary` and `description`).
fn strip_prose(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !PROSE.contains(&k.as_str()))
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("properties", Value::Object(fields)) => Value::Object(
                            fields
                                .iter()
                                .map(|(name, f)| (name.clone(), strip_prose(f)))
                                .collect(),
                        ),
                        _ => strip_prose(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(strip_prose).collect()),
        other => other.clone(),
    }
}

/// Derives the vendored fragment from Atlassian's whole OpenAPI document.
///
/// Keeps the Operations paths with all their structure, drops the prose, writes our own
/// descriptions for operations, fields and responses (OpenAPI requires the latter), and fails
/// when the group is missing or refers to shared components this step does not carry.
pub fn derive(upstream: &Value) -> Result<Value, SpecError> {
    let version = upstream
        .get("openapi")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !version.starts_with("3.0.") {
        return Err(SpecError(format!(
            "expected an OpenAPI 3.0 document, found `{version}`"
        )));
    }
    let all_paths = upstream
        .get("paths")
        .and_then(Value::as_object)
        .ok_or_else(|| SpecError("the document has no `paths`".into()))?;

    let mut paths = Map::new();
    for (path, item) in all_paths.iter().filter(|(p, _)| p.starts_with(PREFIX)) {
        let mut item = strip_prose(item);
        if let Some(item) = item.as_object_mut() {
            for op in item.values_mut().filter_map(Value::as_object_mut) {
                let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                    continue;
                };
                if let Some((_, note)) = OPERATION_NOTES.iter().find(|(op_id, _)| *op_id == id) {
                    op.insert("description".into(), json!(note));
                }
                if let Some(Value::Object(responses)) = op.get_mut("responses") {
                    for (code, response) in responses.iter_mut() {
                        if let Some(r) = response.as_object_mut() {
                            r.insert("description".into(), json!(status_note(code)));
                        }
                    }
                }
            }
        }
        add_field_notes(&mut item);
        paths.insert(path.clone(), item);
    }
    if paths.is_empty() {
        return Err(SpecError(format!(
            "the document has no paths under `{PREFIX}`"
        )));
    }
    if serde_json::to_string(&paths).is_ok_and(|s| s.contains("\"$ref\"")) {
        return Err(SpecError(
            "the Operations paths now use `$ref`; teach `derive` to carry the components they name"
                .into(),
        ));
    }

    let upstream_version = upstream
        .pointer("/info/version")
        .cloned()
        .unwrap_or(json!(""));
    Ok(json!({
        "openapi": version,
        "info": {
            "title": "Jira Software Cloud Operations API (fragment)",
            "version": upstream_version,
            "description": "The Operations group of Jira Software Cloud's REST API, derived by `jira-ops spec refresh` from Atlassian's published OpenAPI document: structure only, with notes of our own.",
        },
        "servers": upstream.get("servers").cloned().unwrap_or(json!([])),
        "tags": [{"name": "Operations"}],
        "paths": paths,
    }))
}

/// Pretty JSON with a final newline, as the fragment is stored.
pub fn to_file_text(fragment: &Value) -> String {
    let mut text = serde_json::to_string_pretty(fragment).expect("a JSON value always serializes");
    text.push('\n');
    text
}

/// One difference between two fragments that matters to a user of the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Present in the new fragment only.
    Added {
        /// Where, e.g. `POST /rest/operations/1.0/bulk request incidents[].summary`.
        at: String,
        /// What, e.g. `field` or `maxLength = 255`.
        what: String,
    },
    /// Present in the old fragment only.
    Removed {
        /// Where.
        at: String,
        /// What.
        what: String,
    },
    /// Present in both with different values.
    Changed {
        /// Where.
        at: String,
        /// Which keyword.
        what: String,
        /// The old value.
        from: String,
        /// The new value.
        to: String,
    },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Added { at, what } => write!(f, "+ {at}: {what}"),
            Change::Removed { at, what } => write!(f, "- {at}: {what}"),
            Change::Changed { at, what, from, to } => write!(f, "~ {at}: {what} {from} -> {to}"),
        }
    }
}

/// Keywords whose values are limits or types a caller must respect.
const FACTS: &[&str] = &[
    "type",
    "format",
    "maxLength",
    "minLength",
    "minItems",
    "maxItems",
    "maxProperties",
    "pattern",
    "default",
    "x-atlassian-connect-scope",
    "required",
    "in",
];

fn render(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Flattens a fragment into `location -> facts`, where a fact is `keyword = value`, `field`,
/// `enum value X`, `required field X`, `operation X` or `response N`.
fn facts(fragment: &Value) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let Some(paths) = fragment.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, op) in item {
            if method == "parameters" {
                continue;
            }
            let here = format!("{} {path}", method.to_uppercase());
            let id = op.get("operationId").map(render).unwrap_or_default();
            out.entry(here.clone())
                .or_default()
                .insert(format!("operation {id}"), String::new());
            for (k, v) in op.as_object().into_iter().flatten() {
                if FACTS.contains(&k.as_str()) {
                    out.entry(here.clone())
                        .or_default()
                        .insert(k.clone(), render(v));
                }
            }
            let params = item
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten();
            let own = op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten();
            for p in params.chain(own) {
                let name = p.get("name").map(render).unwrap_or_default();
                let at = format!("{here} parameter {name}");
                out.entry(here.clone())
                    .or_default()
                    .insert(format!("parameter {name}"), String::new());
                schema_facts(&at, p, &mut out);
                if let Some(schema) = p.get("schema") {
                    schema_facts(&at, schema, &mut out);
                }
            }
            if let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") {
                schema_facts(&format!("{here} request"), schema, &mut out);
            }
            for (code, response) in op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                out.entry(here.clone())
                    .or_default()
                    .insert(format!("response {code}"), String::new());
                if let Some(schema) = response.pointer("/content/application~1json/schema") {
                    schema_facts(&format!("{here} response {code}"), schema, &mut out);
                }
            }
        }
    }
    out
}

fn schema_facts(at: &str, schema: &Value, out: &mut BTreeMap<String, BTreeMap<String, String>>) {
    let Some(map) = schema.as_object() else {
        return;
    };
    let entry = out.entry(at.to_string()).or_default();
    for (k, v) in map {
        match k.as_str() {
            "enum" => {
                for value in v.as_array().into_iter().flatten() {
                    entry.insert(format!("enum value {}", render(value)), String::new());
                }
            }
            "required" if v.is_array() => {
                for name in v.as_array().into_iter().flatten() {
                    entry.insert(format!("required field {}", render(name)), String::new());
                }
            }
            "additionalProperties" if v.is_boolean() => {
                entry.insert(k.clone(), render(v));
            }
            _ if FACTS.contains(&k.as_str()) => {
                entry.insert(k.clone(), render(v));
            }
            _ => {}
        }
    }
    if let Some(fields) = map.get("properties").and_then(Value::as_object) {
        for (name, field) in fields {
            out.entry(at.to_string())
                .or_default()
                .insert(format!("field {name}"), String::new());
            schema_facts(&format!("{at} {name}"), field, out);
        }
    }
    if let Some(items) = map.get("items") {
        schema_facts(&format!("{at}[]"), items, out);
    }
    if let Some(extra) = map.get("additionalProperties").filter(|v| v.is_object()) {
        schema_facts(&format!("{at}{{*}}"), extra, out);
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        for (i, branch) in map
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            schema_facts(&format!("{at} {key}[{i}]"), branch, out);
        }
    }
}

/// What changed from `old` to `new`, in a stable order.
pub fn drift(old: &Value, new: &Value) -> Vec<Change> {
    let (old, new) = (facts(old), facts(new));
    let mut changes = Vec::new();
    let locations: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let empty = BTreeMap::new();
    for at in locations {
        let (before, after) = (old.get(at).unwrap_or(&empty), new.get(at).unwrap_or(&empty));
        for (what, value) in before {
            match after.get(what) {
                None => changes.push(Change::Removed {
                    at: at.clone(),
                    what: fact_text(what, value),
                }),
                Some(v) if v != value => changes.push(Change::Changed {
                    at: at.clone(),
                    what: what.clone(),
                    from: value.clone(),
                    to: v.clone(),
                }),
                Some(_) => {}
            }
        }
        for (what, value) in after {
            if !before.contains_key(what) {
                changes.push(Change::Added {
                    at: at.clone(),
                    what: fact_text(what, value),
                });
            }
        }
    }
    changes
}

fn fact_text(what: &str, value: &str) -> String {
    if value.is_empty() {
        what.to_string()
    } else {
        format!("{what} = {value}")
    }
}

/// The outcome of comparing the vendored fragment with a freshly derived one.
#[derive(Debug)]
pub struct Refresh {
    /// The freshly derived fragment.
    pub fragment: Value,
    /// What differs from the vendored fragment, in user terms.
    pub changes: Vec<Change>,
    /// Whether the two fragments differ at all (prose of our own included).
    pub stale: bool,
    /// Why code generation would fail on the new fragment, when it would: a normalization
    /// rule needs updating before the new fragment can be vendored.
    pub generation_problem: Option<String>,
}

/// Derives a fragment from `upstream` and compares it with `vendored`.
pub fn compare(upstream: &Value, vendored: &Value) -> Result<Refresh, SpecError> {
    let fragment = derive(upstream)?;
    let generation_problem = normalize::normalize(&fragment).err();
    let changes = drift(vendored, &fragment);
    let stale = &fragment != vendored;
    Ok(Refresh {
        fragment,
        changes,
        stale,
        generation_problem,
    })
}

//! The changes this crate makes to the vendored fragment before progenitor sees it.
//!
//! The vendored fragment (`openapi/operations.json`) is Atlassian's structure for the nine
//! Operations endpoints, unchanged apart from prose. Code generation needs a few edits on top
//! of that; each is a named rule below with the reason it exists. The build script and the
//! `jira-ops spec` command share this file, so what is generated and what is reviewed are the
//! same thing.
//!
//! This file depends on `serde_json` only: the build script includes it by path.

use serde_json::{Map, Value, json};

/// One rule applied to the fragment: its name and why it exists.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Short name, printed by `jira-ops spec rules`.
    pub name: &'static str,
    /// Why the generated client needs it.
    pub reason: &'static str,
    apply: fn(&mut Value) -> Result<(), String>,
}

/// The rules, in the order they are applied.
pub const RULES: &[Rule] = &[
    Rule {
        name: "drop-authorization-header",
        reason: "every operation declares a required `Authorization` header; the signing hook \
                 adds a fresh Connect JWT per request, so it must not be a method argument",
        apply: drop_authorization_header,
    },
    Rule {
        name: "declare-documented-query-parameters",
        reason: "Atlassian documents `workspaceIds` (one comma-joined value) on the workspace \
                 bulk delete and `workspaceId` on the workspace GET only in prose; without a \
                 declaration the generated methods cannot send them",
        apply: declare_documented_query_parameters,
    },
    Rule {
        name: "merge-submit-any-of",
        reason: "the submit body is an `anyOf` of an incidents branch and a reviews branch with \
                 no `required`; generators turn it into an untagged enum that always matches \
                 the first branch and drops the other, so both become optional fields of one object",
        apply: merge_submit_any_of,
    },
    Rule {
        name: "name-schemas",
        reason: "every upstream schema is inline; without component names the generated types \
                 get invented names and duplicates (one struct per place a schema appears)",
        apply: name_schemas,
    },
    Rule {
        name: "add-missing-object-types",
        reason: "schemas with `properties` but no `type` make typify panic or fall back to \
                 untyped JSON; array keywords on such objects (a stray `minItems`) are dropped",
        apply: add_missing_object_types,
    },
    Rule {
        name: "success-responses-only",
        reason: "progenitor panics when error responses mix bodies and no bodies (400 vs 401), \
                 and would read an HTML 401 as JSON; the hand-written error layer decodes every \
                 non-2xx answer itself. Success codes become `2XX` so a 200 where 202 is \
                 documented is not an error",
        apply: success_responses_only,
    },
    Rule {
        name: "tolerant-types",
        reason: "`additionalProperties: false` would make a new field from Jira fail a whole \
                 response, and lengths, counts, patterns and formats would become validating \
                 newtypes that fail a whole request; the crate checks those limits per entity \
                 instead, so one bad incident is reported without sinking the others",
        apply: tolerant_types,
    },
];

/// Applies every rule to a copy of the vendored fragment.
pub fn normalize(fragment: &Value) -> Result<Value, String> {
    normalize_before(fragment, None)
}

/// Applies the rules up to, and not including, the one named `stop` (all of them for `None`).
///
/// The build script reads the spec's limits from the fragment just before `tolerant-types`,
/// when schemas have names but still carry every constraint.
pub fn normalize_before(fragment: &Value, stop: Option<&str>) -> Result<Value, String> {
    let mut spec = fragment.clone();
    for rule in RULES.iter().take_while(|r| Some(r.name) != stop) {
        (rule.apply)(&mut spec).map_err(|e| format!("rule `{}`: {e}", rule.name))?;
    }
    Ok(spec)
}

const BULK: &str = "/rest/operations/1.0/bulk";
const WORKSPACES: &str = "/rest/operations/1.0/linkedWorkspaces";
const WORKSPACES_BULK: &str = "/rest/operations/1.0/linkedWorkspaces/bulk";
const INCIDENT: &str = "/rest/operations/1.0/incidents/{incidentId}";
const REVIEW: &str = "/rest/operations/1.0/post-incident-reviews/{reviewId}";

fn paths(spec: &mut Value) -> Result<&mut Map<String, Value>, String> {
    spec.get_mut("paths")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| "the fragment has no `paths` object".to_string())
}

fn operation<'a>(spec: &'a mut Value, path: &str, method: &str) -> Result<&'a mut Value, String> {
    paths(spec)?
        .get_mut(path)
        .and_then(|item| item.get_mut(method))
        .ok_or_else(|| {
            format!(
                "the fragment has no `{} {path}` operation",
                method.to_uppercase()
            )
        })
}

fn is_authorization(param: &Value) -> bool {
    param.get("in").and_then(Value::as_str) == Some("header")
        && param
            .get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| n.eq_ignore_ascii_case("authorization"))
}

fn drop_authorization_header(spec: &mut Value) -> Result<(), String> {
    for item in paths(spec)?.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (key, value) in item.iter_mut() {
            // Path-level parameters and each operation's own parameters.
            let params = if key == "parameters" {
                Some(value)
            } else {
                value.get_mut("parameters")
            };
            if let Some(Value::Array(list)) = params {
                list.retain(|p| !is_authorization(p));
            }
        }
        if item
            .get("parameters")
            .and_then(Value::as_array)
            .is_some_and(Vec::is_empty)
        {
            item.remove("parameters");
        }
        for op in item.values_mut() {
            if let Some(op) = op.as_object_mut()
                && op
                    .get("parameters")
                    .and_then(Value::as_array)
                    .is_some_and(Vec::is_empty)
            {
                op.remove("parameters");
            }
        }
    }
    Ok(())
}

fn add_query_parameter(op: &mut Value, name: &str, required: bool) -> Result<(), String> {
    let op = op.as_object_mut().ok_or("operation is not an object")?;
    let params = op.entry("parameters").or_insert_with(|| json!([]));
    let list = params
        .as_array_mut()
        .ok_or("`parameters` is not an array")?;
    if list
        .iter()
        .any(|p| p.get("name").and_then(Value::as_str) == Some(name))
    {
        // Atlassian declared it at last: keep theirs.
        return Ok(());
    }
    list.push(json!({
        "name": name,
        "in": "query",
        "required": required,
        "schema": {"type": "string"},
    }));
    Ok(())
}

fn declare_documented_query_parameters(spec: &mut Value) -> Result<(), String> {
    add_query_parameter(
        operation(spec, WORKSPACES_BULK, "delete")?,
        "workspaceIds",
        true,
    )?;
    add_query_parameter(operation(spec, WORKSPACES, "get")?, "workspaceId", false)
}

fn json_schema<'a>(op: &'a mut Value, at: &str) -> Result<&'a mut Value, String> {
    op.pointer_mut(at)
        .ok_or_else(|| format!("no schema at `{at}`"))
}

const REQUEST_SCHEMA: &str = "/requestBody/content/application~1json/schema";

fn merge_submit_any_of(spec: &mut Value) -> Result<(), String> {
    let body = json_schema(operation(spec, BULK, "post")?, REQUEST_SCHEMA)?;
    let Some(body) = body.as_object_mut() else {
        return Err("the submit body schema is not an object".into());
    };
    let Some(Value::Array(branches)) = body.remove("anyOf") else {
        // Already a plain object: nothing to merge.
        return Ok(());
    };
    let properties = body.entry("properties").or_insert_with(|| json!({}));
    let properties = properties
        .as_object_mut()
        .ok_or("`properties` is not an object")?;
    for branch in branches {
        let Some(Value::Object(fields)) = branch.get("properties").cloned() else {
            return Err("an `anyOf` branch of the submit body has no properties".into());
        };
        for (name, schema) in fields {
            if properties.insert(name.clone(), schema).is_some() {
                return Err(format!("field `{name}` appears in more than one branch"));
            }
        }
    }
    body.insert("type".into(), json!("object"));
    Ok(())
}

/// Where each named schema sits in the fragment (JSON pointers below `paths`).
fn schema_names() -> Vec<(String, &'static str)> {
    let p = |path: &str, rest: &str| {
        format!(
            "/paths/{}{rest}",
            path.replace('~', "~0").replace('/', "~1")
        )
    };
    let ok = |code: &str| format!("/responses/{code}/content/application~1json/schema");
    let submit = p(BULK, &format!("/post{REQUEST_SCHEMA}"));
    let incident = format!("{submit}/properties/incidents/items");
    let review = format!("{submit}/properties/reviews/items");
    vec![
        // Leaves first, so their parents refer to them by name.
        (format!("{incident}/properties/status"), "IncidentStatus"),
        (
            format!("{incident}/properties/severity/properties/level"),
            "SeverityLevel",
        ),
        (
            format!("{incident}/properties/severity"),
            "IncidentSeverity",
        ),
        (
            format!("{incident}/properties/schemaVersion"),
            "SchemaVersion",
        ),
        (
            format!("{incident}/properties/associations/items/properties/associationType"),
            "AssociationType",
        ),
        (
            format!("{incident}/properties/associations/items"),
            "Association",
        ),
        (format!("{review}/properties/status"), "ReviewStatus"),
        (
            format!("{review}/properties/schemaVersion"),
            "SchemaVersion",
        ),
        (
            format!("{review}/properties/associations/items/properties/associationType"),
            "AssociationType",
        ),
        (
            format!("{review}/properties/associations/items"),
            "Association",
        ),
        (
            p(INCIDENT, &format!("/get{}/properties/status", ok("200"))),
            "IncidentStatus",
        ),
        (
            p(
                INCIDENT,
                &format!("/get{}/properties/severity/properties/level", ok("200")),
            ),
            "SeverityLevel",
        ),
        (
            p(INCIDENT, &format!("/get{}/properties/severity", ok("200"))),
            "IncidentSeverity",
        ),
        (
            p(
                INCIDENT,
                &format!("/get{}/properties/schemaVersion", ok("200")),
            ),
            "SchemaVersion",
        ),
        (
            p(
                INCIDENT,
                &format!(
                    "/get{}/properties/associations/items/properties/associationType",
                    ok("200")
                ),
            ),
            "AssociationType",
        ),
        (
            p(
                INCIDENT,
                &format!("/get{}/properties/associations/items", ok("200")),
            ),
            "Association",
        ),
        (
            p(REVIEW, &format!("/get{}/properties/status", ok("200"))),
            "ReviewStatus",
        ),
        (
            p(
                REVIEW,
                &format!("/get{}/properties/schemaVersion", ok("200")),
            ),
            "SchemaVersion",
        ),
        (
            p(
                REVIEW,
                &format!(
                    "/get{}/properties/associations/items/properties/associationType",
                    ok("200")
                ),
            ),
            "AssociationType",
        ),
        (
            p(
                REVIEW,
                &format!("/get{}/properties/associations/items", ok("200")),
            ),
            "Association",
        ),
        (incident, "Incident"),
        (review, "Review"),
        (
            format!("{submit}/properties/providerMetadata"),
            "ProviderMetadata",
        ),
        (submit.clone(), "SubmitEntityRequest"),
        (
            p(
                BULK,
                &format!(
                    "/post{}/properties/failedIncidents/additionalProperties/items",
                    ok("202")
                ),
            ),
            "ErrorMessage",
        ),
        (
            p(BULK, &format!("/post{}", ok("202"))),
            "SubmitEntityResponse",
        ),
        (p(INCIDENT, &format!("/get{}", ok("200"))), "Incident"),
        (p(REVIEW, &format!("/get{}", ok("200"))), "Review"),
        (
            p(WORKSPACES_BULK, &format!("/post{REQUEST_SCHEMA}")),
            "SubmitWorkspacesRequest",
        ),
        (
            p(WORKSPACES_BULK, &format!("/post{}", ok("202"))),
            "SubmitWorkspacesResponse",
        ),
        (p(WORKSPACES, &format!("/get{}", ok("200"))), "WorkspaceIds"),
    ]
}

/// Drops what does not change the meaning of a schema, to compare two places.
fn shape(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| {
                    !matches!(k.as_str(), "title" | "description" | "example" | "default")
                })
                .map(|(k, v)| (k.clone(), shape(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(shape).collect()),
        other => other.clone(),
    }
}

fn name_schemas(spec: &mut Value) -> Result<(), String> {
    let mut components = Map::new();
    for (pointer, name) in schema_names() {
        let Some(slot) = spec.pointer_mut(&pointer) else {
            return Err(format!("no schema at `{pointer}` to name `{name}`"));
        };
        let schema = std::mem::replace(
            slot,
            json!({"$ref": format!("#/components/schemas/{name}")}),
        );
        match components.get(name) {
            Some(existing) if shape(existing) != shape(&schema) => {
                return Err(format!(
                    "`{name}` has two different shapes in the fragment (one at `{pointer}`); \
                     give the new one its own name"
                ));
            }
            Some(_) => {}
            None => {
                components.insert(name.to_string(), schema);
            }
        }
    }
    let root = spec
        .as_object_mut()
        .ok_or("the fragment is not an object")?;
    let existing = root.entry("components").or_insert_with(|| json!({}));
    let existing = existing
        .as_object_mut()
        .ok_or("`components` is not an object")?;
    let schemas = existing.entry("schemas").or_insert_with(|| json!({}));
    let schemas = schemas
        .as_object_mut()
        .ok_or("`components.schemas` is not an object")?;
    schemas.extend(components);
    Ok(())
}

/// Calls `f` on every schema of the fragment, parents before children.
pub fn visit_schemas(spec: &mut Value, f: &mut dyn FnMut(&mut Map<String, Value>)) {
    if let Some(Value::Object(schemas)) = spec.pointer_mut("/components/schemas") {
        schemas.values_mut().for_each(|s| visit_schema(s, f));
    }
    let Some(Value::Object(paths)) = spec.get_mut("paths") else {
        return;
    };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for (key, op) in item.iter_mut() {
            let params = if key == "parameters" {
                Some(&mut *op)
            } else {
                op.get_mut("parameters")
            };
            if let Some(Value::Array(list)) = params {
                for param in list {
                    if let Some(schema) = param.get_mut("schema") {
                        visit_schema(schema, f);
                    }
                }
            }
            if let Some(Value::Object(content)) = op.pointer_mut("/requestBody/content") {
                content
                    .values_mut()
                    .filter_map(|m| m.get_mut("schema"))
                    .for_each(|s| visit_schema(s, f));
            }
            if let Some(Value::Object(responses)) = op.get_mut("responses") {
                for response in responses.values_mut() {
                    if let Some(Value::Object(content)) = response.get_mut("content") {
                        content
                            .values_mut()
                            .filter_map(|m| m.get_mut("schema"))
                            .for_each(|s| visit_schema(s, f));
                    }
                }
            }
        }
    }
}

fn visit_schema(schema: &mut Value, f: &mut dyn FnMut(&mut Map<String, Value>)) {
    let Some(map) = schema.as_object_mut() else {
        return;
    };
    f(map);
    if let Some(Value::Object(fields)) = map.get_mut("properties") {
        fields.values_mut().for_each(|s| visit_schema(s, f));
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child) = map.get_mut(key) {
            visit_schema(child, f);
        }
    }
    for key in ["anyOf", "allOf", "oneOf"] {
        if let Some(Value::Array(list)) = map.get_mut(key) {
            list.iter_mut().for_each(|s| visit_schema(s, f));
        }
    }
}

fn add_missing_object_types(spec: &mut Value) -> Result<(), String> {
    visit_schemas(spec, &mut |schema| {
        let has_fields = schema.get("properties").is_some_and(Value::is_object);
        if has_fields && !schema.contains_key("type") {
            schema.insert("type".into(), json!("object"));
        }
        if schema.get("type").and_then(Value::as_str) == Some("object") {
            schema.remove("minItems");
            schema.remove("maxItems");
        }
    });
    Ok(())
}

fn success_responses_only(spec: &mut Value) -> Result<(), String> {
    for item in paths(spec)?.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if method == "parameters" {
                continue;
            }
            let responses = op
                .get_mut("responses")
                .and_then(Value::as_object_mut)
                .ok_or_else(|| format!("`{method}` has no responses"))?;
            let success: Vec<Value> = responses
                .iter()
                .filter(|(code, _)| code.starts_with('2'))
                .map(|(_, r)| r.clone())
                .collect();
            let [response] = success.as_slice() else {
                return Err(format!(
                    "`{method}` has {} success responses, expected one",
                    success.len()
                ));
            };
            *responses = Map::from_iter([("2XX".to_string(), response.clone())]);
        }
    }
    Ok(())
}

const CONSTRAINTS: &[&str] = &[
    "maxLength",
    "minLength",
    "minItems",
    "maxItems",
    "maxProperties",
    "pattern",
    "format",
];

fn tolerant_types(spec: &mut Value) -> Result<(), String> {
    visit_schemas(spec, &mut |schema| {
        if schema.get("additionalProperties") == Some(&Value::Bool(false)) {
            schema.remove("additionalProperties");
        }
        for keyword in CONSTRAINTS {
            schema.remove(*keyword);
        }
    });
    Ok(())
}

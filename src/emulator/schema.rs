//! The request schemas of the vendored fragment, compiled once, and the error messages an
//! emulator derives from them.
//!
//! The fragment is the contract: validating against it (rather than against rules restated by
//! hand) keeps the emulator exactly as strict as the published spec, unknown fields, lengths,
//! enums, formats and item counts included. Schemas are OpenAPI 3.0 schema objects, a dialect
//! of JSON Schema draft 4; formats (`uri`, `date-time`) are checked.

use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Validator};
use serde_json::Value;

use crate::spec::VENDORED;

/// JSON pointer to the body schema of `submitEntity`.
pub(crate) const SUBMIT_ENTITY_BODY: &str =
    "/paths/~1rest~1operations~11.0~1bulk/post/requestBody/content/application~1json/schema";

/// JSON pointer to the body schema of `submitOperationsWorkspaces`.
pub(crate) const SUBMIT_WORKSPACES_BODY: &str = "/paths/~1rest~1operations~11.0~1linkedWorkspaces~1bulk/post/requestBody/content/application~1json/schema";

/// The compiled request validators.
pub(crate) struct Schemas {
    pub(crate) incident: Validator,
    pub(crate) review: Validator,
    pub(crate) properties: Validator,
    pub(crate) provider_metadata: Validator,
    pub(crate) workspaces: Validator,
}

impl std::fmt::Debug for Schemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schemas").finish_non_exhaustive()
    }
}

/// The validators, compiled on first use and shared by every emulator in the process.
pub(crate) fn schemas() -> Result<&'static Schemas, String> {
    static SCHEMAS: OnceLock<Result<Schemas, String>> = OnceLock::new();
    SCHEMAS.get_or_init(compile).as_ref().map_err(Clone::clone)
}

fn compile() -> Result<Schemas, String> {
    let spec: Value = serde_json::from_str(VENDORED)
        .map_err(|e| format!("the vendored fragment is not JSON: {e}"))?;
    let build = |pointer: String| -> Result<Validator, String> {
        let schema = spec
            .pointer(&pointer)
            .ok_or_else(|| format!("the vendored fragment has nothing at {pointer}"))?;
        jsonschema::options()
            .with_draft(Draft::Draft4)
            .should_validate_formats(true)
            .build(schema)
            .map_err(|e| format!("the schema at {pointer} does not compile: {e}"))
    };
    Ok(Schemas {
        incident: build(format!(
            "{SUBMIT_ENTITY_BODY}/anyOf/0/properties/incidents/items"
        ))?,
        review: build(format!(
            "{SUBMIT_ENTITY_BODY}/anyOf/1/properties/reviews/items"
        ))?,
        properties: build(format!("{SUBMIT_ENTITY_BODY}/properties/properties"))?,
        provider_metadata: build(format!("{SUBMIT_ENTITY_BODY}/properties/providerMetadata"))?,
        workspaces: build(SUBMIT_WORKSPACES_BODY.to_string())?,
    })
}

/// One message per schema violation of `instance`, naming the offending field by its JSON
/// pointer (`prefix` followed by the path inside `instance`) and never quoting the value;
/// `what` names `instance` itself when the violation is at its root.
pub(crate) fn violations(
    validator: &Validator,
    instance: &Value,
    prefix: &str,
    what: &str,
) -> Vec<String> {
    // The common case, without collecting errors.
    if validator.is_valid(instance) {
        return Vec::new();
    }
    validator
        .iter_errors(instance)
        .map(|error| {
            let at = format!("{prefix}{}", error.instance_path().as_str());
            let subject = if at.is_empty() {
                what.to_string()
            } else {
                format!("`{at}`")
            };
            let message = match error.kind() {
                ValidationErrorKind::Enum { options } => {
                    let allowed: Vec<String> = options
                        .as_array()
                        .map(|values| values.iter().map(Value::to_string).collect())
                        .unwrap_or_default();
                    format!("{subject} must be one of {}", allowed.join(", "))
                }
                _ => error.masked_with(subject.as_str()).to_string(),
            };
            if at.is_empty() || message.starts_with(&subject) {
                message
            } else {
                format!("{subject}: {message}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn incident() -> Value {
        json!({
            "schemaVersion": "1.0",
            "id": "INC-1",
            "updateSequenceNumber": 1,
            "summary": "VPN down",
            "description": "x",
            "url": "https://ops.example/inc/1",
            "createdDate": "2024-01-15T10:00:00Z",
            "lastUpdated": "2024-01-15T10:00:00.123+01:00",
            "status": "open",
            "affectedComponents": ["comp-1"]
        })
    }

    #[test]
    fn the_vendored_schemas_compile() {
        schemas().unwrap();
    }

    #[test]
    fn a_complete_incident_is_valid() {
        let s = schemas().unwrap();
        assert_eq!(
            violations(&s.incident, &incident(), "", "the incident"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn formats_are_checked() {
        let s = schemas().unwrap();
        let mut bad = incident();
        bad["url"] = json!("not a url");
        bad["createdDate"] = json!("2024-01-15 10:00");
        let messages = violations(&s.incident, &bad, "", "the incident");
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(
            messages
                .iter()
                .any(|m| m.contains("`/url`") && m.contains("uri"))
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("`/createdDate`") && m.contains("date-time"))
        );
    }

    #[test]
    fn unknown_fields_are_named_and_values_are_not_quoted() {
        let s = schemas().unwrap();
        let mut bad = incident();
        bad["title"] = json!("t");
        bad["summary"] = json!("s".repeat(256));
        let messages = violations(&s.incident, &bad, "", "the incident");
        assert!(
            messages.iter().any(|m| m.contains("'title'")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("`/summary`") && m.contains("255"))
        );
        assert!(
            messages.iter().all(|m| !m.contains("sssss")),
            "{messages:?}"
        );
    }
}

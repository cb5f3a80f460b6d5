//! Generates the Operations client from the vendored fragment in `openapi/`.
//!
//! The fragment is normalized first by the rules in `src/spec/normalize.rs` (shared with the
//! `jira-ops spec` command), then handed to progenitor. Two files land in `OUT_DIR`:
//! `codegen.rs`, the generated client, and `spec_facts.rs`, the spec's limits, enum values and
//! per-operation scopes, which the validation and error layers read so they follow the spec.
//! No network is used, and a fragment that cannot be generated is a build error saying why.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::Value;

#[path = "src/spec/normalize.rs"]
#[allow(dead_code)]
mod normalize;

const FRAGMENT: &str = "openapi/operations.json";

/// Enums of the fragment that become forward-compatible hand-written types.
const OPEN_ENUMS: &[&str] = &[
    "IncidentStatus",
    "ReviewStatus",
    "SeverityLevel",
    "AssociationType",
    "SchemaVersion",
];

fn main() {
    println!("cargo::rerun-if-changed=openapi");
    println!("cargo::rerun-if-changed=src/spec/normalize.rs");
    if let Err(message) = run() {
        println!("cargo::error={FRAGMENT}: {message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let text = std::fs::read_to_string(FRAGMENT).map_err(|e| format!("cannot read: {e}"))?;
    let fragment: Value = serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))?;
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?);

    let named = normalize::normalize_before(&fragment, Some("tolerant-types"))?;
    std::fs::write(out.join("spec_facts.rs"), spec_facts(&named)?).map_err(|e| e.to_string())?;

    let normalized = normalize::normalize(&fragment)?;
    let spec: openapiv3::OpenAPI = serde_json::from_value(normalized)
        .map_err(|e| format!("not a valid OpenAPI 3.0 document after normalization: {e}"))?;
    let code = generate(&spec)?;
    std::fs::write(out.join("codegen.rs"), code).map_err(|e| e.to_string())
}

fn generate(spec: &openapiv3::OpenAPI) -> Result<String, String> {
    let mut settings = progenitor::GenerationSettings::new();
    settings
        .with_interface(progenitor::InterfaceStyle::Positional)
        .with_tag(progenitor::TagStyle::Merged)
        .with_inner_type(quote::quote!(crate::auth::Signer))
        .with_hooks(progenitor::HooksMode::Expected)
        .with_map_type("std::collections::BTreeMap")
        .with_derive("PartialEq");
    // The submit answer keeps fields the spec does not name (see `crate::model`).
    settings.with_replacement(
        "SubmitEntityResponse",
        "crate::model::SubmitEntityResponse",
        [progenitor::TypeImpl::Default].into_iter(),
    );
    for name in OPEN_ENUMS {
        let replacement = format!("crate::model::{name}");
        settings.with_replacement(
            *name,
            replacement,
            [progenitor::TypeImpl::Display].into_iter(),
        );
    }

    // progenitor reports some unsupported input by panicking; turn that into a build error.
    let spec = spec.clone();
    let tokens = std::panic::catch_unwind(move || {
        progenitor::Generator::new(&settings).generate_tokens(&spec)
    })
    .map_err(|panic| {
        let text = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        format!("progenitor cannot generate this fragment: {text}")
    })?
    .map_err(|e| format!("progenitor cannot generate this fragment: {e}"))?;

    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    use_our_encode_path(&mut file)?;
    Ok(prettyplease::unparse(&file))
}

/// Drops `encode_path` from the generated `use progenitor_client::{...}`, so path parameters
/// go through `crate::generated::encode_path`, which also escapes what progenitor's leaves
/// bare (see there). Fails the build if the generated code stops importing it this way, since
/// path parameters would then bypass our encoder unnoticed.
fn use_our_encode_path(file: &mut syn::File) -> Result<(), String> {
    let mut removed = false;
    for item in &mut file.items {
        let syn::Item::Use(item) = item else {
            continue;
        };
        let syn::UseTree::Path(path) = &mut item.tree else {
            continue;
        };
        if path.ident != "progenitor_client" {
            continue;
        }
        let syn::UseTree::Group(group) = path.tree.as_mut() else {
            continue;
        };
        let before = group.items.len();
        group.items = std::mem::take(&mut group.items)
            .into_iter()
            .filter(|tree| !matches!(tree, syn::UseTree::Name(name) if name.ident == "encode_path"))
            .collect();
        removed |= group.items.len() != before;
    }
    if removed {
        Ok(())
    } else {
        Err(
            "the generated code no longer imports `progenitor_client::encode_path`; \
             check how it encodes path parameters before building"
                .to_string(),
        )
    }
}

fn const_name(parts: &[&str]) -> String {
    let mut name = String::new();
    for part in parts {
        if !name.is_empty() {
            name.push('_');
        }
        let mut prev_lower = false;
        for c in part.chars() {
            if c.is_ascii_uppercase() && prev_lower {
                name.push('_');
            }
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            name.push(if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            });
        }
    }
    name
}

/// Limits, enum values, required fields and scopes, as Rust constants.
fn spec_facts(named: &Value) -> Result<String, String> {
    let schemas = named
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .ok_or("no named schemas after normalization")?;
    let mut out = String::from("// Generated by build.rs from openapi/operations.json.\n\n");
    let keywords = [
        ("maxLength", "MAX_LENGTH"),
        ("minItems", "MIN_ITEMS"),
        ("maxItems", "MAX_ITEMS"),
        ("maxProperties", "MAX_PROPERTIES"),
    ];
    for (schema_name, schema) in schemas {
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            let list: Vec<String> = values.iter().map(|v| format!("{v}")).collect();
            let _ = writeln!(
                out,
                "pub(crate) const {}_VALUES: &[&str] = &[{}];",
                const_name(&[schema_name]),
                list.join(", ")
            );
        }
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            let list: Vec<String> = required.iter().map(|v| format!("{v}")).collect();
            let _ = writeln!(
                out,
                "pub(crate) const {}_REQUIRED: &[&str] = &[{}];",
                const_name(&[schema_name]),
                list.join(", ")
            );
        }
        let fields = schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten();
        for (field, field_schema) in fields {
            let mut targets = vec![(field.as_str(), "", field_schema)];
            if let Some(extra) = field_schema
                .get("additionalProperties")
                .filter(|v| v.is_object())
            {
                targets.push((field.as_str(), "VALUE", extra));
            }
            for (field, suffix, target) in targets {
                for (keyword, kw_name) in keywords {
                    if let Some(n) = target.get(keyword).and_then(Value::as_u64) {
                        let mut parts = vec![schema_name.as_str(), field];
                        if !suffix.is_empty() {
                            parts.push(suffix);
                        }
                        parts.push(kw_name);
                        let _ =
                            writeln!(out, "pub(crate) const {}: usize = {n};", const_name(&parts));
                    }
                }
            }
        }
    }

    // Scope per generated method name, for errors that say which scope a 403 needs.
    let mut scopes = BTreeMap::new();
    for (_, item) in named
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for (_, op) in item.as_object().into_iter().flatten() {
            let (Some(id), Some(scope)) = (
                op.get("operationId").and_then(Value::as_str),
                op.get("x-atlassian-connect-scope").and_then(Value::as_str),
            ) else {
                continue;
            };
            scopes.insert(const_name(&[id]).to_ascii_lowercase(), scope.to_string());
        }
    }
    out.push_str("pub(crate) const OPERATION_SCOPES: &[(&str, &str)] = &[\n");
    for (op, scope) in scopes {
        let _ = writeln!(out, "    ({op:?}, {scope:?}),");
    }
    out.push_str("];\n");
    Ok(out)
}

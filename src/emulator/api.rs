//! The emulated Operations API: routes, authentication and the nine operations, plus the
//! admin view under `/__emulator/`.
//!
//! Routing comes first (an unknown path is 404, a known path with another method 405, neither
//! authenticated), then the Connect JWT (401), then the app's module and scope (403), then the
//! operation. Error bodies follow the spec: `ErrorMessages` (`[{"message": "..."}]`) for 400,
//! 413 and other errors; nothing for 401, 403, 404 and the 202s of deletes. Why a request was
//! refused is logged, never sent.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::{Bytes, BytesMut};
use futures::StreamExt as _;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use tokio::time::Instant;

use super::config::Scope;
use super::schema::violations;
use super::store::{Entity, Kind, Operation, Properties};
use super::{EmulatorState, Shared};
use crate::auth::{Incoming, Rejection};
use crate::spec_facts;

/// Where the admin view lives.
pub(crate) const ADMIN_PREFIX: &str = "/__emulator/";

const INCIDENTS: &str = "/rest/operations/1.0/incidents/";
const REVIEWS: &str = "/rest/operations/1.0/post-incident-reviews/";

/// How much of an over-limit body is read and discarded before answering 413, so the client
/// finishes sending and sees the answer rather than a broken connection.
const DRAIN_CAP: usize = 256 * 1024 * 1024;

/// The router of one emulator. Every API handler takes [`Authenticated`] first, so routing
/// (404, 405) happens before authentication; admin handlers do not.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/rest/operations/1.0/bulk", post(submit_entity))
        .route(
            "/rest/operations/1.0/bulkByProperties",
            axum::routing::delete(delete_by_properties),
        )
        .route(
            "/rest/operations/1.0/incidents/{incidentId}",
            get(get_incident).delete(delete_incident),
        )
        .route(
            "/rest/operations/1.0/post-incident-reviews/{reviewId}",
            get(get_review).delete(delete_review),
        )
        .route("/rest/operations/1.0/linkedWorkspaces", get(get_workspaces))
        .route(
            "/rest/operations/1.0/linkedWorkspaces/bulk",
            post(submit_workspaces).delete(delete_workspaces),
        );

    let admin = Router::new()
        .route("/__emulator/state", get(admin_state))
        .route("/__emulator/reset", post(admin_reset));

    api.merge(admin)
        .fallback(not_found)
        // Bodies are read by hand against the configured limit (answering 413 with an
        // `ErrorMessages` body); this keeps axum's own 2 MB default out of the way.
        .layer(DefaultBodyLimit::max(shared.max_body_bytes))
        .with_state(shared)
}

async fn not_found() -> StatusCode {
    StatusCode::NOT_FOUND
}

// ---------------------------------------------------------------------------------------------
// Authentication

/// The scope an operation needs, from its method: READ for GETs, WRITE for POSTs, DELETE for
/// DELETEs (the spec's `x-atlassian-connect-scope` follows the method for all nine).
fn needed_scope(method: &Method) -> Scope {
    match *method {
        Method::GET | Method::HEAD => Scope::Read,
        Method::DELETE => Scope::Delete,
        _ => Scope::Write,
    }
}

/// Proof that the request carries a valid Connect JWT of an app with the Operations module
/// and the scope the method needs; refused with a bare 401 or 403 otherwise.
pub(crate) struct Authenticated;

impl FromRequestParts<Arc<Shared>> for Authenticated {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        shared: &Arc<Shared>,
    ) -> Result<Self, Self::Rejection> {
        authenticate(shared, parts).map_err(IntoResponse::into_response)
    }
}

fn authenticate(shared: &Shared, parts: &Parts) -> Result<Authenticated, StatusCode> {
    let method = &parts.method;
    let path = parts.uri.path();

    // The spec declares `Authorization` as a required header: a token in a `jwt` query
    // parameter is not looked at.
    let verified = match parts.headers.get(AUTHORIZATION) {
        None => Err(Rejection::Missing),
        Some(value) => match value.to_str() {
            Err(_) => Err(Rejection::Malformed),
            Ok(header) => shared.verifier.verify(
                &Incoming {
                    method: method.as_str(),
                    path,
                    query: parts.uri.query(),
                    authorization: Some(header),
                },
                false,
            ),
        },
    };
    let verified = match verified {
        Ok(verified) => verified,
        Err(rejection) => {
            tracing::warn!(%method, path, %rejection, "401: the Connect JWT was refused");
            return Err(StatusCode::UNAUTHORIZED);
        }
    };

    let needed = needed_scope(method);
    let Some(app) = shared.apps.get(&verified.issuer) else {
        tracing::warn!(%method, path, issuer = %verified.issuer, "401: no such app");
        return Err(StatusCode::UNAUTHORIZED);
    };
    if !app.operations_module {
        tracing::warn!(
            %method, path, app = %app.key,
            "403: the app does not declare the jiraOperationsInfoProvider module"
        );
        return Err(StatusCode::FORBIDDEN);
    }
    if !app.allows(needed) {
        tracing::warn!(
            %method, path, app = %app.key, %needed, declared = ?app.scopes,
            "403: the app lacks the scope this operation needs"
        );
        return Err(StatusCode::FORBIDDEN);
    }
    Ok(Authenticated)
}

// ---------------------------------------------------------------------------------------------
// Responses

#[derive(Serialize)]
struct ErrorMessage {
    message: String,
}

/// An `ErrorMessages` body: `[{"message": "..."}, ...]`.
fn error_messages<I, M>(status: StatusCode, messages: I) -> Response
where
    I: IntoIterator<Item = M>,
    M: Into<String>,
{
    let body: Vec<ErrorMessage> = messages
        .into_iter()
        .map(|m| ErrorMessage { message: m.into() })
        .collect();
    (status, axum::Json(body)).into_response()
}

fn bad_request(message: impl Into<String>) -> Response {
    error_messages(StatusCode::BAD_REQUEST, [message])
}

/// A request refused before its operation runs: the status and the messages of its
/// `ErrorMessages` body.
struct Refusal(StatusCode, Vec<String>);

impl Refusal {
    fn bad_request(message: impl Into<String>) -> Self {
        Self(StatusCode::BAD_REQUEST, vec![message.into()])
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        error_messages(self.0, self.1)
    }
}

fn json_bytes(status: StatusCode, body: Bytes) -> Response {
    (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response()
}

fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => json_bytes(status, Bytes::from(bytes)),
        Err(e) => error_messages(
            StatusCode::INTERNAL_SERVER_ERROR,
            [format!("cannot serialize the response: {e}")],
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Request bodies

/// Reads a JSON request body, answering 415 for another media type and 413 (with an
/// `ErrorMessages` body) when it is larger than the configured limit, whatever
/// `Content-Length` says.
async fn read_json_body(shared: &Shared, request: Request) -> Result<Bytes, Refusal> {
    let (parts, body) = request.into_parts();
    check_content_type(&parts.headers)?;

    let limit = shared.max_body_bytes;
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(declared) = declared
        && declared > limit as u64
    {
        drain(body, 0).await;
        return Err(too_large_body(Some(declared), limit));
    }

    let mut stream = body.into_data_stream();
    let mut buffer =
        BytesMut::with_capacity(declared.map_or(8 * 1024, |d| usize::try_from(d).unwrap_or(limit)));
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            Refusal::bad_request(format!("The request body could not be read: {e}"))
        })?;
        if buffer.len() + chunk.len() > limit {
            let mut seen = buffer.len() + chunk.len();
            while seen < DRAIN_CAP {
                match stream.next().await {
                    Some(Ok(more)) => seen += more.len(),
                    _ => break,
                }
            }
            return Err(too_large_body(None, limit));
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(buffer.freeze())
}

async fn drain(body: Body, mut seen: usize) {
    let mut stream = body.into_data_stream();
    while seen < DRAIN_CAP {
        match stream.next().await {
            Some(Ok(chunk)) => seen += chunk.len(),
            _ => break,
        }
    }
}

fn too_large_body(declared: Option<u64>, limit: usize) -> Refusal {
    let size = declared.map_or_else(
        || format!("more than {limit} bytes"),
        |d| format!("{d} bytes"),
    );
    Refusal(
        StatusCode::PAYLOAD_TOO_LARGE,
        vec![format!(
            "Data is too large: the request body is {size}, the limit is {limit} bytes. Submit fewer entities in each request."
        )],
    )
}

/// A request body must be JSON; a missing `Content-Type` is taken as JSON.
fn check_content_type(headers: &HeaderMap) -> Result<(), Refusal> {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Ok(());
    };
    let essence = value
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json" || essence.ends_with("+json") {
        Ok(())
    } else {
        Err(Refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            vec![format!(
                "The request body must be application/json, not `{essence}`."
            )],
        ))
    }
}

/// Parses a body that must be a JSON object.
fn parse_object(body: &[u8]) -> Result<Map<String, Value>, Refusal> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(Refusal::bad_request(
            "The request body must be a JSON object.",
        )),
        Err(e) => Err(Refusal::bad_request(format!(
            "The request body is not valid JSON: {e}"
        ))),
    }
}

/// The top-level members of a body that must be a JSON object, values left unparsed.
fn parse_raw_object(body: &[u8]) -> Result<BTreeMap<String, &RawValue>, Refusal> {
    serde_json::from_slice(body).map_err(|_| match parse_object(body) {
        Err(refusal) => refusal,
        Ok(_) => Refusal::bad_request("The request body must be a JSON object."),
    })
}

/// The items of the array under `field`: absent or `null` give none, anything but an array a
/// 400.
fn raw_array<'a>(
    top: &BTreeMap<String, &'a RawValue>,
    field: &str,
) -> Result<Vec<&'a RawValue>, Refusal> {
    match top.get(field) {
        None => Ok(Vec::new()),
        Some(raw) if raw.get() == "null" => Ok(Vec::new()),
        Some(raw) => serde_json::from_str(raw.get())
            .map_err(|_| Refusal::bad_request(format!("`{field}` must be an array."))),
    }
}

// ---------------------------------------------------------------------------------------------
// POST /bulk

#[derive(Serialize, Default)]
struct SubmitResponse {
    #[serde(rename = "acceptedIncidents")]
    accepted_incidents: Vec<String>,
    #[serde(rename = "failedIncidents", skip_serializing_if = "BTreeMap::is_empty")]
    failed_incidents: BTreeMap<String, Vec<ErrorMessage>>,
    #[serde(rename = "unknownProjectKeys", skip_serializing_if = "Vec::is_empty")]
    unknown_project_keys: Vec<String>,
}

/// An entity that passed validation: what it says, and the JSON it was sent as.
struct Valid<'a> {
    id: String,
    sequence: i64,
    item: Value,
    raw: &'a RawValue,
}

async fn submit_entity(
    _: Authenticated,
    State(shared): State<Arc<Shared>>,
    request: Request,
) -> Response {
    let body = match read_json_body(&shared, request).await {
        Ok(body) => body,
        Err(refusal) => return refusal.into_response(),
    };
    // Entities are kept as the raw JSON received: stored and read back byte for byte.
    let top = match parse_raw_object(&body) {
        Ok(top) => top,
        Err(refusal) => return refusal.into_response(),
    };
    let (incidents, reviews) = match (raw_array(&top, "incidents"), raw_array(&top, "reviews")) {
        (Ok(incidents), Ok(reviews)) => (incidents, reviews),
        (Err(refusal), _) | (_, Err(refusal)) => return refusal.into_response(),
    };

    let mut too_many = Vec::new();
    for (name, count, max) in [
        (
            "incidents",
            incidents.len(),
            spec_facts::SUBMIT_ENTITY_REQUEST_INCIDENTS_MAX_ITEMS,
        ),
        (
            "reviews",
            reviews.len(),
            spec_facts::SUBMIT_ENTITY_REQUEST_REVIEWS_MAX_ITEMS,
        ),
    ] {
        if count > max {
            too_many.push(format!(
                "Data is too large: {count} {name} in one request, at most {max} are accepted. Submit fewer {name} in each request."
            ));
        }
    }
    if !too_many.is_empty() {
        return error_messages(StatusCode::PAYLOAD_TOO_LARGE, too_many);
    }
    if incidents.is_empty() && reviews.is_empty() {
        return bad_request(
            "The request must contain at least one incident (`incidents`) or review (`reviews`).",
        );
    }

    let field = |name: &str| -> Option<Value> {
        top.get(name)
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
    };
    let properties = match check_properties(&shared, field("properties").as_ref()) {
        Ok(properties) => properties,
        Err(messages) => return error_messages(StatusCode::BAD_REQUEST, messages),
    };
    if let Some(metadata) = field("providerMetadata") {
        let messages = violations(
            &shared.schemas.provider_metadata,
            &metadata,
            "/providerMetadata",
            "`/providerMetadata`",
        );
        if !messages.is_empty() {
            return error_messages(StatusCode::BAD_REQUEST, messages);
        }
    }

    let mut response = SubmitResponse::default();
    let mut stored_incidents = Vec::with_capacity(incidents.len());
    for (index, raw) in incidents.into_iter().enumerate() {
        match check_entity(&shared, Kind::Incident, raw, index) {
            Err((key, messages)) => {
                response
                    .failed_incidents
                    .entry(key)
                    .or_default()
                    .extend(messages.into_iter().map(|message| ErrorMessage { message }));
            }
            Ok(valid) => {
                if resolves(&shared, &valid, &mut response.unknown_project_keys) {
                    response.accepted_incidents.push(valid.id.clone());
                    stored_incidents.push(valid);
                }
            }
        }
    }

    let mut stored_reviews = Vec::with_capacity(reviews.len());
    for (index, raw) in reviews.into_iter().enumerate() {
        match check_entity(&shared, Kind::Review, raw, index) {
            Err((key, messages)) => {
                tracing::info!(review = %key, ?messages, "review refused and not stored");
            }
            Ok(valid) => {
                if resolves(&shared, &valid, &mut response.unknown_project_keys) {
                    stored_reviews.push(valid);
                }
            }
        }
    }

    if !shared.retain_entities {
        shared.count_discarded(stored_incidents.len() + stored_reviews.len());
        return json(StatusCode::ACCEPTED, &response);
    }

    let entities = |valid: Vec<Valid<'_>>| -> Vec<(String, Entity)> {
        valid
            .into_iter()
            .map(|v| {
                (
                    v.id,
                    Entity {
                        sequence: v.sequence,
                        body: Bytes::copy_from_slice(v.raw.get().as_bytes()),
                        properties: Arc::clone(&properties),
                    },
                )
            })
            .collect()
    };
    let incidents = entities(stored_incidents);
    let reviews = entities(stored_reviews);

    let now = Instant::now();
    let due = now + shared.submit_delay;
    {
        let mut store = shared.lock_store();
        if !incidents.is_empty() {
            store.schedule(Operation::Upsert(Kind::Incident, incidents), due, now);
        }
        if !reviews.is_empty() {
            store.schedule(Operation::Upsert(Kind::Review, reviews), due, now);
        }
    }

    json(StatusCode::ACCEPTED, &response)
}

/// Validates the request-level `properties`: the fragment's schema (an object of at most 5
/// strings of at most 255 characters) plus the rules it states only in prose (keys without
/// `:` and not starting with `_`).
fn check_properties(
    shared: &Shared,
    properties: Option<&Value>,
) -> Result<Properties, Vec<String>> {
    let Some(value) = properties else {
        return Ok(Arc::new(Vec::new()));
    };
    let mut messages = violations(
        &shared.schemas.properties,
        value,
        "/properties",
        "`/properties`",
    );
    let mut pairs = Vec::new();
    if let Value::Object(map) = value {
        for (key, value) in map {
            if key.is_empty() || key.contains(':') || key.starts_with('_') {
                messages.push(format!(
                    "`/properties`: key `{key}` is not allowed: keys must be non-empty, must not contain `:` and must not start with `_`."
                ));
            }
            if let Value::String(value) = value {
                pairs.push((key.clone(), value.clone()));
            }
        }
    }
    if messages.is_empty() {
        Ok(Arc::new(pairs))
    } else {
        Err(messages)
    }
}

/// Validates one incident or review against the fragment's item schema plus the checks Jira
/// applies that the schema cannot express. On failure, gives the key it is reported under:
/// its `id`, or `<index N>` (its position in the array) when it has no usable `id`.
fn check_entity<'a>(
    shared: &Shared,
    kind: Kind,
    raw: &'a RawValue,
    index: usize,
) -> Result<Valid<'a>, (String, Vec<String>)> {
    let (validator, what) = match kind {
        Kind::Incident => (&shared.schemas.incident, "the incident"),
        Kind::Review => (&shared.schemas.review, "the review"),
    };
    // Already checked as JSON when the request was split into entities.
    let item: Value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
    let mut messages = violations(validator, &item, "", what);
    if !item.is_object() {
        messages.push(format!("{what} must be a JSON object."));
    }

    let id = item
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .map(str::to_string);
    if item.get("id").and_then(Value::as_str) == Some("") {
        messages.push("`/id` must not be empty.".into());
    }
    if item.get("url").and_then(Value::as_str) == Some("") {
        messages.push("`/url` must not be empty.".into());
    }
    let sequence = item.get("updateSequenceNumber").and_then(Value::as_i64);
    // An integer the schema accepts but Jira's 64-bit field cannot hold.
    if item.get("updateSequenceNumber").is_some_and(|n| {
        n.as_i64().is_none() && (n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0))
    }) {
        messages.push("`/updateSequenceNumber` must be a 64-bit signed integer.".into());
    }
    if let Some(associations) = item.get("associations").and_then(Value::as_array) {
        for (i, association) in associations.iter().enumerate() {
            match association.get("values").and_then(Value::as_array) {
                None if association.is_object() && association.get("values").is_none() => {
                    messages.push(format!(
                        "`/associations/{i}`: Associations must provide at least one value."
                    ));
                }
                Some(values) if values.is_empty() => messages.push(format!(
                    "`/associations/{i}/values`: Associations must provide at least one value."
                )),
                Some(values) if values.iter().any(|v| v.as_str() == Some("")) => {
                    messages.push(format!(
                        "`/associations/{i}/values`: association values must not be empty."
                    ));
                }
                _ => {}
            }
        }
    }

    match (id, sequence) {
        (Some(id), Some(sequence)) if messages.is_empty() => Ok(Valid {
            id,
            sequence,
            item,
            raw,
        }),
        (id, _) => {
            if messages.is_empty() {
                // Not reachable by the checks above; never report a failure without a reason.
                messages.push(format!(
                    "{what} has no usable `id` or `updateSequenceNumber`."
                ));
            }
            Err((id.unwrap_or_else(|| format!("<index {index}>")), messages))
        }
    }
}

/// The project key an `issueIdOrKeys` value names: what comes before its last `-`, or the
/// whole value when it has none.
fn project_key(value: &str) -> &str {
    value.rsplit_once('-').map_or(value, |(key, _)| key)
}

/// Whether `^\w{1,255}$` (the spec's pattern for reported project keys) matches, with `\w` as
/// in ECMAScript: ASCII letters, digits and `_`.
fn is_reportable_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Resolves the entity's issue associations against the site's projects, adding unknown
/// project keys to `unknown`. Gives whether the entity is stored: yes when it has no issue
/// association or at least one in a known project.
fn resolves(shared: &Shared, valid: &Valid<'_>, unknown: &mut Vec<String>) -> bool {
    let Some(associations) = valid.item.get("associations").and_then(Value::as_array) else {
        return true;
    };
    let mut any_issue = false;
    let mut any_known = false;
    for association in associations {
        if association.get("associationType").and_then(Value::as_str) != Some("issueIdOrKeys") {
            continue;
        }
        for value in association
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            any_issue = true;
            let key = project_key(value);
            if shared.projects.contains(&key.to_ascii_uppercase()) {
                any_known = true;
            } else if !is_reportable_key(key) {
                tracing::info!(id = %valid.id, value, "issue association names no possible project key");
            } else if !unknown.iter().any(|k| k == key) {
                unknown.push(key.to_string());
            }
        }
    }
    if any_issue && !any_known {
        tracing::info!(id = %valid.id, "not stored: every issue association is in an unknown project");
        return false;
    }
    true
}

// ---------------------------------------------------------------------------------------------
// GET / DELETE by ID

/// The percent-decoded ID at the end of `path`, after `prefix`.
fn id_from_path(path: &str, prefix: &str) -> String {
    let raw = path.strip_prefix(prefix).unwrap_or("");
    percent_encoding::percent_decode_str(raw)
        .decode_utf8_lossy()
        .into_owned()
}

fn get_entity(shared: &Shared, kind: Kind, id: &str) -> Response {
    let found = {
        let mut store = shared.lock_store();
        store.apply_due(Instant::now());
        store.get(kind, id)
    };
    match found {
        Some(body) => json_bytes(StatusCode::OK, body),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn delete_entity(shared: &Shared, kind: Kind, id: String) -> Response {
    let now = Instant::now();
    shared
        .lock_store()
        .schedule(Operation::Delete(kind, id), now + shared.delete_delay, now);
    StatusCode::ACCEPTED.into_response()
}

async fn get_incident(
    _: Authenticated,
    State(shared): State<Arc<Shared>>,
    request: Request,
) -> Response {
    get_entity(
        &shared,
        Kind::Incident,
        &id_from_path(request.uri().path(), INCIDENTS),
    )
}

async fn delete_incident(
    _: Authenticated,
    State(shared): State<Arc<Shared>>,
    request: Request,
) -> Response {
    delete_entity(
        &shared,
        Kind::Incident,
        id_from_path(request.uri().path(), INCIDENTS),
    )
}

async fn get_review(
    _: Authenticated,
    State(shared): State<Arc<Shared>>,
    request: Request,
) -> Response {
    get_entity(
        &shared,
        Kind::Review,
        &id_from_path(request.uri().path(), REVIEWS),
    )
}

async fn delete_review(
    _: Authenticated,
    State(shared): State<Arc<Shared>>,
    request: Request,
) -> Response {
    delete_entity(
        &shared,
        Kind::Review,
        id_from_path(request.uri().path(), REVIEWS),
    )
}

// ---------------------------------------------------------------------------------------------
// DELETE /bulkByProperties

/// The decoded query pairs, without `jwt` (which the `qsh` does not cover, so it cannot act
/// as a filter).
fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .filter(|(name, _)| name != "jwt")
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

async fn delete_by_properties(
    _: Authenticated,
    State(shared): State<Arc<Shared>>,
    request: Request,
) -> Response {
    let pairs = query_pairs(request.uri().query());
    let max = spec_facts::SUBMIT_ENTITY_REQUEST_PROPERTIES_MAX_PROPERTIES;
    if pairs.is_empty() {
        return bad_request(
            "Give at least one property to match, as a query parameter: ?key=value.",
        );
    }
    if pairs.len() > max {
        return bad_request(format!(
            "At most {max} properties can be matched, got {}.",
            pairs.len()
        ));
    }
    let bad_keys: Vec<String> = pairs
        .iter()
        .filter(|(key, _)| key.is_empty() || key.contains(':') || key.starts_with('_'))
        .map(|(key, _)| {
            format!(
                "Property key `{key}` is not allowed: keys must be non-empty, must not contain `:` and must not start with `_`."
            )
        })
        .collect();
    if !bad_keys.is_empty() {
        return error_messages(StatusCode::BAD_REQUEST, bad_keys);
    }

    let now = Instant::now();
    shared.lock_store().schedule(
        Operation::DeleteByProperties(pairs),
        now + shared.delete_delay,
        now,
    );
    StatusCode::ACCEPTED.into_response()
}

// ---------------------------------------------------------------------------------------------
// Workspaces

#[derive(Serialize)]
struct WorkspaceIds<'a> {
    #[serde(rename = "workspaceIds")]
    workspace_ids: Vec<&'a str>,
}

#[derive(Serialize)]
struct AcceptedWorkspaceIds {
    #[serde(rename = "acceptedWorkspaceIds")]
    accepted_workspace_ids: Vec<String>,
}

async fn submit_workspaces(
    _: Authenticated,
    State(shared): State<Arc<Shared>>,
    request: Request,
) -> Response {
    let body = match read_json_body(&shared, request).await {
        Ok(body) => body,
        Err(refusal) => return refusal.into_response(),
    };
    let object = match parse_object(&body) {
        Ok(object) => object,
        Err(refusal) => return refusal.into_response(),
    };

    let max = spec_facts::SUBMIT_WORKSPACES_REQUEST_WORKSPACE_IDS_MAX_ITEMS;
    if let Some(ids) = object.get("workspaceIds").and_then(Value::as_array)
        && ids.len() > max
    {
        return error_messages(
            StatusCode::PAYLOAD_TOO_LARGE,
            [format!(
                "The set of IDs is too large: {} workspace IDs, at most {max} are accepted.",
                ids.len()
            )],
        );
    }
    let object = Value::Object(object);
    let mut messages = violations(&shared.schemas.workspaces, &object, "", "the request body");
    let ids: Vec<&str> = object
        .get("workspaceIds")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if ids.contains(&"") {
        messages.push("`/workspaceIds`: workspace IDs must not be empty.".into());
    }
    if !messages.is_empty() {
        return error_messages(StatusCode::BAD_REQUEST, messages);
    }

    let mut accepted: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        if !accepted.iter().any(|a| a == id) {
            accepted.push(id.to_string());
        }
    }
    let now = Instant::now();
    shared.lock_store().schedule(
        Operation::Link(accepted.clone()),
        now + shared.submit_delay,
        now,
    );
    json(
        StatusCode::ACCEPTED,
        &AcceptedWorkspaceIds {
            accepted_workspace_ids: accepted,
        },
    )
}

async fn get_workspaces(
    _: Authenticated,
    State(shared): State<Arc<Shared>>,
    request: Request,
) -> Response {
    let wanted: Vec<String> = query_pairs(request.uri().query())
        .into_iter()
        .filter(|(name, _)| name == "workspaceId")
        .map(|(_, value)| value)
        .collect();

    let mut store = shared.lock_store();
    store.apply_due(Instant::now());
    let linked = store.workspaces();
    let workspace_ids: Vec<&str> = if wanted.is_empty() {
        linked.iter().map(String::as_str).collect()
    } else {
        let mut found: Vec<&str> = Vec::new();
        for id in &wanted {
            if let Some(stored) = linked.get(id)
                && !found.contains(&stored.as_str())
            {
                found.push(stored);
            }
        }
        found
    };
    // The 200 schema requires at least one ID, and the operation declares 404 for "no data".
    if workspace_ids.is_empty() {
        return StatusCode::NOT_FOUND.into_response();
    }
    json(StatusCode::OK, &WorkspaceIds { workspace_ids })
}

async fn delete_workspaces(
    _: Authenticated,
    State(shared): State<Arc<Shared>>,
    request: Request,
) -> Response {
    let mut ids: Vec<String> = Vec::new();
    for (_, value) in query_pairs(request.uri().query())
        .into_iter()
        .filter(|(name, _)| name == "workspaceIds")
    {
        for id in value.split(',').filter(|id| !id.is_empty()) {
            if !ids.iter().any(|known| known == id) {
                ids.push(id.to_string());
            }
        }
    }
    if ids.is_empty() {
        return bad_request(
            "Give the workspace IDs to delete as one comma-separated query parameter: ?workspaceIds=a,b,c.",
        );
    }

    let now = Instant::now();
    shared
        .lock_store()
        .schedule(Operation::Unlink(ids), now + shared.delete_delay, now);
    StatusCode::ACCEPTED.into_response()
}

// ---------------------------------------------------------------------------------------------
// Admin

async fn admin_state(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let with_ids = query_pairs(request.uri().query())
        .iter()
        .any(|(name, value)| name == "ids" && (value == "true" || value == "1"));
    let state: EmulatorState = shared.state(with_ids);
    json(StatusCode::OK, &state)
}

async fn admin_reset(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.reset();
    tracing::info!("emulator reset: all data cleared");
    StatusCode::NO_CONTENT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_key_is_what_precedes_the_last_dash() {
        assert_eq!(project_key("OPS-12"), "OPS");
        assert_eq!(project_key("MY-OPS-12"), "MY-OPS");
        assert_eq!(project_key("OPS"), "OPS");
        assert_eq!(project_key("10042"), "10042");
    }

    #[test]
    fn reportable_keys_match_the_spec_pattern() {
        assert!(is_reportable_key("UTF"));
        assert!(is_reportable_key("A_1"));
        assert!(!is_reportable_key("MY-OPS"));
        assert!(!is_reportable_key(""));
        assert!(!is_reportable_key("É"));
    }

    #[test]
    fn ids_are_percent_decoded_from_the_raw_path() {
        assert_eq!(id_from_path("/x/a%2Fb%20c%3F%23%25", "/x/"), "a/b c?#%");
        assert_eq!(id_from_path("/x/a+b", "/x/"), "a+b");
    }

    #[test]
    fn the_needed_scope_follows_the_spec_for_every_operation() {
        let by_method = |id: &str| match id {
            id if id.starts_with("get_") => Method::GET,
            id if id.starts_with("delete_") => Method::DELETE,
            _ => Method::POST,
        };
        for (operation, scope) in spec_facts::OPERATION_SCOPES {
            assert_eq!(
                needed_scope(&by_method(operation)).as_str(),
                *scope,
                "{operation}"
            );
        }
    }
}

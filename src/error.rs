//! The one error type of the client, [`Error`].
//!
//! Callers ask an error questions rather than match on variants: is it a rate limit, an
//! authentication problem, a timeout, is it worth retrying, what did Jira say? Those questions
//! have stable answers while the internal classification can grow, so the kind stays private.
//!
//! Jira's error bodies come in several shapes (the spec's `[{"message": …}]`, the platform's
//! `{"errorMessages": […]}`, a gateway's `{"error": …}`, and HTML or XML pages from proxies and
//! rate limiters). The body is kept raw (truncated) and its messages are read from whichever
//! shape it has; an unreadable body never turns into a JSON-parse error.

use std::fmt;
use std::time::Duration;

use crate::waiter::WaitState;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How much of a response body an [`Error`] keeps.
pub const BODY_KEEP_LIMIT: usize = 4096;

/// How much of an error body is read from the network at most.
const BODY_READ_LIMIT: usize = 64 * 1024;

/// The message Jira answers with (as a 403) when the `Authorization` header is not a token it
/// can parse.
const UNPARSABLE_TOKEN: &str = "Failed to parse Connect Session Auth Token";

/// Response headers worth keeping on an error: rate-limit state and request identifiers.
const KEPT_HEADERS: &[&str] = &[
    "retry-after",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-ratelimit-nearlimit",
    "ratelimit-reason",
    "x-arequestid",
    "x-request-id",
    "atl-request-id",
    "atl-traceid",
    "x-b3-traceid",
    "traceresponse",
    "location",
];

/// The headers that identify a request to Atlassian support, best first.
const REQUEST_ID_HEADERS: &[&str] = &[
    "atl-request-id",
    "x-arequestid",
    "x-request-id",
    "atl-traceid",
    "x-b3-traceid",
];

/// Why a call to Jira failed.
///
/// Ask it with the predicates ([`is_rate_limited`](Self::is_rate_limited),
/// [`is_auth`](Self::is_auth), [`is_timeout`](Self::is_timeout), …) and accessors
/// ([`status`](Self::status), [`jira_messages`](Self::jira_messages), …). `Display` is one
/// short line saying what went wrong and what to do; `Debug` shows the details but never a
/// token, secret or `Authorization` header (none is ever stored here).
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: Kind,
    operation: Option<&'static str>,
    status: Option<u16>,
    body: Option<String>,
    messages: Vec<String>,
    trace_ids: Vec<String>,
    headers: Vec<(String, String)>,
    retry_after: Option<Duration>,
    attempts: u32,
    deadline: Option<Duration>,
    maybe_applied: bool,
    /// The error of an earlier attempt that left the call's fate open, when this one did not.
    left_open_by: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
    wait: Option<WaitState>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum Kind {
    /// Jira answered with an error status.
    #[error("status")]
    Status,
    /// Jira answered with a redirect, which is never followed.
    #[error("redirect")]
    Redirect { location: Option<String> },
    /// No answer: connection refused or reset, broken body, or no answer in time.
    #[error("transport")]
    Transport { connect: bool, timeout: bool },
    /// A 2xx whose body is not what the spec says.
    #[error("decode")]
    Decode,
    /// The caller's input cannot be sent.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The request could not be signed.
    #[error("sign: {0}")]
    Sign(String),
    /// A waiter ran out of time.
    #[error("wait timeout")]
    WaitTimeout,
}

impl Error {
    fn new(kind: Kind) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                operation: None,
                status: None,
                body: None,
                messages: Vec::new(),
                trace_ids: Vec::new(),
                headers: Vec::new(),
                retry_after: None,
                attempts: 0,
                deadline: None,
                maybe_applied: false,
                left_open_by: None,
                source: None,
                wait: None,
            }),
        }
    }

    /// An error for input that cannot be sent, e.g. an empty list of workspace IDs.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(Kind::InvalidInput(message.into()))
    }

    pub(crate) fn sign(message: impl Into<String>) -> Self {
        Self::new(Kind::Sign(message.into()))
    }

    pub(crate) fn wait_timeout(state: WaitState, deadline: Duration) -> Self {
        let mut error = Self::new(Kind::WaitTimeout);
        error.inner.deadline = Some(deadline);
        error.inner.wait = Some(state);
        error
    }

    pub(crate) fn attempt_timeout(limit: Duration) -> Self {
        let mut error = Self::new(Kind::Transport {
            connect: false,
            timeout: true,
        });
        error.inner.deadline = None;
        error.inner.source = Some(format!("no answer within {limit:?}").into());
        error.inner.maybe_applied = true;
        error
    }

    pub(crate) fn with_operation(mut self, operation: &'static str) -> Self {
        self.inner.operation.get_or_insert(operation);
        self
    }

    pub(crate) fn set_attempts(&mut self, attempts: u32) {
        self.inner.attempts = attempts;
    }

    /// Records that an earlier attempt of the call, which failed with `earlier`, may have
    /// been applied, unless this error leaves the fate open itself.
    pub(crate) fn left_open_by(&mut self, earlier: &str) {
        if !self.inner.maybe_applied {
            self.inner.maybe_applied = true;
            self.inner.left_open_by = Some(earlier.to_string());
        }
    }

    /// The error of an earlier attempt of the call (a broken connection, a gateway error)
    /// that left its fate open, when this last one (a 429, a 503, a refused connection)
    /// changed nothing.
    pub(crate) fn outcome_left_open_by(&self) -> Option<&str> {
        self.inner.left_open_by.as_deref()
    }

    /// Marks this (the last attempt's error) as the reason a call gave up at its deadline.
    pub(crate) fn gave_up_at(mut self, deadline: Duration) -> Self {
        self.inner.deadline = Some(deadline);
        self
    }

    /// Converts what the generated client returned, reading an error body if there is one.
    pub(crate) async fn from_generated(
        error: progenitor_client::Error<()>,
        operation: &'static str,
        now_secs: u64,
    ) -> Self {
        use progenitor_client::Error as G;

        let error = match error {
            G::InvalidRequest(message) => Self::invalid_input(message),
            G::Custom(message) => Self::sign(message),
            G::CommunicationError(e) | G::InvalidUpgrade(e) => Self::from_reqwest(e),
            G::ResponseBodyError(e) => {
                // The status was 2xx; the body broke on the way.
                let mut error = Self::new(Kind::Transport {
                    connect: false,
                    timeout: e.is_timeout(),
                });
                error.inner.status = e.status().map(|s| s.as_u16());
                error.inner.maybe_applied = true;
                error.inner.source = Some(Box::new(e));
                error
            }
            G::InvalidResponsePayload(bytes, e) => {
                let mut error = Self::new(Kind::Decode);
                error.inner.body = Some(keep_body(&bytes));
                error.inner.maybe_applied = true;
                error.inner.source = Some(Box::new(e));
                error
            }
            G::ErrorResponse(value) => {
                let mut error = Self::new(Kind::Status);
                error.inner.status = Some(value.status().as_u16());
                error.read_headers(value.headers(), now_secs);
                error
            }
            G::UnexpectedResponse(response) => Self::from_response(response, now_secs).await,
        };
        error.with_operation(operation)
    }

    fn from_reqwest(e: reqwest::Error) -> Self {
        let connect = e.is_connect();
        let mut error = Self::new(Kind::Transport {
            connect,
            timeout: e.is_timeout(),
        });
        // A refused connection carried nothing; anything later may have reached Jira.
        error.inner.maybe_applied = !connect;
        error.inner.source = Some(Box::new(e));
        error
    }

    /// An error from a non-2xx response; reads (a bounded part of) its body.
    pub(crate) async fn from_response(mut response: reqwest::Response, now_secs: u64) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();

        let mut raw = Vec::new();
        let mut body_error = None;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    raw.extend_from_slice(&chunk);
                    if raw.len() >= BODY_READ_LIMIT {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    body_error = Some(e);
                    break;
                }
            }
        }

        let kind = if (300..400).contains(&status) {
            Kind::Redirect {
                location: headers
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string),
            }
        } else {
            Kind::Status
        };
        Self::from_parts(kind, status, &headers, &raw, now_secs, body_error)
    }

    fn from_parts(
        kind: Kind,
        status: u16,
        headers: &reqwest::header::HeaderMap,
        raw: &[u8],
        now_secs: u64,
        body_error: Option<reqwest::Error>,
    ) -> Self {
        let mut error = Self::new(kind);
        error.inner.status = Some(status);
        error.read_headers(headers, now_secs);
        if !raw.is_empty() {
            let (messages, trace_ids) = parse_messages(raw);
            error.inner.messages = messages.iter().map(|m| redact_tokens(m)).collect();
            error.inner.trace_ids = trace_ids;
            error.inner.body = Some(keep_body(raw));
        }
        // A gateway's 502 or 504, or a 500, may come after the request was forwarded and
        // applied. A 503 is Jira saying it is not serving (maintenance, overload): nothing
        // was applied, so what it refused has failed, not an unknown fate.
        error.inner.maybe_applied = status >= 500 && status != 503;
        if let Some(e) = body_error {
            error.inner.source = Some(Box::new(e));
        }
        error
    }

    fn read_headers(&mut self, headers: &reqwest::header::HeaderMap, now_secs: u64) {
        for name in KEPT_HEADERS {
            if let Some(value) = headers.get(*name).and_then(|v| v.to_str().ok()) {
                self.inner
                    .headers
                    .push(((*name).to_string(), value.to_string()));
            }
        }
        self.inner.retry_after = headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| crate::retry::parse_retry_after(v, now_secs));
    }

    /// Jira answered 429: too many requests. See [`retry_after`](Self::retry_after).
    pub fn is_rate_limited(&self) -> bool {
        self.inner.status == Some(429)
    }

    /// How long Jira asked the client to wait (`Retry-After`, in delta-seconds or as an
    /// HTTP-date read against the client's clock).
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// Jira refused the credential or the app's rights: 401 or 403.
    pub fn is_auth(&self) -> bool {
        matches!(self.inner.status, Some(401 | 403)) && self.inner.kind == Kind::Status
    }

    /// Jira answered 404.
    pub fn is_not_found(&self) -> bool {
        self.inner.status == Some(404) && self.inner.kind == Kind::Status
    }

    /// No answer in time: an attempt timed out, a call gave up at its deadline (the last
    /// attempt's error is still described by the other accessors), or a waiter ran out of time.
    pub fn is_timeout(&self) -> bool {
        self.inner.deadline.is_some()
            || matches!(self.inner.kind, Kind::Transport { timeout: true, .. })
    }

    /// The call stopped because its overall deadline would have passed before the next retry.
    pub fn is_deadline_exceeded(&self) -> bool {
        self.inner.deadline.is_some() && self.inner.kind != Kind::WaitTimeout
    }

    /// A waiter's deadline passed before the awaited state was seen; see
    /// [`wait_state`](Self::wait_state).
    pub fn is_wait_timeout(&self) -> bool {
        self.inner.kind == Kind::WaitTimeout
    }

    /// What a waiter saw last when it gave up.
    pub fn wait_state(&self) -> Option<&WaitState> {
        self.inner.wait.as_ref()
    }

    /// The connection failed, broke, or gave no answer in time.
    pub fn is_transport(&self) -> bool {
        matches!(self.inner.kind, Kind::Transport { .. })
    }

    /// The input was refused before anything was sent.
    pub fn is_invalid_input(&self) -> bool {
        matches!(self.inner.kind, Kind::InvalidInput(_))
    }

    /// The request could not be signed (the installation's key or secret is unusable).
    pub fn is_sign(&self) -> bool {
        matches!(self.inner.kind, Kind::Sign(_))
    }

    /// Jira answered 2xx with a body that does not match the spec.
    pub fn is_decode(&self) -> bool {
        self.inner.kind == Kind::Decode
    }

    /// Jira answered with a redirect (3xx), which this client never follows; see
    /// [`redirect_location`](Self::redirect_location).
    pub fn is_redirect(&self) -> bool {
        matches!(self.inner.kind, Kind::Redirect { .. })
    }

    /// Where a redirect pointed: usually the site's new URL after a rename. The installation's
    /// `baseUrl` should be updated; the request was not replayed.
    pub fn redirect_location(&self) -> Option<&str> {
        match &self.inner.kind {
            Kind::Redirect { location } => location.as_deref(),
            _ => None,
        }
    }

    /// Whether the request may have reached Jira and been applied although no answer says so
    /// (a broken connection after sending, a gateway error, an unreadable 2xx). A refused
    /// connection or a 4xx means it was not.
    pub fn outcome_unknown(&self) -> bool {
        self.inner.maybe_applied
    }

    /// Whether retrying the same request could succeed: 429, 502, 503, 504, or a transport
    /// failure.
    pub fn is_retryable(&self) -> bool {
        match self.inner.kind {
            Kind::Transport { .. } => true,
            Kind::Status => matches!(self.inner.status, Some(429 | 502 | 503 | 504)),
            _ => false,
        }
    }

    /// The HTTP status of Jira's answer, if there was one.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// Jira's response body, truncated to [`BODY_KEEP_LIMIT`] bytes, as received (JSON, HTML or
    /// XML).
    pub fn body(&self) -> Option<&str> {
        self.inner.body.as_deref()
    }

    /// The messages Jira's body carries, whatever its shape: the spec's
    /// `[{"message", "errorTraceId"}]`, `{"errorMessages": […], "errors": {…}}`,
    /// `{"error": "…"}`, `{"message": "…"}`, or an XML `<message>`.
    pub fn jira_messages(&self) -> Vec<String> {
        self.inner.messages.clone()
    }

    /// The `errorTraceId`s of the spec's error messages, for Atlassian support.
    pub fn error_trace_ids(&self) -> &[String] {
        &self.inner.trace_ids
    }

    /// A kept response header (`retry-after`, `x-ratelimit-*`, request and trace IDs,
    /// `location`), by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.inner
            .headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every kept response header, as `(lower-case name, value)`.
    pub fn headers(&self) -> &[(String, String)] {
        &self.inner.headers
    }

    /// The request ID Atlassian assigned, from the first of `atl-request-id`, `x-arequestid`,
    /// `x-request-id`, `atl-traceid`, `x-b3-traceid` present.
    pub fn request_id(&self) -> Option<&str> {
        REQUEST_ID_HEADERS.iter().find_map(|name| self.header(name))
    }

    /// The operation (spec `operationId`, snake case) that failed.
    pub fn operation(&self) -> Option<&'static str> {
        self.inner.operation
    }

    /// How many attempts were made (0 when nothing was sent).
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// The scope the failed operation needs, from the spec.
    pub fn required_scope(&self) -> Option<&'static str> {
        let operation = self.inner.operation?;
        crate::spec_facts::OPERATION_SCOPES
            .iter()
            .find(|(op, _)| *op == operation)
            .map(|(_, scope)| *scope)
    }

    fn first_message(&self) -> Option<&str> {
        self.inner.messages.first().map(String::as_str)
    }

    fn fmt_core(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = self.inner.operation.map(doing);
        let for_op = op.map(|o| format!(" while {o}")).unwrap_or_default();
        let status = self.inner.status.unwrap_or(0);

        match &self.inner.kind {
            Kind::InvalidInput(message) => write!(f, "invalid input{for_op}: {message}"),
            Kind::Sign(message) => write!(
                f,
                "could not sign the request{for_op}: {message}; check the installation's app key and shared secret"
            ),
            Kind::WaitTimeout => {
                let deadline = to_millis(self.inner.deadline.unwrap_or_default());
                match &self.inner.wait {
                    Some(state) => write!(
                        f,
                        "gave up waiting after {deadline:?}: {} not yet {} ({}); wait longer or check the IDs",
                        state.pending.len(),
                        state.target,
                        state.sample(3)
                    ),
                    None => write!(f, "gave up waiting after {deadline:?}"),
                }
            }
            Kind::Redirect { location } => write!(
                f,
                "jira redirected the request ({status}){for_op} to {}: the site has probably moved; update the installation's base url (the request was not replayed)",
                location.as_deref().unwrap_or("an unknown location")
            ),
            Kind::Decode => write!(
                f,
                "jira answered{for_op} with a body this client cannot read ({status}); see the body"
            ),
            Kind::Transport { timeout: true, .. } => write!(
                f,
                "jira did not answer in time{for_op}; retry later or allow more time"
            ),
            Kind::Transport { connect: true, .. } => write!(
                f,
                "could not connect to Jira{for_op}; check the network and the installation's base url"
            ),
            Kind::Transport { .. } => write!(
                f,
                "the connection to Jira broke{for_op}; the request may or may not have been applied"
            ),
            Kind::Status => match status {
                401 => write!(
                    f,
                    "jira did not accept the app's token (401){for_op}: check the installation's app key, shared secret and base url, and this machine's clock"
                ),
                403 if self
                    .inner
                    .messages
                    .iter()
                    .any(|m| m.contains(UNPARSABLE_TOKEN))
                    || self
                        .inner
                        .body
                        .as_deref()
                        .is_some_and(|b| b.contains(UNPARSABLE_TOKEN)) =>
                {
                    write!(
                        f,
                        "jira could not parse the credential (403){for_op}: this is a credential problem, not a missing scope; send a Connect JWT signed with the installation's shared secret"
                    )
                }
                403 => match (self.required_scope(), op) {
                    (Some(scope), Some(op)) => write!(
                        f,
                        "jira refused the request (403) while {op}: the app needs the {scope} scope and the jiraOperationsInfoProvider module"
                    ),
                    _ => write!(
                        f,
                        "jira refused the request (403): the app needs the jiraOperationsInfoProvider module and the operation's scope"
                    ),
                },
                404 => write!(f, "jira has no such item (404){for_op}"),
                413 => write!(
                    f,
                    "jira refused the request as too large (413){for_op}: send fewer or smaller entities per request"
                ),
                429 => match self.inner.retry_after {
                    Some(wait) => write!(
                        f,
                        "jira is rate limiting the app (429){for_op}: wait at least {}s before retrying",
                        wait.as_secs().max(1)
                    ),
                    None => write!(
                        f,
                        "jira is rate limiting the app (429){for_op}: slow down and retry later"
                    ),
                },
                400 => match self.first_message() {
                    Some(message) => write!(
                        f,
                        "jira rejected the request as malformed (400){for_op}: {message}"
                    ),
                    None => write!(
                        f,
                        "jira rejected the request as malformed (400){for_op}: check it against the spec"
                    ),
                },
                502..=504 => write!(f, "jira is unavailable ({status}){for_op}: retry later"),
                _ => match self.first_message() {
                    Some(message) => write!(f, "jira answered {status}{for_op}: {message}"),
                    None => write!(f, "jira answered {status}{for_op}"),
                },
            },
        }
    }
}

/// What an operation does, for messages: `… while linking workspaces`.
fn doing(operation: &str) -> &str {
    match operation {
        "submit_entity" => "submitting incidents or reviews",
        "get_incident_by_id" => "reading an incident",
        "delete_incident_by_id" => "deleting an incident",
        "get_review_by_id" => "reading a review",
        "delete_review_by_id" => "deleting a review",
        "delete_entity_by_property" => "deleting by properties",
        "submit_operations_workspaces" => "linking workspaces",
        "get_workspaces" => "reading linked workspaces",
        "delete_workspaces" => "unlinking workspaces",
        other => other,
    }
}

/// `d` to the nearest millisecond, for messages: a budget measured from a slightly later
/// instant than it was set reads `1s`, not `999.966667ms`.
fn to_millis(d: Duration) -> Duration {
    Duration::from_millis(((d.as_nanos() + 500_000) / 1_000_000) as u64)
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.inner.deadline {
            Some(deadline) if self.inner.kind != Kind::WaitTimeout => {
                let deadline = to_millis(deadline);
                write!(
                    f,
                    "gave up after {} attempt{} as the {deadline:?} deadline would pass before the next one; last error: ",
                    self.inner.attempts,
                    if self.inner.attempts == 1 { "" } else { "s" }
                )?;
                self.fmt_core(f)
            }
            _ => self.fmt_core(f),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.inner.kind)
            .field("operation", &self.inner.operation)
            .field("status", &self.inner.status);
        if !self.inner.messages.is_empty() {
            d.field("jira_messages", &self.inner.messages);
        }
        if !self.inner.headers.is_empty() {
            d.field("headers", &self.inner.headers);
        }
        if let Some(body) = &self.inner.body {
            d.field("body", body);
        }
        if let Some(wait) = &self.inner.wait {
            d.field("wait", wait);
        }
        d.field("attempts", &self.inner.attempts)
            .field("deadline", &self.inner.deadline)
            .field("outcome_unknown", &self.inner.maybe_applied)
            .field("source", &self.inner.source)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// The body as text, truncated at a character boundary, with anything shaped like a Connect
/// token masked (a proxy may echo the request headers).
fn keep_body(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(&raw[..raw.len().min(BODY_KEEP_LIMIT)]);
    let mut text = redact_tokens(&text);
    if raw.len() > BODY_KEEP_LIMIT {
        text.push_str(&format!("… ({} bytes)", raw.len()));
    }
    text
}

/// Replaces `JWT <token>` and `jwt=<token>` with a placeholder.
pub(crate) fn redact_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let next = ["JWT ", "jwt="]
            .iter()
            .filter_map(|marker| rest.find(marker).map(|at| (at, marker.len())))
            .min();
        let Some((at, len)) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..at]);
        out.push_str("<redacted>");
        rest = rest[at + len..].trim_start_matches(|c: char| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '=')
        });
    }
}

/// The messages (and trace IDs) of an error body of any known shape.
pub(crate) fn parse_messages(raw: &[u8]) -> (Vec<String>, Vec<String>) {
    let mut messages = Vec::new();
    let mut trace_ids = Vec::new();
    match serde_json::from_slice::<serde_json::Value>(raw) {
        Ok(serde_json::Value::Array(items)) => {
            for item in items {
                match item {
                    serde_json::Value::Object(map) => {
                        if let Some(m) = map.get("message").and_then(|m| m.as_str()) {
                            messages.push(m.to_string());
                        }
                        if let Some(t) = map.get("errorTraceId").and_then(|t| t.as_str()) {
                            trace_ids.push(t.to_string());
                        }
                    }
                    serde_json::Value::String(s) => messages.push(s),
                    _ => {}
                }
            }
        }
        Ok(serde_json::Value::Object(map)) => {
            if let Some(list) = map.get("errorMessages").and_then(|v| v.as_array()) {
                messages.extend(list.iter().filter_map(|m| m.as_str()).map(str::to_string));
            }
            if let Some(errors) = map.get("errors").and_then(|v| v.as_object()) {
                for (field, message) in errors {
                    if let Some(message) = message.as_str() {
                        messages.push(format!("{field}: {message}"));
                    }
                }
            }
            for key in ["error", "message", "errorMessage"] {
                match map.get(key) {
                    Some(serde_json::Value::String(s)) => messages.push(s.clone()),
                    Some(serde_json::Value::Object(inner)) => {
                        if let Some(s) = inner.get("message").and_then(|m| m.as_str()) {
                            messages.push(s.to_string());
                        }
                    }
                    _ => {}
                }
            }
            if let Some(t) = map.get("errorTraceId").and_then(|t| t.as_str()) {
                trace_ids.push(t.to_string());
            }
        }
        Ok(_) => {}
        Err(_) => {
            // Not JSON: an XML answer may still carry a `<message>`; HTML is kept raw only.
            let text = String::from_utf8_lossy(raw);
            let trimmed = text.trim_start();
            if (trimmed.starts_with("<?xml") || trimmed.starts_with("<status"))
                && let Some(start) = text.find("<message>")
                && let Some(end) = text[start..].find("</message>")
            {
                let message = &text[start + "<message>".len()..start + end];
                messages.push(message.trim().to_string());
            }
        }
    }
    (messages, trace_ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_for(status: u16, body: &str, operation: &'static str) -> Error {
        Error::from_parts(
            Kind::Status,
            status,
            &reqwest::header::HeaderMap::new(),
            body.as_bytes(),
            0,
            None,
        )
        .with_operation(operation)
    }

    #[test]
    fn a_deadline_is_named_to_the_millisecond() {
        let error =
            error_for(503, "", "get_incident_by_id").gave_up_at(Duration::from_nanos(999_966_667));
        assert!(
            error
                .to_string()
                .contains(" as the 1s deadline would pass before the next one"),
            "{error}"
        );
    }

    #[test]
    fn messages_are_read_from_the_specs_error_array() {
        let (messages, traces) =
            parse_messages(br#"[{"message":"bad id","errorTraceId":"t-1"},{"message":"two"}]"#);
        assert_eq!(messages, ["bad id", "two"]);
        assert_eq!(traces, ["t-1"]);
    }

    #[test]
    fn messages_are_read_from_platform_and_gateway_shapes() {
        assert_eq!(
            parse_messages(br#"{"errorMessages":["a"],"errors":{"f":"b"}}"#).0,
            ["a", "f: b"]
        );
        assert_eq!(
            parse_messages(br#"{"error":"Failed to parse Connect Session Auth Token"}"#).0,
            ["Failed to parse Connect Session Auth Token"]
        );
        assert_eq!(parse_messages(br#"{"message":"m"}"#).0, ["m"]);
    }

    #[test]
    fn html_bodies_give_no_messages_and_no_parse_error() {
        let e = error_for(429, "<!DOCTYPE html><html>Oops</html>", "submit_entity");
        assert!(e.jira_messages().is_empty());
        assert_eq!(e.body(), Some("<!DOCTYPE html><html>Oops</html>"));
        assert!(std::error::Error::source(&e).is_none());
    }

    #[test]
    fn xml_bodies_give_their_message() {
        let body = r#"<?xml version="1.0"?><status><status-code>401</status-code><message>Client must be authenticated to access this resource.</message></status>"#;
        assert_eq!(
            parse_messages(body.as_bytes()).0,
            ["Client must be authenticated to access this resource."]
        );
    }

    #[test]
    fn a_403_names_the_scope_the_operation_needs() {
        let e = error_for(403, "", "delete_incident_by_id");
        assert!(e.is_auth());
        assert_eq!(
            e.to_string(),
            "jira refused the request (403) while deleting an incident: the app needs the DELETE scope and the jiraOperationsInfoProvider module"
        );
    }

    #[test]
    fn a_403_about_an_unparsable_token_is_a_credential_problem() {
        let e = error_for(
            403,
            r#"{"error": "Failed to parse Connect Session Auth Token"}"#,
            "get_workspaces",
        );
        let text = e.to_string();
        assert!(text.contains("credential problem"), "{text}");
        assert!(!text.contains("scope and"), "{text}");
    }

    #[test]
    fn a_401_says_what_to_check() {
        let text = error_for(401, "", "submit_entity").to_string();
        assert_eq!(
            text,
            "jira did not accept the app's token (401) while submitting incidents or reviews: \
             check the installation's app key, shared secret and base url, and this machine's clock"
        );
    }

    #[test]
    fn display_is_lowercase_without_trailing_period() {
        for status in [400, 401, 403, 404, 413, 429, 500, 503] {
            let text = error_for(status, r#"[{"message":"x"}]"#, "submit_entity").to_string();
            assert!(text.starts_with(|c: char| c.is_lowercase()), "{text}");
            assert!(!text.ends_with('.'), "{text}");
        }
    }

    #[test]
    fn bodies_are_truncated_and_tokens_masked() {
        let long = format!("Authorization: JWT abc.def.ghi {}", "x".repeat(10_000));
        let e = error_for(500, &long, "submit_entity");
        let body = e.body().unwrap();
        assert!(body.len() < BODY_KEEP_LIMIT + 64);
        assert!(!body.contains("abc.def.ghi"));
        assert!(body.contains("<redacted>"));
        assert!(!format!("{e:?}").contains("abc.def.ghi"));
    }

    #[test]
    fn retry_after_headers_are_kept_and_parsed() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("retry-after", "7".parse().unwrap());
        headers.insert("x-ratelimit-remaining", "0".parse().unwrap());
        headers.insert("atl-request-id", "req-1".parse().unwrap());
        let e = Error::from_parts(Kind::Status, 429, &headers, b"", 0, None);
        assert!(e.is_rate_limited());
        assert!(e.is_retryable());
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        assert_eq!(e.header("X-RateLimit-Remaining"), Some("0"));
        assert_eq!(e.request_id(), Some("req-1"));
    }

    #[test]
    fn client_errors_are_not_retryable() {
        for status in [400, 401, 403, 404, 413] {
            assert!(!error_for(status, "", "submit_entity").is_retryable());
        }
        for status in [429, 502, 503, 504] {
            assert!(error_for(status, "", "submit_entity").is_retryable());
        }
    }
}

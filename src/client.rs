//! [`OperationsClient`]: the client applications use.
//!
//! It wraps the generated client (which signs every request in its `pre` hook and traces it in
//! `exec`) and adds what a careful caller would otherwise write by hand: retries with backoff
//! that honour `Retry-After`, an overall deadline per call, typed errors, `None` for a 404 on
//! reads, chunking of workspace IDs, and one tracing span per operation.
//!
//! Every method goes through one generic call path (`OperationsClient::call`). Each attempt
//! calls the generated method afresh, so each attempt is signed anew: a retry after a long
//! `Retry-After` never resends an expired token.
//!
//! Redirects are never followed. reqwest's redirect policy cannot see the request method, and
//! following would be wrong both ways: a POST or DELETE would be replayed as a GET (reqwest
//! rewrites the method on 301/302/303), and the Connect JWT is bound to the path (`qsh`) and is
//! stripped by reqwest on a cross-host hop anyway. A 3xx becomes an [`Error`] carrying the new
//! `Location`, which after a site rename is where the installation's `baseUrl` must point.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use tracing::{Instrument as _, field};

use crate::auth::{Clock, Installation, Signer, clock};
use crate::error::{Error, Result};
use crate::generated::{self, ResponseValue};
use crate::retry::RetryPolicy;
use crate::sequence::SequenceNumbers;
use crate::spec_facts;
use crate::types::{Incident, Review, SubmitEntityRequest, SubmitEntityResponse};

/// The API's path prefix.
const API: &str = "/rest/operations/1.0";

/// Default limit on establishing a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default limit on one attempt (request sent, answer read).
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default limit on one call, retries and waits included.
pub const DEFAULT_OVERALL_TIMEOUT: Duration = Duration::from_secs(120);

/// The two kinds of entity the Operations API stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    /// An incident.
    Incident,
    /// A post-incident review.
    Review,
}

impl EntityKind {
    /// `incident` or `review`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Incident => "incident",
            Self::Review => "review",
        }
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A client for one Jira site (one Connect installation).
///
/// Cheap to clone (clones share everything). Many clients, one per site, can share one
/// connection pool: build one `reqwest::Client` with [`OperationsClient::http_client_builder`]
/// and pass a clone of it to each [`ClientBuilder::http_client`].
///
/// ```no_run
/// use jira_operations::auth::Installation;
/// use jira_operations::{OperationsClient, SubmitOptions, WaitPolicy};
///
/// # async fn run(incidents: Vec<jira_operations::types::Incident>) -> jira_operations::Result<()> {
/// let installation: Installation =
///     serde_json::from_str(&std::fs::read_to_string("installed.json").unwrap()).unwrap();
/// let client = OperationsClient::builder(installation)
///     .overall_timeout(std::time::Duration::from_secs(60))
///     .build()?;
///
/// let report = client
///     .submit_incidents(incidents, &SubmitOptions::default().property("accountId", "acc-1"))
///     .await;
/// println!("{} accepted, {} failed", report.accepted.len(), report.failed.len());
///
/// if let Some(first) = report.accepted.first() {
///     client
///         .wait_until_incident_stored(&first.id, None, &WaitPolicy::default())
///         .await?;
/// }
/// client.delete_by_properties(&[("accountId", "acc-1")]).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct OperationsClient {
    inner: Arc<Inner>,
}

struct Inner {
    api: generated::Client,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
    attempt_timeout: Option<Duration>,
    overall_timeout: Option<Duration>,
    base_url: String,
    base_path: String,
    app_key: String,
    incident_sequences: SequenceNumbers,
    review_sequences: SequenceNumbers,
}

/// Configures an [`OperationsClient`]; from [`OperationsClient::builder`].
#[derive(Debug)]
pub struct ClientBuilder {
    installation: Installation,
    clock: Arc<dyn Clock>,
    connect_timeout: Option<Duration>,
    attempt_timeout: Option<Duration>,
    overall_timeout: Option<Duration>,
    retry: RetryPolicy,
    http: Option<reqwest::Client>,
    sequence_capacity: usize,
    token_lifetime: Duration,
}

impl ClientBuilder {
    /// The clock tokens are dated by and `Retry-After` dates are read against (default: the
    /// system clock). Waits themselves use tokio's timer.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Limit on establishing a connection (default 10 s; `None`: no limit). Applies only to
    /// the HTTP client the builder makes, not to one passed to
    /// [`http_client`](Self::http_client).
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.connect_timeout = timeout.into();
        self
    }

    /// Limit on one attempt, from sending to the answer read (default 30 s). It is also capped
    /// by what is left of the overall deadline; with `None`, an attempt in flight is not
    /// interrupted and the deadline is checked only between attempts.
    pub fn attempt_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.attempt_timeout = timeout.into();
        self
    }

    /// Limit on one call, all retries and waits included (default 120 s; `None`: only the
    /// retry policy's attempt count bounds a call). A call stops as soon as the next wait
    /// would pass it, returning the last error marked as a timeout.
    pub fn overall_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.overall_timeout = timeout.into();
        self
    }

    /// Which failures are retried and how long to wait between attempts.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Sends through this HTTP client, e.g. to share one connection pool between the clients
    /// of many sites. Build it from [`OperationsClient::http_client_builder`]: a client that
    /// follows redirects would replay a redirected POST as a GET.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// How long each request's token stays valid: its `exp` is its `iat` plus this (default
    /// three minutes, what Atlassian's libraries use). Every attempt gets a fresh token, so a
    /// long wait between retries never needs a longer one.
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// How many entity IDs the client remembers the last sent `updateSequenceNumber` of
    /// (default [`SequenceNumbers::DEFAULT_CAPACITY`]).
    pub fn sequence_capacity(mut self, capacity: usize) -> Self {
        self.sequence_capacity = capacity;
        self
    }

    /// The client; fails when the installation cannot sign (empty key or secret) or its base
    /// URL is not an absolute http(s) URL.
    pub fn build(self) -> Result<OperationsClient> {
        let base_url = self.installation.base_url.trim_end_matches('/').to_string();
        let parsed = url::Url::parse(&base_url).map_err(|e| {
            Error::invalid_input(format!("the installation's base url `{base_url}`: {e}"))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || !parsed.has_host() {
            return Err(Error::invalid_input(format!(
                "the installation's base url `{base_url}` is not an absolute http(s) url"
            )));
        }
        // Paths are appended to the base URL as text, so a query or fragment would end up
        // before them.
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(Error::invalid_input(format!(
                "the installation's base url `{base_url}` has a query or fragment: give the \
                 site's url alone, e.g. https://your-domain.atlassian.net"
            )));
        }
        let base_path = parsed.path().trim_end_matches('/').to_string();

        let signer =
            Signer::with_lifetime(&self.installation, self.clock.clone(), self.token_lifetime)
                .map_err(|e| Error::sign(e.to_string()))?;
        let http = match self.http {
            Some(http) => http,
            None => {
                let mut builder = OperationsClient::http_client_builder();
                if let Some(timeout) = self.connect_timeout {
                    builder = builder.connect_timeout(timeout);
                }
                builder.build().map_err(|e| {
                    Error::invalid_input(format!("cannot build the http client: {e}"))
                })?
            }
        };

        Ok(OperationsClient {
            inner: Arc::new(Inner {
                api: generated::Client::new_with_client(&base_url, http, signer),
                incident_sequences: SequenceNumbers::with_capacity(
                    self.clock.clone(),
                    self.sequence_capacity,
                ),
                review_sequences: SequenceNumbers::with_capacity(
                    self.clock.clone(),
                    self.sequence_capacity,
                ),
                clock: self.clock,
                retry: self.retry,
                attempt_timeout: self.attempt_timeout,
                overall_timeout: self.overall_timeout,
                base_url,
                base_path,
                app_key: self.installation.key.clone(),
            }),
        })
    }
}

/// What happened to each workspace ID of a link or unlink.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LinkReport {
    /// IDs Jira accepted (for unlinking: IDs of requests answered 202).
    pub accepted: Vec<String>,
    /// IDs sent whose fate is unknown: named in no list of the answer, or sent in a request
    /// that got no answer (they may have been applied).
    pub unconfirmed: Vec<String>,
    /// IDs that failed, with the reason.
    pub failed: BTreeMap<String, String>,
    /// HTTP requests made, retries included.
    pub requests_sent: u64,
    /// Of those, retries.
    pub retries: u64,
}

impl LinkReport {
    /// Every ID accepted.
    pub fn is_complete_success(&self) -> bool {
        self.unconfirmed.is_empty() && self.failed.is_empty()
    }
}

/// One operation as the call path and its span see it.
pub(crate) struct Op {
    pub(crate) id: &'static str,
    pub(crate) method: &'static str,
    pub(crate) path: String,
}

impl OperationsClient {
    /// A builder for a client of `installation`.
    pub fn builder(installation: Installation) -> ClientBuilder {
        ClientBuilder {
            installation,
            clock: clock::system(),
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            attempt_timeout: Some(DEFAULT_ATTEMPT_TIMEOUT),
            overall_timeout: Some(DEFAULT_OVERALL_TIMEOUT),
            retry: RetryPolicy::default(),
            http: None,
            sequence_capacity: SequenceNumbers::DEFAULT_CAPACITY,
            token_lifetime: crate::auth::DEFAULT_LIFETIME,
        }
    }

    /// A client of `installation` with the defaults.
    pub fn new(installation: Installation) -> Result<Self> {
        Self::builder(installation).build()
    }

    /// An HTTP client builder set up as this crate needs: redirects not followed,
    /// `User-Agent: jira-operations/<version>`, rustls (with the default `rustls` feature).
    /// Add pool or proxy settings and pass the client to [`ClientBuilder::http_client`].
    pub fn http_client_builder() -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(crate::user_agent())
    }

    /// The site's base URL, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The app key requests are signed as.
    pub fn app_key(&self) -> &str {
        &self.inner.app_key
    }

    /// The generated client underneath, for calls without retries.
    pub fn generated(&self) -> &generated::Client {
        &self.inner.api
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// Issues and remembers `updateSequenceNumber`s of incidents sent by this client.
    pub fn incident_sequence_numbers(&self) -> &SequenceNumbers {
        &self.inner.incident_sequences
    }

    /// Issues and remembers `updateSequenceNumber`s of reviews sent by this client.
    pub fn review_sequence_numbers(&self) -> &SequenceNumbers {
        &self.inner.review_sequences
    }

    pub(crate) fn sequences(&self, kind: EntityKind) -> &SequenceNumbers {
        match kind {
            EntityKind::Incident => &self.inner.incident_sequences,
            EntityKind::Review => &self.inner.review_sequences,
        }
    }

    /// The deadline of a call starting now.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.inner.overall_timeout.map(|t| Instant::now() + t)
    }

    pub(crate) fn op(&self, id: &'static str, method: &'static str, path: &str) -> Op {
        Op {
            id,
            method,
            path: format!("{}{API}{path}", self.inner.base_path),
        }
    }

    /// The one call path: sends with `send` (a fresh, freshly signed request each time),
    /// retries what the policy allows until `deadline`, and traces the whole in one
    /// `operation` span. Returns the result and the number of attempts made.
    pub(crate) async fn call<T, F, Fut>(
        &self,
        op: &Op,
        deadline: Option<Instant>,
        mut send: F,
    ) -> (Result<T>, u32)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<ResponseValue<T>, generated::Error<()>>>,
    {
        let span = tracing::info_span!(
            "operation",
            operation = op.id,
            http.request.method = op.method,
            url.path = %op.path,
            attempt = field::Empty,
            http.response.status_code = field::Empty,
        );
        let started = Instant::now();

        let run = async {
            let mut attempt = 0u32;
            let mut previous_delay = Duration::ZERO;
            // The last error that left its attempt's fate open, for a later error to carry.
            let mut left_open: Option<String> = None;
            loop {
                attempt += 1;
                span.record("attempt", attempt);

                let limit = self.inner.attempt_timeout.map(|t| match deadline {
                    Some(d) => t.min(d.saturating_duration_since(Instant::now())),
                    None => t,
                });
                let attempt_sent = crate::telemetry::ATTEMPT.scope(attempt, send());
                let outcome = match limit {
                    Some(limit) => tokio::time::timeout(limit, attempt_sent)
                        .await
                        .map_err(|_| Error::attempt_timeout(limit).with_operation(op.id)),
                    None => Ok(attempt_sent.await),
                };
                let mut error = match outcome {
                    Ok(Ok(value)) => {
                        span.record("http.response.status_code", value.status().as_u16());
                        return (Ok(value.into_inner()), attempt);
                    }
                    Ok(Err(e)) => {
                        Error::from_generated(e, op.id, self.inner.clock.now_secs()).await
                    }
                    Err(timeout) => timeout,
                };
                if let Some(status) = error.status() {
                    span.record("http.response.status_code", status);
                }

                // A retryable final error leaves earlier attempts' fate open; a definitive
                // answer (4xx) settles it.
                let own_unknown = error.outcome_unknown();
                if error.is_retryable()
                    && let Some(earlier) = &left_open
                {
                    error.left_open_by(earlier);
                }
                if own_unknown {
                    left_open = Some(error.to_string());
                }
                error.set_attempts(attempt);

                if !error.is_retryable() || attempt >= self.inner.retry.attempts() {
                    tracing::debug!(parent: &span, attempt, error = %error, "giving up");
                    return (Err(error), attempt);
                }

                let delay = self.inner.retry.delay(
                    attempt,
                    previous_delay,
                    error.retry_after(),
                    error.is_rate_limited(),
                );
                if let Some(deadline) = deadline
                    && Instant::now() + delay > deadline
                {
                    tracing::debug!(
                        parent: &span,
                        attempt,
                        delay_ms = delay.as_millis() as u64,
                        error = %error,
                        "next wait would pass the deadline"
                    );
                    let budget = deadline.saturating_duration_since(started);
                    return (Err(error.gave_up_at(budget)), attempt);
                }
                tracing::debug!(
                    parent: &span,
                    attempt,
                    delay_ms = delay.as_millis() as u64,
                    status = error.status(),
                    error = %error,
                    "retrying"
                );
                tokio::time::sleep(delay).await;
                previous_delay = delay;
            }
        };
        run.instrument(span.clone()).await
    }

    /// Sends one `submitEntity` request as given, with retries; no validation or batching
    /// (see [`submit_incidents`](Self::submit_incidents) for that). A 2xx with an empty body
    /// reads as an empty response.
    pub async fn submit(&self, request: &SubmitEntityRequest) -> Result<SubmitEntityResponse> {
        let hashed = |id: &str| crate::batch::id_hash(id);
        let incidents: Vec<(&str, u64, i64)> = (request.incidents.iter())
            .map(|i| (i.id.as_str(), hashed(&i.id), i.update_sequence_number))
            .collect();
        self.note_sequences(EntityKind::Incident, &incidents);
        let reviews: Vec<(&str, u64, i64)> = (request.reviews.iter())
            .map(|r| (r.id.as_str(), hashed(&r.id), r.update_sequence_number))
            .collect();
        self.note_sequences(EntityKind::Review, &reviews);
        self.submit_raw(request, self.deadline()).await.0
    }

    /// Records the sequence numbers of one request's entities, given as (ID, ID hash,
    /// number), and warns of each that cannot supersede a number this client sent before.
    pub(crate) fn note_sequences(
        &self,
        kind: EntityKind,
        entities: &[(&str, u64, i64)],
    ) -> Vec<String> {
        let mut warnings = Vec::new();
        let keys = entities.iter().map(|&(_, key, number)| (key, number));
        self.sequences(kind).record_sent_hashed(keys, |i, previous| {
            let (id, _, number) = entities[i];
            let warning = format!(
                "{kind} {id}: updateSequenceNumber {number} does not supersede {previous}, sent earlier by this client; Jira keeps the stored data"
            );
            // Returned in the report; logged only for those who trace the client.
            tracing::debug!(kind = kind.as_str(), id, number, previous, "{warning}");
            warnings.push(warning);
        });
        warnings
    }

    pub(crate) async fn submit_raw(
        &self,
        request: &SubmitEntityRequest,
        deadline: Option<Instant>,
    ) -> (Result<SubmitEntityResponse>, u32) {
        let op = self.op("submit_entity", "POST", "/bulk");
        let api = &self.inner.api;
        let (result, attempts) = self
            .call(&op, deadline, || api.submit_entity(request))
            .await;
        (empty_body_as_default(result), attempts)
    }

    /// Sends one `submitEntity` request whose body is already JSON (the batching layer's
    /// path: each entity was serialized once, when admitted). Same answer handling as
    /// [`submit_raw`](Self::submit_raw).
    pub(crate) async fn submit_json(
        &self,
        body: bytes::Bytes,
        deadline: Option<Instant>,
    ) -> (Result<SubmitEntityResponse>, u32) {
        let op = self.op("submit_entity", "POST", "/bulk");
        let api = &self.inner.api;
        let (result, attempts) = self
            .call(&op, deadline, || api.submit_entity_json(body.clone()))
            .await;
        (empty_body_as_default(result), attempts)
    }

    /// The incident stored under `id`, or `None` when Jira has none (404). Jira answers with
    /// what is stored now, ignoring updates and deletes still pending.
    pub async fn get_incident(&self, id: &str) -> Result<Option<Incident>> {
        self.get_incident_until(id, self.deadline()).await
    }

    pub(crate) async fn get_incident_until(
        &self,
        id: &str,
        deadline: Option<Instant>,
    ) -> Result<Option<Incident>> {
        check_id("get_incident_by_id", id, spec_facts::INCIDENT_ID_MAX_LENGTH)?;
        let op = self.op(
            "get_incident_by_id",
            "GET",
            &format!("/incidents/{}", encode(id)),
        );
        let api = &self.inner.api;
        not_found_as_none(
            self.call(&op, deadline, || api.get_incident_by_id(id))
                .await
                .0,
        )
    }

    /// The review stored under `id`, or `None` when Jira has none (404).
    pub async fn get_review(&self, id: &str) -> Result<Option<Review>> {
        self.get_review_until(id, self.deadline()).await
    }

    pub(crate) async fn get_review_until(
        &self,
        id: &str,
        deadline: Option<Instant>,
    ) -> Result<Option<Review>> {
        check_id("get_review_by_id", id, spec_facts::REVIEW_ID_MAX_LENGTH)?;
        let op = self.op(
            "get_review_by_id",
            "GET",
            &format!("/post-incident-reviews/{}", encode(id)),
        );
        let api = &self.inner.api;
        not_found_as_none(
            self.call(&op, deadline, || api.get_review_by_id(id))
                .await
                .0,
        )
    }

    /// Asks Jira to delete the incident `id`. Deletion is asynchronous and accepted even for
    /// an unknown ID; see [`wait_until_incident_deleted`](Self::wait_until_incident_deleted).
    pub async fn delete_incident(&self, id: &str) -> Result<()> {
        check_id(
            "delete_incident_by_id",
            id,
            spec_facts::INCIDENT_ID_MAX_LENGTH,
        )?;
        let op = self.op(
            "delete_incident_by_id",
            "DELETE",
            &format!("/incidents/{}", encode(id)),
        );
        let api = &self.inner.api;
        self.call(&op, self.deadline(), || api.delete_incident_by_id(id))
            .await
            .0
    }

    /// Asks Jira to delete the review `id` (asynchronously).
    pub async fn delete_review(&self, id: &str) -> Result<()> {
        check_id("delete_review_by_id", id, spec_facts::REVIEW_ID_MAX_LENGTH)?;
        let op = self.op(
            "delete_review_by_id",
            "DELETE",
            &format!("/post-incident-reviews/{}", encode(id)),
        );
        let api = &self.inner.api;
        self.call(&op, self.deadline(), || api.delete_review_by_id(id))
            .await
            .0
    }

    /// Asks Jira to delete every incident and review submitted with `properties` matching all
    /// of `filters` (1 to 5 `key=value` pairs), asynchronously. Jira cannot list what matches;
    /// to confirm, wait on the IDs you submitted with those properties
    /// ([`wait_until_all_deleted`](Self::wait_until_all_deleted)).
    pub async fn delete_by_properties(&self, filters: &[(&str, &str)]) -> Result<()> {
        let op = self.op("delete_entity_by_property", "DELETE", "/bulkByProperties");
        let api = &self.inner.api;
        self.call(&op, self.deadline(), || {
            api.delete_entity_by_properties(filters)
        })
        .await
        .0
    }

    /// Every workspace ID linked to the site. A 404 (how Jira may answer when none is linked)
    /// reads as an empty list.
    pub async fn workspaces(&self) -> Result<Vec<String>> {
        self.workspaces_until(self.deadline()).await
    }

    pub(crate) async fn workspaces_until(&self, deadline: Option<Instant>) -> Result<Vec<String>> {
        let op = self.op("get_workspaces", "GET", "/linkedWorkspaces");
        let api = &self.inner.api;
        match self
            .call(&op, deadline, || api.get_workspaces(None))
            .await
            .0
        {
            Ok(ids) => Ok(ids.workspace_ids),
            Err(e) if e.is_not_found() => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// `Some(id)` when the workspace `id` is linked, `None` when Jira answers 404 or does not
    /// list it.
    pub async fn workspace(&self, id: &str) -> Result<Option<String>> {
        check_workspace_ids("get_workspaces", &[id])?;
        let op = self.op("get_workspaces", "GET", "/linkedWorkspaces");
        let api = &self.inner.api;
        match self
            .call(&op, self.deadline(), || api.get_workspaces(Some(id)))
            .await
            .0
        {
            Ok(ids) => Ok(ids.workspace_ids.into_iter().find(|w| w == id)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Links workspace IDs to the site, in requests of at most 100. Duplicates are sent once.
    /// Returns `Err` only for input that cannot be sent (no IDs, an empty ID, an ID with a
    /// comma); what happened to each ID is in the report. After a 401, 403 or redirect the
    /// remaining requests are not sent and their IDs are failed.
    pub async fn link_workspaces<S: AsRef<str>>(&self, ids: &[S]) -> Result<LinkReport> {
        let ids = dedup(ids);
        check_workspace_ids("submit_operations_workspaces", &ids)?;
        let mut report = LinkReport::default();
        let mut stop: Option<String> = None;

        for chunk in ids.chunks(spec_facts::SUBMIT_WORKSPACES_REQUEST_WORKSPACE_IDS_MAX_ITEMS) {
            if let Some(reason) = &stop {
                fail_all(&mut report, chunk, reason);
                continue;
            }
            let body = crate::types::SubmitWorkspacesRequest {
                workspace_ids: chunk.iter().map(|s| s.to_string()).collect(),
            };
            let op = self.op(
                "submit_operations_workspaces",
                "POST",
                "/linkedWorkspaces/bulk",
            );
            let api = &self.inner.api;
            let (result, attempts) = self
                .call(&op, self.deadline(), || {
                    api.submit_operations_workspaces(&body)
                })
                .await;
            count(&mut report, attempts);
            match result {
                Ok(answer) => {
                    let accepted: HashSet<&str> = answer
                        .accepted_workspace_ids
                        .iter()
                        .map(String::as_str)
                        .collect();
                    for id in chunk {
                        if accepted.contains(id) {
                            report.accepted.push(id.to_string());
                        } else {
                            report.unconfirmed.push(id.to_string());
                        }
                    }
                }
                Err(e) => settle_failed_chunk(&mut report, chunk, &e, &mut stop),
            }
        }
        Ok(report)
    }

    /// Unlinks workspace IDs (and, eventually, their data), in requests of at most 100 IDs
    /// sent as one comma-separated `workspaceIds` parameter. Same reporting as
    /// [`link_workspaces`](Self::link_workspaces); see also
    /// [`wait_until_workspaces_unlinked`](Self::wait_until_workspaces_unlinked).
    pub async fn unlink_workspaces<S: AsRef<str>>(&self, ids: &[S]) -> Result<LinkReport> {
        let ids = dedup(ids);
        check_workspace_ids("delete_workspaces", &ids)?;
        let mut report = LinkReport::default();
        let mut stop: Option<String> = None;

        for chunk in ids.chunks(spec_facts::SUBMIT_WORKSPACES_REQUEST_WORKSPACE_IDS_MAX_ITEMS) {
            if let Some(reason) = &stop {
                fail_all(&mut report, chunk, reason);
                continue;
            }
            let joined = chunk.join(",");
            let op = self.op("delete_workspaces", "DELETE", "/linkedWorkspaces/bulk");
            let api = &self.inner.api;
            let (result, attempts) = self
                .call(&op, self.deadline(), || api.delete_workspaces(&joined))
                .await;
            count(&mut report, attempts);
            match result {
                Ok(()) => report.accepted.extend(chunk.iter().map(|s| s.to_string())),
                Err(e) => settle_failed_chunk(&mut report, chunk, &e, &mut stop),
            }
        }
        Ok(report)
    }
}

fn count(report: &mut LinkReport, attempts: u32) {
    report.requests_sent += u64::from(attempts);
    report.retries += u64::from(attempts.saturating_sub(1));
}

fn fail_all(report: &mut LinkReport, chunk: &[&str], reason: &str) {
    for id in chunk {
        report.failed.insert(id.to_string(), reason.to_string());
    }
}

fn settle_failed_chunk(
    report: &mut LinkReport,
    chunk: &[&str],
    error: &Error,
    stop: &mut Option<String>,
) {
    if error.outcome_unknown() {
        report
            .unconfirmed
            .extend(chunk.iter().map(|s| s.to_string()));
    } else {
        fail_all(report, chunk, &error.to_string());
    }
    if ends_session(error) {
        *stop = Some(format!("not sent: an earlier request failed: {error}"));
    }
}

/// Errors every later request of the same session would meet too.
pub(crate) fn ends_session(error: &Error) -> bool {
    error.is_auth() || error.is_redirect() || error.is_sign()
}

fn dedup<S: AsRef<str>>(ids: &[S]) -> Vec<&str> {
    let mut seen = HashSet::new();
    ids.iter()
        .map(AsRef::as_ref)
        .filter(|id| seen.insert(*id))
        .collect()
}

fn check_workspace_ids(operation: &'static str, ids: &[&str]) -> Result<()> {
    if ids.is_empty() {
        return Err(Error::invalid_input("no workspace ids given").with_operation(operation));
    }
    if ids.iter().any(|id| id.is_empty()) {
        return Err(Error::invalid_input("a workspace id is empty").with_operation(operation));
    }
    if let Some(id) = ids.iter().find(|id| id.contains(',')) {
        return Err(Error::invalid_input(format!(
            "workspace id `{id}` contains a comma, which the unlink request uses as separator"
        ))
        .with_operation(operation));
    }
    Ok(())
}

fn check_id(operation: &'static str, id: &str, max: usize) -> Result<()> {
    if id.is_empty() {
        return Err(Error::invalid_input("the id is empty").with_operation(operation));
    }
    let length = id.chars().count();
    if length > max {
        return Err(Error::invalid_input(format!(
            "the id is {length} characters long, more than {max}"
        ))
        .with_operation(operation));
    }
    Ok(())
}

fn encode(id: &str) -> String {
    progenitor_client::encode_path(id)
}

/// A 2xx to a submit with an empty body reads as an empty answer.
fn empty_body_as_default(result: Result<SubmitEntityResponse>) -> Result<SubmitEntityResponse> {
    match result {
        Err(e) if e.is_decode() && e.body().is_some_and(|b| b.trim().is_empty()) => {
            Ok(SubmitEntityResponse::default())
        }
        other => other,
    }
}

fn not_found_as_none<T>(result: Result<T>) -> Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

impl fmt::Debug for OperationsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OperationsClient")
            .field("base_url", &self.inner.base_url)
            .field("app_key", &self.inner.app_key)
            .field("retry", &self.inner.retry)
            .field("attempt_timeout", &self.inner.attempt_timeout)
            .field("overall_timeout", &self.inner.overall_timeout)
            .finish_non_exhaustive()
    }
}

/// Every public future can be spawned on a multi-threaded runtime.
#[allow(dead_code)]
fn _futures_are_send(client: &OperationsClient, incidents: Vec<Incident>, reviews: Vec<Review>) {
    use crate::batch::SubmitOptions;
    use crate::waiter::WaitPolicy;

    fn is_send<T: Send>(_: T) {}
    let options = SubmitOptions::default();
    let policy = WaitPolicy::default();
    is_send(client.submit(&SubmitEntityRequest::default()));
    is_send(client.get_incident("INC-1"));
    is_send(client.delete_by_properties(&[("a", "b")]));
    is_send(client.link_workspaces(&["w"]));
    is_send(client.unlink_workspaces(&["w"]));
    is_send(client.submit_incidents(incidents.clone(), &options));
    is_send(client.submit_reviews(reviews.clone(), &options));
    is_send(client.submit_incidents_stream(futures::stream::iter(incidents), &options));
    is_send(client.submit_reviews_stream(futures::stream::iter(reviews), &options));
    is_send(client.wait_until_incident_stored("INC-1", None, &policy));
    is_send(client.wait_until_all_stored(&[], &policy));
    is_send(client.wait_until_all_deleted(&["a"], &["b"], &policy));
    is_send(client.wait_until_workspaces_unlinked(&["w"], &policy));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_neither_secret_nor_token() {
        let installation = Installation::new(
            "com.example.app",
            "client-key",
            "a-very-secret-secret",
            "https://example.atlassian.net/",
        );
        let client = OperationsClient::new(installation).unwrap();
        let debug = format!("{client:?}");
        assert!(debug.contains("com.example.app"), "{debug}");
        assert!(debug.contains("https://example.atlassian.net\""), "{debug}");
        assert!(!debug.contains("a-very-secret-secret"), "{debug}");
        assert!(!debug.contains("JWT"), "{debug}");
    }

    #[test]
    fn a_base_url_that_is_not_http_is_refused() {
        let installation = Installation::new("app", "client", "secret", "ftp://x");
        let error = OperationsClient::new(installation).unwrap_err();
        assert!(error.is_invalid_input(), "{error}");
    }

    #[test]
    fn a_base_url_with_a_query_or_fragment_is_refused() {
        for base_url in [
            "https://x.atlassian.net?x=1",
            "https://x.atlassian.net/#top",
        ] {
            let installation = Installation::new("app", "client", "secret", base_url);
            let error = OperationsClient::new(installation).unwrap_err();
            assert!(error.is_invalid_input(), "{error}");
            assert!(error.to_string().contains("query or fragment"), "{error}");
        }
        let installation = Installation::new("app", "client", "secret", "https://x.example/jira/");
        assert!(OperationsClient::new(installation).is_ok());
    }

    #[test]
    fn an_empty_secret_is_refused() {
        let installation = Installation::new("app", "client", "", "https://x.atlassian.net");
        assert!(OperationsClient::new(installation).is_err());
    }
}

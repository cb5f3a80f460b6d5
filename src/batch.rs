//! Submitting many incidents or reviews, with an exact account of each one.
//!
//! Input is consumed as a stream and sent as it comes, so memory stays bounded by
//! `concurrency × request size` however long the input is. Each record is validated
//! ([`crate::validate`]); a bad one is reported with its reasons and the rest go on. Valid
//! records are packed into requests of at most 1000 entities (the spec's limit) and at most
//! [`SubmitOptions::max_request_bytes`] bytes of JSON. Each entity becomes JSON once, when it
//! is admitted: a typed entity is serialized, an [`EntityJson`] is checked in place and kept as
//! given. Its JSON gives its size and is copied once, into the body of the request being
//! filled, so a request's body is complete when the request is: neither sending, nor a retry,
//! nor a split serializes again. A request answered 413 is split in half and each half resent,
//! down to a single entity.
//!
//! Every input record ends in exactly one list of the [`SubmitReport`]:
//!
//! * `accepted`: an incident named in the 202 answer's `acceptedIncidents`;
//! * `failed`: an incident named in `failedIncidents`; a record in a request Jira refused
//!   outright (400, 401, 403, a 413 for one entity, a 429 or 503 that outlasted the retries,
//!   …) or that could not be sent (connection refused); or one held back because such a
//!   refusal (401, 403, a redirect) ended the submission;
//! * `rejected`: never sent (invalid, larger than a request may be, superseded by a duplicate,
//!   or refused request-level options);
//! * `unconfirmed`: sent but not settled by the answer, which is every review (the 202
//!   schema has no review fields) and any incident named in no list, or sent in a request
//!   whose fate is unknown (the connection broke, a gateway answered 502 or 504, the deadline
//!   passed): those may have been stored. An entity whose issue keys all lie in projects the
//!   answer calls unknown stays here too, with a warning: Jira does not store it, but its
//!   answer does not say so.
//!
//! Duplicate IDs: two records with one ID are never sent in the same request. While a request
//! is being filled, of two records with one ID the one Jira would keep stays: the higher
//! `updateSequenceNumber`, or the earlier of two equal ones. The other is rejected, naming the
//! one kept. Records with an ID already sent in an earlier request of the same submission are
//! sent again, and Jira keeps whichever has the higher `updateSequenceNumber`; the client warns
//! when the later number cannot supersede the earlier one. (Remembering every ID of an
//! unbounded stream to do more would make memory grow with the input.)

use std::collections::{BTreeSet, HashSet, VecDeque};
use std::fmt;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll, ready};

use futures::stream::{self, BoxStream, Stream, StreamExt};
use serde::{Deserialize, Serialize};

use crate::client::{EntityKind, OperationsClient, ends_session};
use crate::error::Error;
use crate::json_entity::{self, Checked, Refusal};
use crate::model::AssociationType;
use crate::spec_facts;
use crate::types::{
    Association, Incident, ProviderMetadata, Review, SubmitEntityRequest, SubmitEntityResponse,
};

/// One input record: an entity and, optionally, where it came from (e.g. `file.ndjson:12`),
/// which the report repeats.
#[derive(Debug, Clone, PartialEq)]
pub struct Record<T> {
    /// The incident or review.
    pub entity: T,
    /// Where it came from, for messages.
    pub source: Option<String>,
}

impl<T> Record<T> {
    /// A record of `entity` read from `source`.
    pub fn new(entity: T, source: impl Into<String>) -> Self {
        Self {
            entity,
            source: Some(source.into()),
        }
    }
}

impl<T> From<T> for Record<T> {
    fn from(entity: T) -> Self {
        Self {
            entity,
            source: None,
        }
    }
}

/// An incident or review as the JSON it is to be sent as: one object, such as a line of an
/// NDJSON file. It is checked by the rules a typed entity is checked by, and stricter where the
/// bytes would otherwise reach Jira unchecked (an unknown field, a `null`, an empty list), then
/// sent byte for byte; it is never parsed into owned strings or serialized again.
#[derive(Clone, PartialEq, Eq)]
pub struct EntityJson(pub Vec<u8>);

impl fmt::Debug for EntityJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = String::from_utf8_lossy(&self.0[..self.0.len().min(200)]);
        f.debug_tuple("EntityJson").field(&text).finish()
    }
}

impl From<Vec<u8>> for EntityJson {
    fn from(json: Vec<u8>) -> Self {
        Self(json)
    }
}

impl From<String> for EntityJson {
    fn from(json: String) -> Self {
        Self(json.into_bytes())
    }
}

/// What a submission reads: typed entities, or entities as JSON.
enum Input<E> {
    Typed(Record<E>),
    Json(Record<EntityJson>),
}

/// How a submission is packed and what goes with every request.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SubmitOptions {
    /// Largest request body, in bytes of JSON (default 1 MiB). An entity that alone would
    /// exceed it is rejected without being sent.
    pub max_request_bytes: usize,
    /// Most entities per request (default and upper bound: the spec's 1000).
    pub max_entities_per_request: usize,
    /// Requests in flight at once (default 4).
    pub concurrency: usize,
    /// `properties` sent with every request: at most 5; keys non-empty, without `:`, not
    /// starting with `_`; values at most 255 characters. Delete by these later with
    /// [`OperationsClient::delete_by_properties`].
    pub properties: std::collections::BTreeMap<String, String>,
    /// `providerMetadata` sent with every request.
    pub provider_metadata: Option<ProviderMetadata>,
    /// List each accepted record in [`SubmitReport::accepted`] (default), or only count them
    /// in [`SubmitReport::accepted_unlisted`]. Counting keeps a submission of millions of
    /// records in constant memory; every other outcome is listed record by record either way.
    pub list_accepted: bool,
}

impl Default for SubmitOptions {
    fn default() -> Self {
        Self {
            max_request_bytes: 1024 * 1024,
            max_entities_per_request: spec_facts::SUBMIT_ENTITY_REQUEST_INCIDENTS_MAX_ITEMS,
            concurrency: 4,
            properties: Default::default(),
            provider_metadata: None,
            list_accepted: true,
        }
    }
}

impl SubmitOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`max_request_bytes`](Self::max_request_bytes).
    pub fn max_request_bytes(mut self, bytes: usize) -> Self {
        self.max_request_bytes = bytes;
        self
    }

    /// Sets [`max_entities_per_request`](Self::max_entities_per_request) (clamped to 1..=1000).
    pub fn max_entities_per_request(mut self, entities: usize) -> Self {
        self.max_entities_per_request = entities;
        self
    }

    /// Sets [`list_accepted`](Self::list_accepted).
    pub fn list_accepted(mut self, list: bool) -> Self {
        self.list_accepted = list;
        self
    }

    /// Sets [`concurrency`](Self::concurrency) (at least 1).
    pub fn concurrency(mut self, requests: usize) -> Self {
        self.concurrency = requests;
        self
    }

    /// Adds one property.
    pub fn property(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.insert(key.into(), value.into());
        self
    }

    /// Sets the provider metadata's `product`.
    pub fn product(mut self, product: impl Into<String>) -> Self {
        self.provider_metadata = Some(ProviderMetadata {
            product: Some(product.into()),
        });
        self
    }

    /// Every reason the request-level options would be refused; empty when valid.
    pub fn validate(&self) -> Vec<String> {
        let mut reasons = Vec::new();
        let max = spec_facts::SUBMIT_ENTITY_REQUEST_PROPERTIES_MAX_PROPERTIES;
        if self.properties.len() > max {
            reasons.push(format!(
                "properties has {} entries, more than {max}",
                self.properties.len()
            ));
        }
        let value_max = spec_facts::SUBMIT_ENTITY_REQUEST_PROPERTIES_VALUE_MAX_LENGTH;
        for (key, value) in &self.properties {
            if key.is_empty() {
                reasons.push("a property key is empty".to_string());
            } else if key.contains(':') {
                reasons.push(format!("property key `{key}` contains `:`"));
            } else if key.starts_with('_') {
                reasons.push(format!("property key `{key}` starts with `_`"));
            }
            let length = value.chars().count();
            if length > value_max {
                reasons.push(format!(
                    "the value of property `{key}` is {length} characters long, more than {value_max}"
                ));
            }
        }
        if self.max_request_bytes == 0 {
            reasons.push("max_request_bytes is 0".to_string());
        }
        reasons
    }
}

/// A record that was sent: its ID and where it was in the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    /// Incident or review.
    pub kind: EntityKind,
    /// The entity's ID.
    pub id: String,
    /// Its index in the submitted sequence, from 0.
    pub position: usize,
    /// Where it came from, if the caller said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The `updateSequenceNumber` it was sent with: reading it back with at least this number
    /// confirms that this version is the one stored.
    pub update_sequence_number: i64,
    /// For an unconfirmed record, why nothing confirms it yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Sent {
    /// A record sent and not settled, for `reason`.
    fn unconfirmed(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
}

/// A record Jira did not store, with its messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failed {
    /// Incident or review.
    pub kind: EntityKind,
    /// The entity's ID.
    pub id: String,
    /// Its index in the submitted sequence, from 0.
    pub position: usize,
    /// Where it came from, if the caller said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Jira's messages for it (with `errorTraceId`s), or why its request failed.
    pub messages: Vec<String>,
}

/// A record that was never sent, with the reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    /// The entity's ID, if it has one.
    pub id: Option<String>,
    /// Its index in the submitted sequence (or wherever the caller counts from).
    pub position: usize,
    /// Where it came from, e.g. `file.ndjson:12`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Why it was not sent.
    pub reasons: Vec<String>,
}

/// The account of a submission: every record in exactly one of `accepted`, `failed`,
/// `rejected` and `unconfirmed`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitReport {
    /// Named in the answer's `acceptedIncidents`.
    pub accepted: Vec<Sent>,
    /// Named in `failedIncidents`, or in a request Jira refused.
    pub failed: Vec<Failed>,
    /// Never sent.
    pub rejected: Vec<Rejected>,
    /// Sent, but no answer says what became of it (every review; requests whose fate is
    /// unknown). Confirm with a GET or a waiter.
    pub unconfirmed: Vec<Sent>,
    /// Project keys Jira did not know (`unknownProjectKeys`): a warning, not a failure.
    pub unknown_project_keys: BTreeSet<String>,
    /// Fields of Jira's answers that the spec does not name (a sign that Jira's API has moved
    /// on): the answers' other fields were read as usual.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub unknown_answer_fields: BTreeSet<String>,
    /// Things worth knowing that are not failures, e.g. an `updateSequenceNumber` that cannot
    /// supersede an earlier one.
    pub warnings: Vec<String>,
    /// HTTP requests made, retries included.
    pub requests_sent: u64,
    /// Of those, retries.
    pub retries: u64,
    /// Bytes of request bodies handed to the HTTP client, retries included (an attempt whose
    /// connection was refused counts too).
    pub bytes_sent: u64,
    /// Records accepted but not listed in `accepted`, when the submission was made with
    /// [`SubmitOptions::list_accepted`] off.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub accepted_unlisted: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl SubmitReport {
    /// Records accounted for.
    pub fn total(&self) -> usize {
        self.accepted_count() + self.failed.len() + self.rejected.len() + self.unconfirmed.len()
    }

    /// Records accepted, listed or only counted.
    pub fn accepted_count(&self) -> usize {
        self.accepted.len() + self.accepted_unlisted as usize
    }

    /// Every record accepted: nothing failed, rejected or unconfirmed.
    pub fn is_complete_success(&self) -> bool {
        self.failed.is_empty() && self.rejected.is_empty() && self.unconfirmed.is_empty()
    }

    /// Some record failed or was rejected.
    pub fn has_failures(&self) -> bool {
        !self.failed.is_empty() || !self.rejected.is_empty()
    }

    /// The report when every record was accepted, else an error carrying it: for callers
    /// that treat anything short of complete success as a failure.
    ///
    /// ```no_run
    /// # async fn run(client: jira_operations::OperationsClient,
    /// #     incidents: Vec<jira_operations::types::Incident>) -> Result<(), Box<dyn std::error::Error>> {
    /// let report = client
    ///     .submit_incidents(incidents, &Default::default())
    ///     .await
    ///     .into_complete()?;
    /// println!("{} accepted", report.accepted_count());
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_complete(self) -> std::result::Result<Self, Incomplete> {
        if self.is_complete_success() {
            Ok(self)
        } else {
            Err(Incomplete(Box::new(self)))
        }
    }

    /// Adds a record rejected outside the client, e.g. an input line that is not valid JSON.
    pub fn reject(&mut self, rejected: Rejected) {
        self.rejected.push(rejected);
    }

    /// Adds `other`'s records, keys, warnings and counters to this report.
    pub fn merge(&mut self, other: SubmitReport) {
        self.accepted.extend(other.accepted);
        self.failed.extend(other.failed);
        self.rejected.extend(other.rejected);
        self.unconfirmed.extend(other.unconfirmed);
        self.unknown_project_keys.extend(other.unknown_project_keys);
        self.unknown_answer_fields
            .extend(other.unknown_answer_fields);
        self.warnings.extend(other.warnings);
        self.requests_sent += other.requests_sent;
        self.retries += other.retries;
        self.bytes_sent += other.bytes_sent;
        self.accepted_unlisted += other.accepted_unlisted;
    }

    /// Moves the unconfirmed records of `kind` whose ID is in `stored` to `accepted` (after
    /// a GET or a waiter saw them); returns how many moved.
    pub fn confirm<S: AsRef<str>>(&mut self, kind: EntityKind, stored: &[S]) -> usize {
        let stored: HashSet<&str> = stored.iter().map(AsRef::as_ref).collect();
        let (confirmed, still): (Vec<Sent>, Vec<Sent>) = std::mem::take(&mut self.unconfirmed)
            .into_iter()
            .partition(|s| s.kind == kind && stored.contains(s.id.as_str()));
        let moved = confirmed.len();
        self.accepted
            .extend(confirmed.into_iter().map(|s| Sent { reason: None, ..s }));
        self.accepted.sort_by_key(|s| s.position);
        self.unconfirmed = still;
        moved
    }

    fn sort(&mut self) {
        self.accepted.sort_by_key(|s| s.position);
        self.failed.sort_by_key(|s| s.position);
        self.rejected.sort_by_key(|s| s.position);
        self.unconfirmed.sort_by_key(|s| s.position);
    }
}

/// A submission in which not every record was accepted; from [`SubmitReport::into_complete`].
/// Its text counts what went wrong; the report says record by record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incomplete(pub Box<SubmitReport>);

impl Incomplete {
    /// The report.
    pub fn report(&self) -> &SubmitReport {
        &self.0
    }
}

impl std::fmt::Display for Incomplete {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = &self.0;
        write!(
            f,
            "{} of {} records not accepted: {} failed, {} rejected before sending, {} unconfirmed",
            r.total() - r.accepted_count(),
            r.total(),
            r.failed.len(),
            r.rejected.len(),
            r.unconfirmed.len()
        )
    }
}

impl std::error::Error for Incomplete {}

/// What the batching layer needs of an incident or a review.
pub(crate) trait Entity:
    Serialize + serde::de::DeserializeOwned + Send + Sync + Sized + Unpin + 'static
{
    const KIND: EntityKind;
    const LIST_KEY: &'static str;
    /// The entity read in place in its JSON.
    type View<'a>: json_entity::View<'a>;
    fn id(&self) -> &str;
    fn sequence(&self) -> i64;
    fn validate(&self) -> Vec<String>;
    fn associations(&self) -> &[Association];
    fn put(request: &mut SubmitEntityRequest, items: Vec<Self>);
}

impl Entity for Incident {
    const KIND: EntityKind = EntityKind::Incident;
    const LIST_KEY: &'static str = "incidents";
    type View<'a> = json_entity::IncidentView<'a>;

    fn id(&self) -> &str {
        &self.id
    }

    fn sequence(&self) -> i64 {
        self.update_sequence_number
    }

    fn validate(&self) -> Vec<String> {
        crate::validate::validate_incident(self)
    }

    fn associations(&self) -> &[Association] {
        &self.associations
    }

    fn put(request: &mut SubmitEntityRequest, items: Vec<Self>) {
        request.incidents = items;
    }
}

impl Entity for Review {
    const KIND: EntityKind = EntityKind::Review;
    const LIST_KEY: &'static str = "reviews";
    type View<'a> = json_entity::ReviewView<'a>;

    fn id(&self) -> &str {
        &self.id
    }

    fn sequence(&self) -> i64 {
        self.update_sequence_number
    }

    fn validate(&self) -> Vec<String> {
        crate::validate::validate_review(self)
    }

    fn associations(&self) -> &[Association] {
        &self.associations
    }

    fn put(request: &mut SubmitEntityRequest, items: Vec<Self>) {
        request.reviews = items;
    }
}

/// A request body around its entities: `{"incidents":[` (or `reviews`), the entities' JSON
/// separated by commas, then `]`, the other fields of the request, `}`. Its size follows
/// exactly from the sizes of the entities.
#[derive(Debug, Clone)]
struct Frame {
    prefix: Vec<u8>,
    suffix: Vec<u8>,
}

impl Frame {
    /// The frame of `template`, a request without entities.
    fn new<E: Entity>(template: &SubmitEntityRequest) -> Self {
        let empty = serde_json::to_vec(template).unwrap_or_else(|_| b"{}".to_vec());
        // The template's own fields, without its braces.
        let others = &empty[1..empty.len() - 1];
        let prefix = format!("{{\"{}\":[", E::LIST_KEY).into_bytes();
        let mut suffix = b"]".to_vec();
        if !others.is_empty() {
            suffix.push(b',');
            suffix.extend_from_slice(others);
        }
        suffix.push(b'}');
        Self { prefix, suffix }
    }

    fn request_bytes(&self, entities: usize, entity_bytes: usize) -> usize {
        self.prefix.len() + self.suffix.len() + entity_bytes + entities.saturating_sub(1)
    }
}

/// A request body being filled: the frame's prefix, then the entities' JSON separated by
/// commas. Entities are copied in as they are admitted, so the body is whole when the request
/// is: sealing it only adds the frame's suffix.
struct Filling {
    body: Vec<u8>,
    /// Where each entity's JSON ends in `body`.
    ends: Vec<usize>,
    /// Where the first entity starts: the length of the prefix.
    start: usize,
}

impl Filling {
    fn new(frame: &Frame, capacity: usize) -> Self {
        let mut body = Vec::with_capacity(capacity.max(frame.prefix.len()));
        body.extend_from_slice(&frame.prefix);
        Self {
            start: body.len(),
            body,
            ends: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    /// The bytes of the entities, without the commas between them.
    fn entity_bytes(&self) -> usize {
        self.body.len() - self.start - self.len().saturating_sub(1)
    }

    fn push(&mut self, json: &[u8]) {
        if !self.ends.is_empty() {
            self.body.push(b',');
        }
        self.body.extend_from_slice(json);
        self.ends.push(self.body.len());
    }

    /// Takes entity `index` out, with one comma next to it.
    fn remove(&mut self, index: usize) {
        let from = entity_start(self.start, &self.ends, index);
        let to = self.ends[index];
        let (cut_from, cut_to) = if index + 1 < self.len() {
            (from, to + 1)
        } else if index > 0 {
            (from - 1, to)
        } else {
            (from, to)
        };
        self.body.drain(cut_from..cut_to);
        self.ends.remove(index);
        for end in &mut self.ends[index..] {
            *end -= cut_to - cut_from;
        }
    }

    /// The finished body: the frame's suffix added.
    fn seal(mut self, frame: &Frame) -> Body {
        self.body.extend_from_slice(&frame.suffix);
        Body {
            bytes: self.body.into(),
            ends: self.ends,
            start: self.start,
        }
    }
}

/// Where entity `index` starts, in a body whose entities end at `ends` and start at `start`.
fn entity_start(start: usize, ends: &[usize], index: usize) -> usize {
    match index {
        0 => start,
        _ => ends[index - 1] + 1,
    }
}

/// The body of one request, exactly as sent, and where each of its entities lies in it.
struct Body {
    bytes: bytes::Bytes,
    ends: Vec<usize>,
    start: usize,
}

impl Body {
    /// The body of `entities` in `frame`.
    fn of<'e>(frame: &Frame, entities: impl IntoIterator<Item = &'e [u8]>) -> Self {
        let mut filling = Filling::new(frame, 0);
        for entity in entities {
            filling.push(entity);
        }
        filling.seal(frame)
    }

    fn entity(&self, index: usize) -> &[u8] {
        &self.bytes[entity_start(self.start, &self.ends, index)..self.ends[index]]
    }

    fn entities(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.ends.len()).map(|index| self.entity(index))
    }

    /// Two bodies: the entities before `at`, and the rest.
    fn split(&self, at: usize, frame: &Frame) -> (Self, Self) {
        (
            Self::of(frame, self.entities().take(at)),
            Self::of(frame, self.entities().skip(at)),
        )
    }
}

struct Meta {
    id: String,
    /// [`id_hash`] of `id`.
    id_hash: u64,
    position: usize,
    source: Option<String>,
    sequence: i64,
}

impl Meta {
    /// The record for a message: where it came from, else its position.
    fn describe(&self) -> String {
        match &self.source {
            Some(source) => format!("the record at {source}"),
            None => format!("the record at position {}", self.position),
        }
    }

    fn rejected(self, reason: String) -> Rejected {
        Rejected {
            id: Some(self.id),
            position: self.position,
            source: self.source,
            reasons: vec![reason],
        }
    }
}

/// One request: what is known of each entity, in the order of the body's entities.
struct Batch {
    metas: Vec<Meta>,
    body: Body,
}

enum Step {
    Reject(Rejected),
    Send(Batch),
    /// A warning about the submission as a whole.
    Warn(String),
}

/// A hash of an entity ID, to look IDs up without copying them.
pub(crate) fn id_hash(id: &str) -> u64 {
    use std::hash::{Hash as _, Hasher as _};

    let mut hasher = std::hash::DefaultHasher::new();
    id.hash(&mut hasher);
    hasher.finish()
}

/// Most bytes reserved up front for a request body: the default request limit.
const BODY_RESERVE: usize = 1 << 20;

/// Fills one request at a time.
struct Batcher {
    metas: Vec<Meta>,
    filling: Filling,
    /// Hashes of the IDs in `metas`: a hit is confirmed against `metas`, so a collision only
    /// costs a scan.
    ids: HashSet<u64>,
    max_entities: usize,
    max_bytes: usize,
    frame: Frame,
}

impl Batcher {
    fn new(frame: Frame, max_entities: usize, max_bytes: usize) -> Self {
        Self {
            metas: Vec::with_capacity(max_entities),
            filling: Filling::new(&frame, max_bytes.min(BODY_RESERVE)),
            ids: HashSet::with_capacity(max_entities),
            max_entities,
            max_bytes,
            frame,
        }
    }

    fn push(&mut self, meta: Meta, entity: &[u8]) -> Vec<Step> {
        let mut steps = Vec::new();
        let id_hash = meta.id_hash;
        if self.ids.contains(&id_hash)
            && let Some(index) = self.metas.iter().position(|m| m.id == meta.id)
        {
            // One of the two goes: the one Jira would not keep had both been sent, i.e. the
            // lower `updateSequenceNumber`, or the later of two equal ones.
            let earlier = &self.metas[index];
            if meta.sequence <= earlier.sequence {
                let reason = format!(
                    "not sent: {} has the same id and an updateSequenceNumber as high ({} >= {}), \
                     so Jira would keep that one",
                    earlier.describe(),
                    earlier.sequence,
                    meta.sequence
                );
                steps.push(Step::Reject(meta.rejected(reason)));
                return steps;
            }
            let reason = format!(
                "not sent: superseded by {}, which has the same id and a higher \
                 updateSequenceNumber ({} > {})",
                meta.describe(),
                meta.sequence,
                earlier.sequence
            );
            let earlier = self.metas.remove(index);
            self.filling.remove(index);
            steps.push(Step::Reject(earlier.rejected(reason)));
        }
        let full = self.metas.len() + 1 > self.max_entities
            || self.frame.request_bytes(
                self.metas.len() + 1,
                self.filling.entity_bytes() + entity.len(),
            ) > self.max_bytes;
        if full && !self.metas.is_empty() {
            steps.push(Step::Send(self.take()));
        }
        self.ids.insert(id_hash);
        self.metas.push(meta);
        self.filling.push(entity);
        steps
    }

    fn is_empty(&self) -> bool {
        self.metas.is_empty()
    }

    /// The request filled so far; the next one starts empty.
    fn take(&mut self) -> Batch {
        self.ids.clear();
        let next = Filling::new(&self.frame, self.max_bytes.min(BODY_RESERVE));
        let metas = std::mem::replace(&mut self.metas, Vec::with_capacity(self.max_entities));
        Batch {
            metas,
            body: std::mem::replace(&mut self.filling, next).seal(&self.frame),
        }
    }
}

/// Turns input records into steps: rejections and full requests.
struct Producer<'a, E> {
    input: BoxStream<'a, Input<E>>,
    batcher: Batcher,
    pending: VecDeque<Step>,
    position: usize,
    refused_options: Option<Vec<String>>,
    finished: bool,
    /// Where a typed entity is serialized before it is copied into its request.
    scratch: Vec<u8>,
    /// How many records sent have IDs that must be percent-encoded in a path, and a few.
    encoded_ids: (usize, Vec<String>),
}

impl<E: Entity> Stream for Producer<'_, E> {
    type Item = Step;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Step>> {
        let this = &mut *self;
        loop {
            if let Some(step) = this.pending.pop_front() {
                return Poll::Ready(Some(step));
            }
            if this.finished {
                return Poll::Ready(None);
            }
            match ready!(this.input.poll_next_unpin(cx)) {
                Some(record) => {
                    let position = this.position;
                    this.position += 1;
                    let steps = this.admit(record, position);
                    this.pending.extend(steps);
                }
                None => {
                    this.finished = true;
                    if !this.batcher.is_empty() {
                        let batch = this.batcher.take();
                        this.pending.push_back(Step::Send(batch));
                    }
                    if let Some(warning) = this.encoded_ids_warning() {
                        this.pending.push_back(Step::Warn(warning));
                    }
                }
            }
        }
    }
}

impl<'a, E: Entity> Producer<'a, E> {
    /// The producer of a submission of `input` under `options`, and the frame every request
    /// body is built in.
    fn new(input: BoxStream<'a, Input<E>>, options: &SubmitOptions) -> (Self, Frame) {
        let refused = options.validate();
        let refused_options = (!refused.is_empty()).then(|| {
            refused
                .iter()
                .map(|r| format!("request options refused: {r}"))
                .collect::<Vec<_>>()
        });

        let mut template = SubmitEntityRequest {
            properties: options.properties.clone(),
            provider_metadata: options.provider_metadata.clone(),
            ..Default::default()
        };
        E::put(&mut template, Vec::new());
        let frame = Frame::new::<E>(&template);
        let max_entities = options
            .max_entities_per_request
            .clamp(1, spec_facts::SUBMIT_ENTITY_REQUEST_INCIDENTS_MAX_ITEMS);

        let producer = Producer {
            input,
            batcher: Batcher::new(frame.clone(), max_entities, options.max_request_bytes),
            pending: VecDeque::new(),
            position: 0,
            refused_options,
            finished: false,
            scratch: Vec::new(),
            encoded_ids: (0, Vec::new()),
        };
        (producer, frame)
    }

    /// What to say of the IDs that a path must percent-encode, if any were sent.
    fn encoded_ids_warning(&self) -> Option<String> {
        let (count, examples) = &self.encoded_ids;
        (*count > 0).then(|| {
            // Escaped, so that a control character in an id cannot act on a terminal.
            let examples: Vec<String> = examples
                .iter()
                .map(|id| format!("`{}`", id.escape_debug()))
                .collect();
            let (ids, hold, they, them) = match count {
                1 => ("id", "holds", "it is", "it"),
                _ => ("ids", "hold", "they are", "them"),
            };
            format!(
                "{count} {} {ids} ({}{}) {hold} characters other than A-Z a-z 0-9 - . _ ~; \
                 {they} percent-encoded in the paths that read and delete {them}, and whether \
                 Jira accepts such paths is not documented: prefer ids of those characters",
                E::KIND,
                examples.join(", "),
                if *count > examples.len() { ", …" } else { "" },
            )
        })
    }

    fn admit(&mut self, input: Input<E>, position: usize) -> Vec<Step> {
        // A JSON record's bytes, kept until they are copied into a request.
        let line: Vec<u8>;
        let (source, prepared) = match input {
            Input::Typed(Record { entity, source }) => {
                let checked = prepare_typed(entity, &mut self.scratch);
                (
                    source,
                    checked.map(|checked| (checked, self.scratch.as_slice())),
                )
            }
            Input::Json(Record { entity, source }) => {
                line = entity.0;
                (source, prepare_json::<E>(&line))
            }
        };
        let reject = |id: Option<String>, reasons: Vec<String>, source: Option<String>| {
            vec![Step::Reject(Rejected {
                id,
                position,
                source,
                reasons,
            })]
        };
        let (checked, json) = match prepared {
            Ok(prepared) => prepared,
            Err(refusal) => return reject(refusal.id, refusal.reasons, source),
        };
        if let Some(reasons) = &self.refused_options {
            return reject(Some(checked.id), reasons.clone(), source);
        }

        let alone = self.batcher.frame.request_bytes(1, json.len());
        if alone > self.batcher.max_bytes {
            let reason = format!(
                "the {} alone makes a request of {alone} bytes, more than the limit of {} bytes",
                E::KIND,
                self.batcher.max_bytes
            );
            return reject(Some(checked.id), vec![reason], source);
        }
        if !crate::validate::id_is_url_safe(&checked.id) {
            self.encoded_ids.0 += 1;
            if self.encoded_ids.1.len() < 3 {
                self.encoded_ids.1.push(checked.id.clone());
            }
        }
        let meta = Meta {
            sequence: checked.sequence,
            id_hash: id_hash(&checked.id),
            id: checked.id,
            position,
            source,
        };
        self.batcher.push(meta, json)
    }
}

/// Validates a typed entity and serializes it into `json`.
fn prepare_typed<E: Entity>(entity: E, json: &mut Vec<u8>) -> Result<Checked, Refusal> {
    let id = entity.id();
    let id = (!id.is_empty()).then(|| id.to_string());
    let reasons = entity.validate();
    if !reasons.is_empty() {
        return Err(Refusal { id, reasons });
    }
    json.clear();
    if let Err(e) = serde_json::to_writer(&mut *json, &entity) {
        let reasons = vec![format!("cannot be serialized: {e}")];
        return Err(Refusal { id, reasons });
    }
    Ok(Checked {
        id: id.unwrap_or_default(),
        sequence: entity.sequence(),
    })
}

/// Checks an entity given as JSON; its bytes, without surrounding white space, are what is
/// sent.
fn prepare_json<E: Entity>(json: &[u8]) -> Result<(Checked, &[u8]), Refusal> {
    let checked = json_entity::check::<E::View<'_>>(json)?;
    Ok((checked, json.trim_ascii()))
}

impl OperationsClient {
    /// Validates, packs and sends `incidents` (anything iterable of [`Incident`] or
    /// [`Record<Incident>`]) and accounts for each one. Never fails as a whole: every problem
    /// is in the report.
    pub async fn submit_incidents<I>(&self, incidents: I, options: &SubmitOptions) -> SubmitReport
    where
        I: IntoIterator,
        I::IntoIter: Send,
        I::Item: Into<Record<Incident>>,
    {
        let input = stream::iter(incidents)
            .map(|r| Input::Typed(r.into()))
            .boxed();
        self.submit_stream(input, options).await
    }

    /// As [`submit_incidents`](Self::submit_incidents), for reviews. Jira's answer does not
    /// name reviews, so sent reviews end up `unconfirmed` unless a later answer or
    /// [`SubmitReport::confirm`] says otherwise.
    pub async fn submit_reviews<I>(&self, reviews: I, options: &SubmitOptions) -> SubmitReport
    where
        I: IntoIterator,
        I::IntoIter: Send,
        I::Item: Into<Record<Review>>,
    {
        let input = stream::iter(reviews)
            .map(|r| Input::Typed(r.into()))
            .boxed();
        self.submit_stream(input, options).await
    }

    /// As [`submit_incidents`](Self::submit_incidents), reading a stream as it goes (e.g.
    /// lines of a large file): at most `concurrency + 1` requests' worth of records are held.
    pub async fn submit_incidents_stream<S>(
        &self,
        incidents: S,
        options: &SubmitOptions,
    ) -> SubmitReport
    where
        S: Stream + Send,
        S::Item: Into<Record<Incident>>,
    {
        let input = incidents.map(|r| Input::Typed(r.into())).boxed();
        self.submit_stream(input, options).await
    }

    /// As [`submit_incidents_stream`](Self::submit_incidents_stream), for reviews.
    pub async fn submit_reviews_stream<S>(
        &self,
        reviews: S,
        options: &SubmitOptions,
    ) -> SubmitReport
    where
        S: Stream + Send,
        S::Item: Into<Record<Review>>,
    {
        let input = reviews.map(|r| Input::Typed(r.into())).boxed();
        self.submit_stream(input, options).await
    }

    /// As [`submit_incidents_stream`](Self::submit_incidents_stream), for incidents given as
    /// JSON (each [`EntityJson`] one object, e.g. a line of an NDJSON file): each is checked in
    /// place and, when it passes, sent as the bytes it came as. The cheapest way to submit what
    /// is already JSON.
    pub async fn submit_incidents_json_stream<S>(
        &self,
        incidents: S,
        options: &SubmitOptions,
    ) -> SubmitReport
    where
        S: Stream + Send,
        S::Item: Into<Record<EntityJson>>,
    {
        let input = incidents.map(|r| Input::Json(r.into())).boxed();
        self.submit_stream::<Incident>(input, options).await
    }

    /// As [`submit_incidents_json_stream`](Self::submit_incidents_json_stream), for reviews.
    pub async fn submit_reviews_json_stream<S>(
        &self,
        reviews: S,
        options: &SubmitOptions,
    ) -> SubmitReport
    where
        S: Stream + Send,
        S::Item: Into<Record<EntityJson>>,
    {
        let input = reviews.map(|r| Input::Json(r.into())).boxed();
        self.submit_stream::<Review>(input, options).await
    }

    async fn submit_stream<E: Entity>(
        &self,
        input: BoxStream<'_, Input<E>>,
        options: &SubmitOptions,
    ) -> SubmitReport {
        let (producer, frame) = Producer::new(input, options);
        let stop: Mutex<Option<String>> = Mutex::new(None);

        let mut report = producer
            .map(|step| {
                // Runs in input order, before the request is sent.
                let warnings = match &step {
                    Step::Send(batch) => {
                        let entities: Vec<(&str, u64, i64)> = batch
                            .metas
                            .iter()
                            .map(|m| (m.id.as_str(), m.id_hash, m.sequence))
                            .collect();
                        self.note_sequences(E::KIND, &entities)
                    }
                    Step::Reject(_) | Step::Warn(_) => Vec::new(),
                };
                let (frame, stop, list) = (&frame, &stop, options.list_accepted);
                async move {
                    let mut part = match step {
                        Step::Reject(rejected) => SubmitReport {
                            rejected: vec![rejected],
                            ..Default::default()
                        },
                        Step::Send(batch) => self.send_batch::<E>(batch, frame, stop, list).await,
                        Step::Warn(warning) => SubmitReport {
                            warnings: vec![warning],
                            ..Default::default()
                        },
                    };
                    part.warnings.splice(0..0, warnings);
                    part
                }
            })
            .buffer_unordered(options.concurrency.max(1))
            .fold(SubmitReport::default(), |mut report, part| async move {
                report.merge(part);
                report
            })
            .await;
        report.sort();
        report
    }

    /// Sends one request, splitting it on 413, and accounts for each of its entities.
    async fn send_batch<E: Entity>(
        &self,
        batch: Batch,
        frame: &Frame,
        stop: &Mutex<Option<String>>,
        list_accepted: bool,
    ) -> SubmitReport {
        let mut report = SubmitReport::default();
        let mut work = vec![batch];

        while let Some(Batch { mut metas, body }) = work.pop() {
            let stopped = stop.lock().expect("stop lock").clone();
            if let Some(reason) = stopped {
                fail_all::<E>(&mut report, metas, &[reason]);
                continue;
            }

            let bytes = body.bytes.len() as u64;
            let (result, attempts) = self.submit_json(body.bytes.clone(), self.deadline()).await;
            report.requests_sent += u64::from(attempts);
            report.retries += u64::from(attempts.saturating_sub(1));
            report.bytes_sent += bytes * u64::from(attempts);

            match result {
                Ok(answer) => settle::<E>(&mut report, metas, &body, answer, list_accepted),
                Err(e) if e.status() == Some(413) && metas.len() > 1 => {
                    tracing::debug!(
                        entities = metas.len(),
                        "request too large (413); splitting it in half"
                    );
                    let half = metas.len() / 2;
                    let (left, right) = body.split(half, frame);
                    let right = Batch {
                        metas: metas.split_off(half),
                        body: right,
                    };
                    work.push(right);
                    work.push(Batch { metas, body: left });
                }
                Err(e) => {
                    if ends_session(&e) {
                        let mut stop = stop.lock().expect("stop lock");
                        stop.get_or_insert_with(|| {
                            format!("not sent: an earlier request failed: {e}")
                        });
                    }
                    if e.outcome_unknown() {
                        let cause = unknown_fate_cause(&e);
                        report.warnings.push(format!(
                            "the fate of a request of {} {}s is unknown: {cause}",
                            metas.len(),
                            E::KIND
                        ));
                        let reason = format!("the request's fate is unknown: {cause}");
                        report.unconfirmed.extend(
                            metas
                                .into_iter()
                                .map(|meta| sent::<E>(meta).unconfirmed(reason.clone())),
                        );
                    } else {
                        fail_all::<E>(&mut report, metas, &error_messages(&e));
                    }
                }
            }
        }
        report
    }
}

/// Why a failed request's fate is unknown. When only an earlier attempt left it open, the
/// last error (a 429, a 503) merely refused the retry: naming it as the cause would send the
/// reader after the wrong problem.
fn unknown_fate_cause(error: &Error) -> String {
    match error.outcome_left_open_by() {
        Some(earlier) => format!(
            "an earlier attempt may have been applied ({earlier}); the last attempt got: {error}"
        ),
        None => error.to_string(),
    }
}

/// Benchmark support, not API: the request bodies a submission would send, built by the code
/// that builds them for sending.
#[doc(hidden)]
pub mod bench {
    use super::*;

    /// The bodies `submit_incidents(incidents, options)` would send, in order, each exactly as
    /// it goes on the wire (records are validated, packed and serialized; nothing is sent).
    /// Returns the bodies and how many records were rejected.
    pub fn incident_request_bodies(
        incidents: Vec<Incident>,
        options: &SubmitOptions,
    ) -> (Vec<bytes::Bytes>, usize) {
        let input = stream::iter(incidents)
            .map(|i| Input::Typed(Record::from(i)))
            .boxed();
        let (producer, _frame) = Producer::new(input, options);
        bodies(producer)
    }

    /// As [`incident_request_bodies`], for incidents given as JSON.
    pub fn incident_request_bodies_json(
        incidents: Vec<Vec<u8>>,
        options: &SubmitOptions,
    ) -> (Vec<bytes::Bytes>, usize) {
        let input = stream::iter(incidents)
            .map(|json| Input::Json(Record::from(EntityJson(json))))
            .boxed();
        let (producer, _frame) = Producer::<Incident>::new(input, options);
        bodies(producer)
    }

    fn bodies(producer: Producer<'_, Incident>) -> (Vec<bytes::Bytes>, usize) {
        let mut bodies = Vec::new();
        let mut rejected = 0;
        for step in futures::executor::block_on_stream(producer) {
            match step {
                Step::Send(batch) => bodies.push(batch.body.bytes),
                Step::Reject(_) => rejected += 1,
                Step::Warn(_) => {}
            }
        }
        (bodies, rejected)
    }
}

fn sent<E: Entity>(meta: Meta) -> Sent {
    Sent {
        kind: E::KIND,
        id: meta.id,
        position: meta.position,
        source: meta.source,
        update_sequence_number: meta.sequence,
        reason: None,
    }
}

fn fail_all<E: Entity>(report: &mut SubmitReport, metas: Vec<Meta>, messages: &[String]) {
    report.failed.extend(metas.into_iter().map(|meta| Failed {
        kind: E::KIND,
        id: meta.id,
        position: meta.position,
        source: meta.source,
        messages: messages.to_vec(),
    }));
}

/// The error's line, then any message of Jira's it does not already show.
fn error_messages(error: &Error) -> Vec<String> {
    let line = error.to_string();
    let mut messages = vec![line.clone()];
    messages.extend(
        error
            .jira_messages()
            .into_iter()
            .filter(|m| !line.contains(m.as_str())),
    );
    messages
}

/// Sorts the entities of a 202 into accepted, failed and unconfirmed; `body` is the request
/// sent, its entities in the order of `metas`.
fn settle<E: Entity>(
    report: &mut SubmitReport,
    metas: Vec<Meta>,
    body: &Body,
    mut answer: SubmitEntityResponse,
    list_accepted: bool,
) {
    let accepted: HashSet<String> = answer.accepted_incidents.drain(..).collect();
    for (meta, entity) in metas.into_iter().zip(body.entities()) {
        let failure = answer.failed_incidents.remove(&meta.id).map(|errors| {
            let mut messages: Vec<String> = errors
                .into_iter()
                .map(|e| match e.error_trace_id {
                    Some(trace) => format!("{} (errorTraceId {trace})", e.message),
                    None => e.message,
                })
                .collect();
            if messages.is_empty() {
                messages.push("Jira listed it as failed without a message".to_string());
            }
            messages
        });

        // The answer's lists are documented for incidents only; what Jira puts there for
        // reviews is not, so they settle no review: it stays unconfirmed until read back, and
        // a failure Jira reports under its ID is kept as a warning.
        if E::KIND == EntityKind::Review {
            if let Some(messages) = failure {
                report.warnings.push(format!(
                    "review {}: Jira's answer lists this id under failedIncidents: {}; \
                     unconfirmed until a GET says otherwise",
                    meta.id,
                    messages.join("; ")
                ));
            }
            let reason = "Jira's answer names no reviews: read it back to confirm it";
            report.unconfirmed.push(sent::<E>(meta).unconfirmed(reason));
            continue;
        }

        if let Some(messages) = failure {
            report.failed.push(Failed {
                kind: E::KIND,
                id: meta.id,
                position: meta.position,
                source: meta.source,
                messages,
            });
        } else if accepted.contains(&meta.id) {
            if list_accepted {
                report.accepted.push(sent::<E>(meta));
            } else {
                report.accepted_unlisted += 1;
            }
        } else {
            // Rare (named in no list, some keys unknown): read the entity back from its JSON.
            let keys = (!answer.unknown_project_keys.is_empty())
                .then(|| serde_json::from_slice::<E>(entity).ok())
                .flatten()
                .and_then(|entity| only_unknown_projects(&entity, &answer.unknown_project_keys));
            let reason = match keys {
                Some(keys) => {
                    report.warnings.push(format!(
                        "{} {}: every issue key is in a project Jira does not know ({keys}); Jira stores no entity whose keys are all unknown, so it most likely is not stored (unconfirmed until a GET says otherwise)",
                        E::KIND,
                        meta.id,
                    ));
                    format!(
                        "every issue key is in a project Jira does not know ({keys}); most likely not stored"
                    )
                }
                None => "named in no list of Jira's answer".to_string(),
            };
            report.unconfirmed.push(sent::<E>(meta).unconfirmed(reason));
        }
    }
    report
        .unknown_project_keys
        .extend(answer.unknown_project_keys);
    report
        .unknown_answer_fields
        .extend(answer.extra.into_keys());
}

/// The project keys of `entity`'s issue associations (what precedes the last `-` of each
/// `issueIdOrKeys` value), comma-joined, when it has some and Jira reported every one of them
/// unknown: an entity Jira does not store.
fn only_unknown_projects<E: Entity>(entity: &E, unknown: &[String]) -> Option<String> {
    let mut keys = BTreeSet::new();
    for association in entity.associations() {
        if association.association_type != Some(AssociationType::IssueIdOrKeys) {
            continue;
        }
        for value in &association.values {
            let key = value
                .rsplit_once('-')
                .map_or(value.as_str(), |(key, _)| key);
            if !unknown.iter().any(|u| u.eq_ignore_ascii_case(key)) {
                return None;
            }
            keys.insert(key);
        }
    }
    (!keys.is_empty()).then(|| keys.into_iter().collect::<Vec<_>>().join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    fn incident(id: &str, description: &str) -> Incident {
        Incident {
            affected_components: vec!["c".into()],
            associations: vec![],
            created_date: "2024-01-15T10:00:00Z".into(),
            description: description.into(),
            id: id.into(),
            last_updated: "2024-01-15T10:00:00Z".into(),
            schema_version: SchemaVersion::V1_0,
            severity: None,
            status: IncidentStatus::Open,
            summary: "s".into(),
            update_sequence_number: 1,
            url: "https://ops.example/1".into(),
        }
    }

    fn review(id: &str) -> Review {
        Review {
            associations: vec![],
            created_date: "2024-01-15T10:00:00Z".into(),
            description: "d".into(),
            id: id.into(),
            last_updated: "2024-01-15T10:00:00Z".into(),
            reviews: vec!["INC-1".into()],
            schema_version: SchemaVersion::V1_0,
            status: ReviewStatus::Completed,
            summary: "s".into(),
            update_sequence_number: 1,
            url: "https://ops.example/1".into(),
        }
    }

    fn check_frame<E: Entity + Clone>(entities: Vec<E>, options: &SubmitOptions) {
        let mut template = SubmitEntityRequest {
            properties: options.properties.clone(),
            provider_metadata: options.provider_metadata.clone(),
            ..Default::default()
        };
        let frame = Frame::new::<E>(&template);
        let jsons: Vec<Vec<u8>> = entities
            .iter()
            .map(|e| serde_json::to_vec(e).unwrap())
            .collect();
        let body = Body::of(&frame, jsons.iter().map(Vec::as_slice)).bytes;
        let n = entities.len();
        E::put(&mut template, entities);
        let typed = serde_json::to_vec(&template).unwrap();

        assert_eq!(
            frame.request_bytes(n, jsons.iter().map(Vec::len).sum()),
            body.len()
        );
        assert_eq!(
            body.len(),
            typed.len(),
            "{}",
            String::from_utf8_lossy(&body)
        );
        let read: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let expected: serde_json::Value = serde_json::from_slice(&typed).unwrap();
        assert_eq!(read, expected);
    }

    /// Entities of different lengths, so that a wrong offset shows.
    fn jsons(n: usize) -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| format!("{{\"id\":\"{}\"}}", "x".repeat(i + 1)).into_bytes())
            .collect()
    }

    fn frame() -> Frame {
        let template = SubmitEntityRequest {
            properties: [("team".to_string(), "ops".to_string())].into(),
            ..Default::default()
        };
        Frame::new::<Incident>(&template)
    }

    #[test]
    fn removing_an_entity_from_a_filling_body_leaves_the_body_of_the_others() {
        let frame = frame();
        for n in 1..6 {
            for index in 0..n {
                let all = jsons(n);
                let mut filling = Filling::new(&frame, 0);
                for json in &all {
                    filling.push(json);
                }
                filling.remove(index);

                let mut rest = all.clone();
                rest.remove(index);
                assert_eq!(
                    filling.entity_bytes(),
                    rest.iter().map(Vec::len).sum::<usize>()
                );
                let body = filling.seal(&frame);
                let expected = Body::of(&frame, rest.iter().map(Vec::as_slice));
                assert_eq!(
                    body.bytes,
                    expected.bytes,
                    "n = {n}, removed {index}: {}",
                    String::from_utf8_lossy(&body.bytes)
                );
                assert_eq!(body.entities().collect::<Vec<_>>(), rest);
            }
        }
    }

    #[test]
    fn a_split_body_gives_two_requests_of_the_entities_in_order() {
        let frame = frame();
        for n in 1..6 {
            let all = jsons(n);
            let body = Body::of(&frame, all.iter().map(Vec::as_slice));
            assert_eq!(
                body.bytes.len(),
                frame.request_bytes(n, all.iter().map(Vec::len).sum())
            );
            for at in 0..=n {
                let (left, right) = body.split(at, &frame);
                assert_eq!(left.entities().collect::<Vec<_>>(), all[..at]);
                assert_eq!(right.entities().collect::<Vec<_>>(), all[at..]);
                let value: serde_json::Value = serde_json::from_slice(&right.bytes).unwrap();
                assert_eq!(value["incidents"].as_array().unwrap().len(), n - at);
                assert_eq!(value["properties"]["team"], "ops");
            }
        }
    }

    #[test]
    fn a_body_joined_from_entity_json_is_the_request_serialized() {
        let plain = SubmitOptions::default();
        let full = SubmitOptions::default()
            .property("accountId", "acc-1")
            .property("team", "ops")
            .product("pager 2.1");
        for options in [&plain, &full] {
            for n in 1..4 {
                check_frame(
                    (0..n).map(|i| incident(&format!("INC-{i}"), "é")).collect(),
                    options,
                );
                check_frame(
                    (0..n).map(|i| review(&format!("PIR-{i}"))).collect(),
                    options,
                );
            }
        }
    }

    #[test]
    fn request_options_are_validated() {
        let mut options = SubmitOptions::default()
            .property("a:b", "x")
            .property("_hidden", "x")
            .property("", "x")
            .property("long", "x".repeat(256))
            .property("e", "x")
            .property("f", "x");
        assert_eq!(options.validate().len(), 5, "{:?}", options.validate());
        options.properties.clear();
        assert!(options.validate().is_empty());
    }

    #[test]
    fn report_confirm_moves_unconfirmed_records() {
        let mut report = SubmitReport {
            unconfirmed: vec![
                Sent {
                    kind: EntityKind::Review,
                    id: "PIR-1".into(),
                    position: 0,
                    source: None,
                    update_sequence_number: 1,
                    reason: Some("not named".into()),
                },
                Sent {
                    kind: EntityKind::Review,
                    id: "PIR-2".into(),
                    position: 1,
                    source: None,
                    update_sequence_number: 1,
                    reason: Some("not named".into()),
                },
            ],
            ..Default::default()
        };
        assert_eq!(report.confirm(EntityKind::Incident, &["PIR-1"]), 0);
        assert_eq!(report.confirm(EntityKind::Review, &["PIR-1"]), 1);
        assert_eq!(report.accepted[0].id, "PIR-1");
        assert_eq!(report.unconfirmed.len(), 1);
        assert_eq!(report.total(), 2);
    }
}

//! Waiting until Jira shows what was asked of it.
//!
//! Submits and deletes are applied asynchronously: a 202 says Jira took the request, and a GET
//! shows what is stored now, ignoring what is pending. A waiter polls GET until the awaited
//! state is seen or its deadline passes, in the manner of the AWS SDK waiters.
//!
//! The delay between polls starts at [`WaitPolicy::first_delay`] and doubles up to
//! [`WaitPolicy::max_delay`], without jitter: jitter spreads out many clients hitting a
//! contended resource at once, whereas a waiter is one client reading its own data at a pace
//! it chose, and fixed intervals make waits predictable (and testable). The request-level
//! retries underneath, which meet shared rate limits, do use jitter.
//!
//! A transient error while polling (429, 502-504, a broken connection) is retried by the call
//! underneath and, if it persists, simply makes that poll inconclusive; only an error that will
//! not change (401, 403, a redirect, an unreadable answer) ends the wait early. When the
//! deadline passes, the error says so ([`Error::is_wait_timeout`]) and carries what was seen
//! last ([`Error::wait_state`]): which IDs were still missing or present.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use serde::Serialize;
use tokio::time::Instant;

use crate::client::{EntityKind, OperationsClient};
use crate::error::{Error, Result};
use crate::types::{Incident, Review};

/// How long and how often a waiter polls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitPolicy {
    /// The delay after the first poll (default 1 s); each later delay doubles it.
    pub first_delay: Duration,
    /// The cap on the delay (default 15 s).
    pub max_delay: Duration,
    /// How long to wait in all (default 2 min). Retries inside a poll stop at the deadline;
    /// the last poll starts at the deadline at the latest and may take up to
    /// [`LAST_POLL_GRACE`] more.
    pub deadline: Duration,
    /// Polls in flight at once in bulk waits (default 8).
    pub concurrency: usize,
}

impl Default for WaitPolicy {
    fn default() -> Self {
        Self {
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(15),
            deadline: Duration::from_secs(120),
            concurrency: 8,
        }
    }
}

impl WaitPolicy {
    /// A policy with the given deadline and default delays.
    pub fn with_deadline(deadline: Duration) -> Self {
        Self {
            deadline,
            ..Self::default()
        }
    }
}

/// What a waited-for item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    /// An incident.
    Incident,
    /// A post-incident review.
    Review,
    /// A linked workspace.
    Workspace,
}

impl From<EntityKind> for ItemKind {
    fn from(kind: EntityKind) -> Self {
        match kind {
            EntityKind::Incident => Self::Incident,
            EntityKind::Review => Self::Review,
        }
    }
}

impl fmt::Display for ItemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Incident => "incident",
            Self::Review => "review",
            Self::Workspace => "workspace",
        })
    }
}

/// What the last poll saw of an item still pending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "sequence")]
pub enum Seen {
    /// Not polled yet, or the poll failed transiently.
    Unknown,
    /// Jira had nothing under the ID (404).
    Missing,
    /// Jira had it (while waiting for it to go).
    Present,
    /// Jira had it with this `updateSequenceNumber`, lower than the one awaited.
    OlderSequence(i64),
}

impl fmt::Display for Seen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Seen::Unknown => f.write_str("unknown"),
            Seen::Missing => f.write_str("missing"),
            Seen::Present => f.write_str("still present"),
            Seen::OlderSequence(n) => write!(f, "at sequence {n}"),
        }
    }
}

/// An item a wait was still waiting for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingItem {
    /// What it is.
    pub kind: ItemKind,
    /// Its ID.
    pub id: String,
    /// What the last poll saw.
    pub seen: Seen,
}

/// What a waiter saw last, carried by its timeout error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaitState {
    /// The state waited for: `stored`, `deleted` or `unlinked`.
    pub target: &'static str,
    /// Items not yet in that state.
    pub pending: Vec<PendingItem>,
    /// Poll rounds made.
    pub polls: u32,
    /// The last transient error met while polling.
    pub last_error: Option<String>,
}

impl WaitState {
    /// Up to `n` pending items, for messages.
    pub fn sample(&self, n: usize) -> String {
        let mut text = self
            .pending
            .iter()
            .take(n)
            .map(|p| format!("{} {} {}", p.kind, p.id, p.seen))
            .collect::<Vec<_>>()
            .join(", ");
        if self.pending.len() > n {
            text.push_str(&format!(", and {} more", self.pending.len() - n));
        }
        text
    }
}

/// An item to wait for in [`OperationsClient::wait_until_all_stored`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTarget {
    /// Incident or review.
    pub kind: EntityKind,
    /// Its ID.
    pub id: String,
    /// The least `updateSequenceNumber` that counts as stored (the one submitted); `None`:
    /// any.
    pub min_sequence: Option<i64>,
}

impl StoredTarget {
    /// An incident stored with at least `min_sequence`.
    pub fn incident(id: impl Into<String>, min_sequence: Option<i64>) -> Self {
        Self {
            kind: EntityKind::Incident,
            id: id.into(),
            min_sequence,
        }
    }

    /// A review stored with at least `min_sequence`.
    pub fn review(id: impl Into<String>, min_sequence: Option<i64>) -> Self {
        Self {
            kind: EntityKind::Review,
            id: id.into(),
            min_sequence,
        }
    }
}

/// How long the poll made at a wait's deadline may still take: a wait ends at most this much
/// after its deadline.
pub const LAST_POLL_GRACE: Duration = Duration::from_secs(1);

/// Errors that end a wait at once: they would not change by polling again.
fn is_transient(error: &Error) -> bool {
    error.is_retryable() || error.is_deadline_exceeded()
}

struct Round<T> {
    item: usize,
    outcome: Result<std::result::Result<T, Seen>>,
}

impl OperationsClient {
    /// The deadline of one poll: the wait's own, so that retries inside a poll (a 429 with a
    /// long `Retry-After`, say) never carry a wait past it, but at least [`LAST_POLL_GRACE`]
    /// from now, so that the poll made at the deadline can still read an answer.
    fn poll_deadline(&self, wait_deadline: Instant) -> Option<Instant> {
        Some(wait_deadline.max(Instant::now() + LAST_POLL_GRACE))
    }

    /// Polls every pending item in rounds until `check` says each is done or the deadline
    /// passes. `check` answers `Ok(Ok(value))` when done, `Ok(Err(seen))` when not yet.
    async fn poll_until<T, F, Fut>(
        &self,
        target: &'static str,
        mut pending: Vec<PendingItem>,
        policy: &WaitPolicy,
        check: F,
    ) -> Result<Vec<(PendingItem, T)>>
    where
        F: Fn(PendingItem, Option<Instant>) -> Fut,
        Fut: Future<Output = Result<std::result::Result<T, Seen>>>,
    {
        let started = Instant::now();
        let deadline = started + policy.deadline;
        let mut delay = policy.first_delay;
        let mut done = Vec::new();
        let mut polls = 0;
        let mut last_error = None;

        loop {
            polls += 1;
            let call_deadline = self.poll_deadline(deadline);
            let mut results: Vec<Round<T>> = stream::iter(pending.iter().cloned().enumerate())
                .map(|(item, p)| {
                    let check = &check;
                    async move {
                        Round {
                            item,
                            outcome: check(p, call_deadline).await,
                        }
                    }
                })
                .buffer_unordered(policy.concurrency.max(1))
                .collect()
                .await;
            results.sort_by_key(|r| std::cmp::Reverse(r.item));

            for round in results {
                match round.outcome {
                    Ok(Ok(value)) => done.push((pending.remove(round.item), value)),
                    Ok(Err(seen)) => pending[round.item].seen = seen,
                    // What was last seen of the item stands; the error is kept beside it.
                    Err(e) if is_transient(&e) => {
                        tracing::debug!(error = %e, "transient error while waiting");
                        last_error = Some(e.to_string());
                    }
                    Err(e) => return Err(e),
                }
            }
            if pending.is_empty() {
                return Ok(done);
            }

            let now = Instant::now();
            if now >= deadline {
                return Err(Error::wait_timeout(
                    WaitState {
                        target,
                        pending,
                        polls,
                        last_error,
                    },
                    policy.deadline,
                ));
            }
            tracing::debug!(
                pending = pending.len(),
                delay_ms = delay.as_millis() as u64,
                "waiting for {target}"
            );
            tokio::time::sleep(delay.min(deadline - now)).await;
            delay = (delay * 2).min(policy.max_delay);
        }
    }

    /// Waits until Jira stores the incident `id`, with an `updateSequenceNumber` of at least
    /// `min_sequence` if given; returns it as stored.
    pub async fn wait_until_incident_stored(
        &self,
        id: &str,
        min_sequence: Option<i64>,
        policy: &WaitPolicy,
    ) -> Result<Incident> {
        let pending = vec![pending(ItemKind::Incident, id)];
        let mut done = self
            .poll_until("stored", pending, policy, |p, deadline| async move {
                let found = self.get_incident_until(&p.id, deadline).await?;
                Ok(stored(found, |i| i.update_sequence_number, min_sequence))
            })
            .await?;
        Ok(done.remove(0).1)
    }

    /// Waits until Jira stores the review `id` (with at least `min_sequence`); returns it.
    pub async fn wait_until_review_stored(
        &self,
        id: &str,
        min_sequence: Option<i64>,
        policy: &WaitPolicy,
    ) -> Result<Review> {
        let pending = vec![pending(ItemKind::Review, id)];
        let mut done = self
            .poll_until("stored", pending, policy, |p, deadline| async move {
                let found = self.get_review_until(&p.id, deadline).await?;
                Ok(stored(found, |r| r.update_sequence_number, min_sequence))
            })
            .await?;
        Ok(done.remove(0).1)
    }

    /// Waits until every target is stored (each with at least its `min_sequence`), polling
    /// up to [`WaitPolicy::concurrency`] at once. This is what to call after a submission.
    pub async fn wait_until_all_stored(
        &self,
        targets: &[StoredTarget],
        policy: &WaitPolicy,
    ) -> Result<()> {
        // A target named twice waits for the higher of its numbers.
        let mut minimums: std::collections::HashMap<(EntityKind, &str), Option<i64>> =
            std::collections::HashMap::new();
        for t in targets {
            let min = minimums.entry((t.kind, t.id.as_str())).or_insert(None);
            *min = (*min).max(t.min_sequence);
        }
        let pending = targets
            .iter()
            .map(|t| pending(t.kind.into(), &t.id))
            .collect::<Vec<_>>();
        let pending = unique(pending);
        let minimums = &minimums;
        self.poll_until("stored", pending, policy, |p, deadline| async move {
            match p.kind {
                ItemKind::Incident => {
                    let min = minimums[&(EntityKind::Incident, p.id.as_str())];
                    let found = self.get_incident_until(&p.id, deadline).await?;
                    Ok(stored(found, |i| i.update_sequence_number, min).map(|_| ()))
                }
                _ => {
                    let min = minimums[&(EntityKind::Review, p.id.as_str())];
                    let found = self.get_review_until(&p.id, deadline).await?;
                    Ok(stored(found, |r| r.update_sequence_number, min).map(|_| ()))
                }
            }
        })
        .await
        .map(drop)
    }

    /// Waits until Jira answers 404 for the incident `id`.
    pub async fn wait_until_incident_deleted(&self, id: &str, policy: &WaitPolicy) -> Result<()> {
        self.wait_until_all_deleted(&[id], &[] as &[&str], policy)
            .await
    }

    /// Waits until Jira answers 404 for the review `id`.
    pub async fn wait_until_review_deleted(&self, id: &str, policy: &WaitPolicy) -> Result<()> {
        self.wait_until_all_deleted(&[] as &[&str], &[id], policy)
            .await
    }

    /// Waits until Jira answers 404 for every incident and review ID given, e.g. the IDs
    /// submitted with the properties of a [`delete_by_properties`](Self::delete_by_properties).
    pub async fn wait_until_all_deleted<S: AsRef<str>, T: AsRef<str>>(
        &self,
        incident_ids: &[S],
        review_ids: &[T],
        policy: &WaitPolicy,
    ) -> Result<()> {
        let pending = unique(
            incident_ids
                .iter()
                .map(|id| pending(ItemKind::Incident, id.as_ref()))
                .chain(
                    review_ids
                        .iter()
                        .map(|id| pending(ItemKind::Review, id.as_ref())),
                )
                .collect(),
        );
        self.poll_until("deleted", pending, policy, |p, deadline| async move {
            let present = match p.kind {
                ItemKind::Incident => self.get_incident_until(&p.id, deadline).await?.is_some(),
                _ => self.get_review_until(&p.id, deadline).await?.is_some(),
            };
            Ok(if present { Err(Seen::Present) } else { Ok(()) })
        })
        .await
        .map(drop)
    }

    /// Waits until none of the workspace IDs is linked any more (one list request per poll).
    pub async fn wait_until_workspaces_unlinked<S: AsRef<str>>(
        &self,
        ids: &[S],
        policy: &WaitPolicy,
    ) -> Result<()> {
        self.wait_for_workspaces(ids, false, policy).await
    }

    /// Waits until every workspace ID is linked (one list request per poll): linking, too,
    /// is applied asynchronously.
    pub async fn wait_until_workspaces_linked<S: AsRef<str>>(
        &self,
        ids: &[S],
        policy: &WaitPolicy,
    ) -> Result<()> {
        self.wait_for_workspaces(ids, true, policy).await
    }

    async fn wait_for_workspaces<S: AsRef<str>>(
        &self,
        ids: &[S],
        want_linked: bool,
        policy: &WaitPolicy,
    ) -> Result<()> {
        let mut pending = unique(
            ids.iter()
                .map(|id| pending(ItemKind::Workspace, id.as_ref()))
                .collect(),
        );
        let started = Instant::now();
        let deadline = started + policy.deadline;
        let mut delay = policy.first_delay;
        let mut polls = 0;
        let mut last_error = None;

        loop {
            polls += 1;
            match self.workspaces_until(self.poll_deadline(deadline)).await {
                Ok(linked) => {
                    let linked: std::collections::HashSet<String> = linked.into_iter().collect();
                    pending.retain_mut(|p| {
                        let present = linked.contains(&p.id);
                        p.seen = if present {
                            Seen::Present
                        } else {
                            Seen::Missing
                        };
                        present != want_linked
                    });
                }
                Err(e) if is_transient(&e) => {
                    tracing::debug!(error = %e, "transient error while waiting");
                    last_error = Some(e.to_string());
                }
                Err(e) => return Err(e),
            }
            if pending.is_empty() {
                return Ok(());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::wait_timeout(
                    WaitState {
                        target: if want_linked { "linked" } else { "unlinked" },
                        pending,
                        polls,
                        last_error,
                    },
                    policy.deadline,
                ));
            }
            tokio::time::sleep(delay.min(deadline - now)).await;
            delay = (delay * 2).min(policy.max_delay);
        }
    }
}

fn pending(kind: ItemKind, id: &str) -> PendingItem {
    PendingItem {
        kind,
        id: id.to_string(),
        seen: Seen::Unknown,
    }
}

fn unique(items: Vec<PendingItem>) -> Vec<PendingItem> {
    let mut seen = std::collections::HashSet::new();
    items
        .into_iter()
        .filter(|p| seen.insert((p.kind, p.id.clone())))
        .collect()
}

fn stored<T>(
    found: Option<T>,
    sequence: impl Fn(&T) -> i64,
    min_sequence: Option<i64>,
) -> std::result::Result<T, Seen> {
    match found {
        None => Err(Seen::Missing),
        Some(value) => match min_sequence {
            Some(min) if sequence(&value) < min => Err(Seen::OlderSequence(sequence(&value))),
            _ => Ok(value),
        },
    }
}

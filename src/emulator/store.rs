//! What the emulated site stores, and the queue of accepted changes not yet visible.
//!
//! Jira applies submits and deletes asynchronously and its GETs answer "what is stored now".
//! The store models that with a queue of pending operations, each due at a tokio instant
//! (so tests can pause and advance time). Due operations are applied, in due order and then
//! arrival order, by whoever touches the store next; nothing runs in the background.

use std::cmp::{Ordering, Reverse};
use std::collections::hash_map::Entry as MapEntry;
use std::collections::{BTreeSet, BinaryHeap, HashMap};
use std::sync::Arc;

use bytes::Bytes;
use tokio::time::Instant;

/// The request-level `properties` an entity was submitted with, shared by the entities of one
/// request.
pub(crate) type Properties = Arc<Vec<(String, String)>>;

/// Incidents or reviews.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Incident,
    Review,
}

/// One stored incident or review.
#[derive(Debug, Clone)]
pub(crate) struct Entity {
    /// Its `updateSequenceNumber`.
    pub(crate) sequence: i64,
    /// The JSON submitted, serialized once; a GET answers these bytes.
    pub(crate) body: Bytes,
    /// The request-level properties, for deletion by properties.
    pub(crate) properties: Properties,
}

/// An accepted change.
#[derive(Debug)]
pub(crate) enum Operation {
    /// Upsert each entity unless the stored one has an equal or higher sequence number.
    Upsert(Kind, Vec<(String, Entity)>),
    /// Delete one entity, if present.
    Delete(Kind, String),
    /// Delete every incident and review whose properties contain all the pairs.
    DeleteByProperties(Vec<(String, String)>),
    /// Link workspaces.
    Link(Vec<String>),
    /// Unlink workspaces.
    Unlink(Vec<String>),
}

#[derive(Debug)]
struct Pending {
    due: Instant,
    order: u64,
    operation: Operation,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pending {}

impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pending {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.due, self.order).cmp(&(other.due, other.order))
    }
}

/// Everything the emulated site holds.
#[derive(Debug, Default)]
pub(crate) struct Store {
    incidents: HashMap<String, Entity>,
    reviews: HashMap<String, Entity>,
    workspaces: BTreeSet<String>,
    pending: BinaryHeap<Reverse<Pending>>,
    next_order: u64,
}

impl Store {
    /// Queues `operation` to become visible at `due`, or applies it at once when `due` has
    /// come (after everything queued that is due).
    pub(crate) fn schedule(&mut self, operation: Operation, due: Instant, now: Instant) {
        self.apply_due(now);
        if due <= now {
            self.apply(operation);
        } else {
            let order = self.next_order;
            self.next_order += 1;
            self.pending.push(Reverse(Pending {
                due,
                order,
                operation,
            }));
        }
    }

    /// Applies every queued operation due by `now`.
    pub(crate) fn apply_due(&mut self, now: Instant) {
        while self.pending.peek().is_some_and(|p| p.0.due <= now) {
            if let Some(Reverse(pending)) = self.pending.pop() {
                self.apply(pending.operation);
            }
        }
    }

    fn apply(&mut self, operation: Operation) {
        match operation {
            Operation::Upsert(kind, entities) => {
                let map = self.map_mut(kind);
                for (id, entity) in entities {
                    match map.entry(id) {
                        MapEntry::Occupied(mut stored) => {
                            if stored.get().sequence < entity.sequence {
                                stored.insert(entity);
                            }
                        }
                        MapEntry::Vacant(slot) => {
                            slot.insert(entity);
                        }
                    }
                }
            }
            Operation::Delete(kind, id) => {
                self.map_mut(kind).remove(&id);
            }
            Operation::DeleteByProperties(pairs) => {
                let matches = |entity: &Entity| {
                    pairs
                        .iter()
                        .all(|pair| entity.properties.iter().any(|p| p == pair))
                };
                self.incidents.retain(|_, entity| !matches(entity));
                self.reviews.retain(|_, entity| !matches(entity));
            }
            Operation::Link(ids) => self.workspaces.extend(ids),
            Operation::Unlink(ids) => {
                for id in ids {
                    self.workspaces.remove(&id);
                }
            }
        }
    }

    fn map_mut(&mut self, kind: Kind) -> &mut HashMap<String, Entity> {
        match kind {
            Kind::Incident => &mut self.incidents,
            Kind::Review => &mut self.reviews,
        }
    }

    /// The stored JSON of one entity.
    pub(crate) fn get(&self, kind: Kind, id: &str) -> Option<Bytes> {
        let map = match kind {
            Kind::Incident => &self.incidents,
            Kind::Review => &self.reviews,
        };
        map.get(id).map(|entity| entity.body.clone())
    }

    /// The linked workspace IDs, sorted.
    pub(crate) fn workspaces(&self) -> &BTreeSet<String> {
        &self.workspaces
    }

    /// Counts of stored incidents, reviews, workspaces and pending operations.
    pub(crate) fn counts(&self) -> (usize, usize, usize, usize) {
        (
            self.incidents.len(),
            self.reviews.len(),
            self.workspaces.len(),
            self.pending.len(),
        )
    }

    /// The stored incident and review IDs, each sorted.
    pub(crate) fn ids(&self) -> (Vec<String>, Vec<String>) {
        let sorted = |map: &HashMap<String, Entity>| {
            let mut ids: Vec<String> = map.keys().cloned().collect();
            ids.sort_unstable();
            ids
        };
        (sorted(&self.incidents), sorted(&self.reviews))
    }

    /// Forgets everything, pending operations included.
    pub(crate) fn clear(&mut self) {
        *self = Store::default();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn entity(sequence: i64, body: &str, properties: &[(&str, &str)]) -> Entity {
        Entity {
            sequence,
            body: Bytes::from(body.to_string()),
            properties: Arc::new(
                properties
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                    .collect(),
            ),
        }
    }

    fn upsert(id: &str, e: Entity) -> Operation {
        Operation::Upsert(Kind::Incident, vec![(id.to_string(), e)])
    }

    #[test]
    fn only_a_higher_sequence_number_replaces() {
        let now = Instant::now();
        let mut store = Store::default();
        store.schedule(upsert("A", entity(5, "v5", &[])), now, now);
        store.schedule(upsert("A", entity(5, "v5-again", &[])), now, now);
        store.schedule(upsert("A", entity(4, "v4", &[])), now, now);
        assert_eq!(store.get(Kind::Incident, "A").unwrap(), "v5");
        store.schedule(upsert("A", entity(6, "v6", &[])), now, now);
        assert_eq!(store.get(Kind::Incident, "A").unwrap(), "v6");
    }

    #[test]
    fn pending_operations_apply_in_due_then_arrival_order() {
        let now = Instant::now();
        let later = now + Duration::from_secs(5);
        let mut store = Store::default();
        store.schedule(upsert("A", entity(1, "v1", &[])), later, now);
        store.schedule(Operation::Delete(Kind::Incident, "A".into()), later, now);
        assert_eq!(store.counts(), (0, 0, 0, 2));
        store.apply_due(later - Duration::from_millis(1));
        assert_eq!(store.counts(), (0, 0, 0, 2));
        store.apply_due(later);
        assert_eq!(store.counts(), (0, 0, 0, 0));
        assert!(store.get(Kind::Incident, "A").is_none());
    }

    #[test]
    fn delete_by_properties_needs_every_pair() {
        let now = Instant::now();
        let mut store = Store::default();
        store.schedule(
            upsert("both", entity(1, "", &[("a", "1"), ("b", "2")])),
            now,
            now,
        );
        store.schedule(upsert("only-a", entity(1, "", &[("a", "1")])), now, now);
        store.schedule(
            Operation::Upsert(
                Kind::Review,
                vec![("r".into(), entity(1, "", &[("b", "2"), ("a", "1")]))],
            ),
            now,
            now,
        );
        store.schedule(
            Operation::DeleteByProperties(vec![("a".into(), "1".into()), ("b".into(), "2".into())]),
            now,
            now,
        );
        let (incidents, reviews) = store.ids();
        assert_eq!(incidents, vec!["only-a".to_string()]);
        assert!(reviews.is_empty());
    }
}

//! `updateSequenceNumber`s that always supersede.
//!
//! Jira replaces stored data only when the incoming number is *greater* than the stored one,
//! and still answers "accepted" when it is not: an update sent with an equal or lower number is
//! silently ignored. Numbers in epoch seconds, or any clock reading taken twice within its
//! resolution, hit this. [`SequenceNumbers::next`] hands out `max(now in ms, last + 1)` per ID,
//! so two numbers for one ID are never equal even within one millisecond, and
//! [`SequenceNumbers::record_sent`] lets the client warn when a caller sends a number that
//! cannot supersede one it sent before.
//!
//! Memory is bounded: at most `capacity` IDs are remembered. When full, the table is cleared
//! and the highest number issued so far becomes a floor for every ID, so numbers stay strictly
//! increasing per ID; only the "sent earlier" knowledge behind warnings is lost.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use crate::auth::Clock;

/// Issues strictly increasing `updateSequenceNumber`s per entity ID and remembers the numbers
/// sent. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct SequenceNumbers {
    clock: Arc<dyn Clock>,
    capacity: usize,
    state: Arc<Mutex<State>>,
}

/// Entries are keyed by a hash of the ID, so that remembering an ID copies nothing. Two IDs
/// whose hashes collide (about one chance in 10^10 among 100,000 IDs) share an entry: each
/// still gets strictly increasing numbers, and a warning may name the wrong one.
#[derive(Default)]
struct State {
    entries: HashMap<u64, Entry>,
    floor: i64,
}

#[derive(Clone, Copy)]
struct Entry {
    issued: Option<i64>,
    sent: Option<i64>,
}

impl SequenceNumbers {
    /// How many IDs are remembered unless configured otherwise.
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// Numbers from `clock`'s milliseconds, remembering up to [`Self::DEFAULT_CAPACITY`] IDs.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self::with_capacity(clock, Self::DEFAULT_CAPACITY)
    }

    /// As [`SequenceNumbers::new`], remembering up to `capacity` IDs (at least 1).
    pub fn with_capacity(clock: Arc<dyn Clock>, capacity: usize) -> Self {
        Self {
            clock,
            capacity: capacity.max(1),
            state: Arc::new(Mutex::new(State::default())),
        }
    }

    /// The next number for `id`: the clock in milliseconds, or one more than the last number
    /// issued or sent for `id`, whichever is greater.
    pub fn next(&self, id: &str) -> i64 {
        let now = i64::try_from(self.clock.now_millis()).unwrap_or(i64::MAX);
        let key = crate::batch::id_hash(id);
        let mut state = self.state.lock().expect("sequence lock");
        let last = state
            .entries
            .get(&key)
            .and_then(|e| e.issued.max(e.sent))
            .unwrap_or(state.floor);
        let number = now.max(last.saturating_add(1));
        state.make_room(key, self.capacity);
        state
            .entries
            .entry(key)
            .and_modify(|e| e.issued = Some(number))
            .or_insert(Entry {
                issued: Some(number),
                sent: None,
            });
        number
    }

    /// Records that `number` was sent for `id`. Returns the number sent earlier when
    /// `number` cannot supersede it (equal or lower): Jira will keep what it has.
    pub fn record_sent(&self, id: &str, number: i64) -> Option<i64> {
        let mut state = self.state.lock().expect("sequence lock");
        state.record_sent(crate::batch::id_hash(id), number, self.capacity)
    }

    /// As [`record_sent`](Self::record_sent) for the entities of one request, given by their
    /// ID hashes, under one lock; `stale(i, previous)` is called for the `i`-th when it cannot
    /// supersede `previous`.
    pub(crate) fn record_sent_hashed(
        &self,
        entities: impl Iterator<Item = (u64, i64)>,
        mut stale: impl FnMut(usize, i64),
    ) {
        let mut state = self.state.lock().expect("sequence lock");
        for (i, (key, number)) in entities.enumerate() {
            if let Some(previous) = state.record_sent(key, number, self.capacity) {
                stale(i, previous);
            }
        }
    }

    /// The highest number recorded as sent for `id`, if remembered.
    pub fn last_sent(&self, id: &str) -> Option<i64> {
        self.state
            .lock()
            .expect("sequence lock")
            .entries
            .get(&crate::batch::id_hash(id))
            .and_then(|e| e.sent)
    }
}

impl State {
    fn record_sent(&mut self, key: u64, number: i64, capacity: usize) -> Option<i64> {
        if let Some(entry) = self.entries.get_mut(&key) {
            let previous = entry.sent;
            if previous.is_some_and(|p| number <= p) {
                return previous;
            }
            entry.sent = Some(number);
            return None;
        }
        self.make_room(key, capacity);
        self.entries.insert(
            key,
            Entry {
                issued: None,
                sent: Some(number),
            },
        );
        None
    }

    fn make_room(&mut self, key: u64, capacity: usize) {
        if self.entries.len() >= capacity && !self.entries.contains_key(&key) {
            let highest = self
                .entries
                .values()
                .filter_map(|e| e.issued.max(e.sent))
                .max()
                .unwrap_or(self.floor);
            self.floor = self.floor.max(highest);
            self.entries.clear();
        }
    }
}

impl fmt::Debug for SequenceNumbers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let remembered = self.state.lock().map_or(0, |s| s.entries.len());
        f.debug_struct("SequenceNumbers")
            .field("capacity", &self.capacity)
            .field("remembered", &remembered)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::FixedClock;

    #[test]
    fn numbers_follow_the_clock_in_milliseconds() {
        let clock = FixedClock::at(1_700_000_000);
        let numbers = SequenceNumbers::new(clock.clone());
        assert_eq!(numbers.next("INC-1"), 1_700_000_000_000);
        clock.advance(2);
        assert_eq!(numbers.next("INC-1"), 1_700_000_002_000);
    }

    #[test]
    fn numbers_within_one_millisecond_still_increase() {
        let numbers = SequenceNumbers::new(FixedClock::at(1_700_000_000));
        let issued: Vec<i64> = (0..5).map(|_| numbers.next("INC-1")).collect();
        assert_eq!(
            issued,
            (0..5).map(|i| 1_700_000_000_000 + i).collect::<Vec<_>>()
        );
        assert_eq!(numbers.next("INC-2"), 1_700_000_000_000);
    }

    #[test]
    fn a_number_that_cannot_supersede_is_reported() {
        let numbers = SequenceNumbers::new(FixedClock::at(1));
        assert_eq!(numbers.record_sent("INC-1", 10), None);
        assert_eq!(numbers.record_sent("INC-1", 10), Some(10));
        assert_eq!(numbers.record_sent("INC-1", 9), Some(10));
        assert_eq!(numbers.record_sent("INC-1", 11), None);
        assert_eq!(numbers.last_sent("INC-1"), Some(11));
    }

    #[test]
    fn next_supersedes_numbers_sent_from_elsewhere() {
        let numbers = SequenceNumbers::new(FixedClock::at(1));
        numbers.record_sent("INC-1", 5_000_000);
        assert_eq!(numbers.next("INC-1"), 5_000_001);
    }

    #[test]
    fn forgetting_ids_keeps_numbers_increasing() {
        let numbers = SequenceNumbers::with_capacity(FixedClock::at(1), 2);
        let a1 = numbers.next("A");
        let a2 = numbers.next("A");
        numbers.next("B");
        numbers.next("C"); // clears the table
        let a3 = numbers.next("A");
        assert!(a1 < a2 && a2 < a3, "{a1} {a2} {a3}");
    }
}

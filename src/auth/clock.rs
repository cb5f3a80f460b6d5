//! Where the signer and the verifier read the time.
//!
//! Tokens carry `iat` and `exp`; verifying them means comparing with now. Taking now from an
//! injected [`Clock`] lets tests pin both sides to a known second.

use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time, in whole seconds since the Unix epoch.
pub trait Clock: Send + Sync + Debug {
    /// Seconds since 1970-01-01T00:00:00Z.
    fn now_secs(&self) -> u64;

    /// Milliseconds since 1970-01-01T00:00:00Z; clocks that only know seconds give whole
    /// seconds. Used for `updateSequenceNumber`s.
    fn now_millis(&self) -> u64 {
        self.now_secs().saturating_mul(1000)
    }
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_secs(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }

    fn now_millis(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

/// A clock that says what it is told, for tests.
#[derive(Debug, Default)]
pub struct FixedClock(AtomicU64);

impl FixedClock {
    /// A clock stopped at `secs`.
    pub fn at(secs: u64) -> Arc<Self> {
        Arc::new(Self(AtomicU64::new(secs)))
    }

    /// Moves the clock to `secs`.
    pub fn set(&self, secs: u64) {
        self.0.store(secs, Ordering::SeqCst);
    }

    /// Moves the clock forward by `secs`.
    pub fn advance(&self, secs: u64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now_secs(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The default clock, shared.
pub fn system() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

//! When and how long to wait before trying a request again.
//!
//! Jira answers 429 when an app sends too fast and 502/503/504 when it (or a gateway) is
//! briefly unavailable; connections also break. Those are worth another attempt; a 400, 401,
//! 403, 404 or 413 is not, since the same request would get the same answer (a 413 is split
//! by the batching layer instead).
//!
//! The wait before retry *n* is an exponential term (`base_delay × 2^(n-1)`, capped at
//! `max_delay`) with jitter, so many clients rate-limited at once do not come back together.
//! A `Retry-After` header is a lower bound, never a cap: the wait is the header's value plus
//! the jittered exponential term, so consecutive 429s still back off further. `Retry-After: 0`
//! (and a 429 without the header) gets a small floor, since retrying at once would only meet
//! another 429. Every wait is bounded by the caller's overall deadline.

use std::time::Duration;

/// How the exponential term is randomised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Jitter {
    /// Uniform between zero and the exponential term ("full jitter").
    #[default]
    Full,
    /// Uniform between `base_delay` and three times the previous wait, capped at `max_delay`
    /// ("decorrelated jitter").
    Decorrelated,
    /// No randomness: exactly the exponential term.
    None,
}

/// Which failures are retried, how often, and how long to wait in between.
///
/// Defaults: 5 attempts, 500 ms base delay, 30 s cap on the exponential term, full jitter,
/// 1 s floor for `Retry-After: 0` and 429s without the header, `Retry-After` values above
/// 5 minutes clamped to 5 minutes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    retry_after_floor: Duration,
    max_retry_after: Duration,
    jitter: Jitter,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            retry_after_floor: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(300),
            jitter: Jitter::Full,
        }
    }
}

impl RetryPolicy {
    /// The default policy.
    pub fn new() -> Self {
        Self::default()
    }

    /// A policy that never retries: one attempt per call.
    pub fn none() -> Self {
        Self::default().max_attempts(1)
    }

    /// Attempts per call, the first included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The exponential term's starting value.
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The cap on the exponential term.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The least wait after a 429 whose `Retry-After` is `0` or absent.
    pub fn retry_after_floor(mut self, floor: Duration) -> Self {
        self.retry_after_floor = floor;
        self
    }

    /// The largest `Retry-After` honoured; larger values are clamped to it.
    pub fn max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// How the exponential term is randomised.
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// Attempts per call.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The wait before retry number `retry` (1 for the first retry), given the previous wait,
    /// the `Retry-After` of the failed attempt, and whether it was a 429.
    pub(crate) fn delay(
        &self,
        retry: u32,
        previous: Duration,
        retry_after: Option<Duration>,
        rate_limited: bool,
    ) -> Duration {
        let exponent = retry.saturating_sub(1).min(31);
        let exponential = self
            .base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay);
        let jittered = match self.jitter {
            Jitter::None => exponential,
            Jitter::Full => uniform(Duration::ZERO, exponential),
            Jitter::Decorrelated => {
                let upper = previous.saturating_mul(3).max(self.base_delay);
                uniform(self.base_delay, upper).min(self.max_delay)
            }
        };

        let lower_bound = match retry_after {
            Some(wait) => wait.min(self.max_retry_after).max(self.retry_after_floor),
            None if rate_limited => self.retry_after_floor,
            None => Duration::ZERO,
        };
        lower_bound + jittered
    }
}

fn uniform(low: Duration, high: Duration) -> Duration {
    if high <= low {
        return low;
    }
    let nanos = rand::random_range(low.as_nanos() as u64..=high.as_nanos() as u64);
    Duration::from_nanos(nanos)
}

/// Reads a `Retry-After` value: delta-seconds, or an HTTP-date taken relative to `now_secs`
/// (a date in the past means "now").
pub(crate) fn parse_retry_after(value: &str, now_secs: u64) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    let secs = date
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs()
        .saturating_sub(now_secs);
    Some(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_delta_seconds() {
        assert_eq!(parse_retry_after("120", 0), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after(" 0 ", 0), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_reads_http_dates_against_the_given_clock() {
        // Wed, 21 Oct 2026 07:28:00 GMT = 1792567680.
        let header = "Wed, 21 Oct 2026 07:28:00 GMT";
        assert_eq!(
            parse_retry_after(header, 1_792_567_680 - 90),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            parse_retry_after(header, 1_792_567_680 + 5),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", 0), None);
    }

    #[test]
    fn retry_after_is_a_lower_bound_and_growth_continues() {
        let policy = RetryPolicy::default().jitter(Jitter::None);
        let first = policy.delay(1, Duration::ZERO, Some(Duration::from_secs(2)), true);
        let third = policy.delay(3, first, Some(Duration::from_secs(2)), true);
        assert_eq!(first, Duration::from_millis(2500));
        assert_eq!(third, Duration::from_secs(4));
    }

    #[test]
    fn retry_after_zero_and_missing_get_the_floor_on_429() {
        let policy = RetryPolicy::default().jitter(Jitter::None);
        assert_eq!(
            policy.delay(1, Duration::ZERO, Some(Duration::ZERO), true),
            Duration::from_millis(1500)
        );
        assert_eq!(
            policy.delay(1, Duration::ZERO, None, true),
            Duration::from_millis(1500)
        );
        assert_eq!(
            policy.delay(1, Duration::ZERO, None, false),
            Duration::from_millis(500)
        );
    }

    #[test]
    fn huge_retry_after_is_clamped() {
        let policy = RetryPolicy::default()
            .jitter(Jitter::None)
            .max_retry_after(Duration::from_secs(60));
        assert_eq!(
            policy.delay(1, Duration::ZERO, Some(Duration::from_secs(86_400)), true),
            Duration::from_millis(60_500)
        );
    }

    #[test]
    fn full_jitter_stays_within_the_exponential_term() {
        let policy = RetryPolicy::default();
        for retry in 1..10 {
            let cap = Duration::from_millis(500)
                .saturating_mul(1 << (retry - 1))
                .min(Duration::from_secs(30));
            let delay = policy.delay(retry, Duration::ZERO, None, false);
            assert!(delay <= cap, "{delay:?} > {cap:?}");
        }
    }

    #[test]
    fn decorrelated_jitter_stays_between_base_and_cap() {
        let policy = RetryPolicy::default().jitter(Jitter::Decorrelated);
        let mut previous = Duration::ZERO;
        for retry in 1..20 {
            let delay = policy.delay(retry, previous, None, false);
            assert!(delay >= Duration::from_millis(500));
            assert!(delay <= Duration::from_secs(30));
            previous = delay;
        }
    }
}

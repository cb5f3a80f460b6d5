//! Faults on demand: rate limiting, unavailability, latency and dropped connections, so a
//! client's retry and backoff paths can be exercised against something that behaves like a
//! struggling Jira, reproducibly.
//!
//! [`Faults`] says how often each fault happens and parses from a compact spec for
//! command-line flags; [`FaultPlan`] draws the fault of each request from a seeded generator.

use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

/// How often each fault happens, as shares of the requests to the emulated API.
///
/// It parses ([`FromStr`]) from a compact spec, the form a command-line flag takes, and
/// prints ([`Display`](fmt::Display)) back to one:
///
/// ```text
/// 429=5%,503=10%,reset=2%,reset-after=1%,latency=20ms,retry-after=1,seed=42
/// ```
///
/// | key | value | meaning |
/// |---|---|---|
/// | `429` (or `rate-limit`, `rate-limited`) | share | answer 429 with `Retry-After` and `X-RateLimit-*` headers |
/// | `503` (or `unavailable`) | share | answer 503 |
/// | `reset` | share | drop the connection before any status line, the request unprocessed |
/// | `reset-after` | share | process the request in full, then drop the connection before any status line: the change is made, the answer is lost |
/// | `latency` | duration, or `min..max` | delay every emulated-API request (a range draws uniformly) |
/// | `retry-after` | whole seconds (`20` or `20s`), 0 allowed | the `Retry-After` of a 429 (default 1) |
/// | `seed` | unsigned integer | seed of the fault generator (default: random, logged) |
///
/// A share is a percentage (`5%`, `0.5%`) or a fraction (`0.05`); the shares add up to at most
/// 100%. A duration is a whole number with `us`, `ms` or `s`. The empty spec and `none` mean
/// no faults. Each key may be given once.
///
/// Each request to the emulated API draws once from a generator seeded with `seed`: the same
/// seed and the same sequence of requests give the same sequence of faults. Faults are decided
/// before the request is processed; a faulted request changes nothing, except under
/// `reset-after`, which models the other half of a broken connection: the request arrived and
/// was applied, the answer never came back. A client cannot tell the two resets apart, which is
/// why it must treat a broken connection as "outcome unknown" and confirm with a GET. The
/// admin routes under `/__emulator/` are never faulted.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Faults {
    /// Share of requests answered 429, between 0 and 1.
    pub rate_limited: f64,
    /// Share of requests answered 503, between 0 and 1.
    pub unavailable: f64,
    /// Share of requests whose connection is dropped without a response, the request
    /// unprocessed, between 0 and 1.
    pub reset: f64,
    /// Share of requests processed in full whose connection is then dropped without a
    /// response (the change is made, the answer lost), between 0 and 1.
    pub reset_after: f64,
    /// Added to every request (the lower bound when `latency_max` is set).
    pub latency: Duration,
    /// When set, the added latency is drawn uniformly from `latency..=latency_max`.
    pub latency_max: Option<Duration>,
    /// The `Retry-After` of a 429, in seconds; 0 is allowed, as Jira sends it.
    pub retry_after_secs: u64,
    /// Seed of the fault generator; `None` picks one at random (logged, and shown in the
    /// admin state).
    pub seed: Option<u64>,
}

impl Default for Faults {
    /// No faults, `Retry-After: 1`, random seed.
    fn default() -> Self {
        Self {
            rate_limited: 0.0,
            unavailable: 0.0,
            reset: 0.0,
            reset_after: 0.0,
            latency: Duration::ZERO,
            latency_max: None,
            retry_after_secs: 1,
            seed: None,
        }
    }
}

impl Faults {
    /// No faults.
    pub fn none() -> Self {
        Self::default()
    }

    /// Whether no fault can happen.
    pub fn is_none(&self) -> bool {
        self.rate_limited == 0.0
            && self.unavailable == 0.0
            && self.reset == 0.0
            && self.reset_after == 0.0
            && self.latency.is_zero()
            && self.latency_max.is_none_or(|max| max.is_zero())
    }

    /// Answers `share` of the requests with 429.
    pub fn with_rate_limited(mut self, share: f64) -> Self {
        self.rate_limited = share;
        self
    }

    /// Answers `share` of the requests with 503.
    pub fn with_unavailable(mut self, share: f64) -> Self {
        self.unavailable = share;
        self
    }

    /// Drops the connection of `share` of the requests.
    pub fn with_reset(mut self, share: f64) -> Self {
        self.reset = share;
        self
    }

    /// Processes `share` of the requests, then drops their connection before answering.
    pub fn with_reset_after(mut self, share: f64) -> Self {
        self.reset_after = share;
        self
    }

    /// Adds `latency` to every request.
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self.latency_max = None;
        self
    }

    /// Adds a latency drawn uniformly from `min..=max` to every request.
    pub fn with_latency_range(mut self, min: Duration, max: Duration) -> Self {
        self.latency = min;
        self.latency_max = Some(max);
        self
    }

    /// Sets the `Retry-After` of a 429.
    pub fn with_retry_after_secs(mut self, secs: u64) -> Self {
        self.retry_after_secs = secs;
        self
    }

    /// Seeds the fault generator.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Checks that every share is in `0..=1`, that they add up to at most 1, and that a latency
    /// range is not reversed.
    pub fn validate(&self) -> Result<(), FaultSpecError> {
        for (name, share) in [
            ("429", self.rate_limited),
            ("503", self.unavailable),
            ("reset", self.reset),
            ("reset-after", self.reset_after),
        ] {
            if !(0.0..=1.0).contains(&share) {
                return Err(FaultSpecError(format!(
                    "the share of `{name}` must be between 0% and 100%, got {share}"
                )));
            }
        }
        if self.rate_limited + self.unavailable + self.reset + self.reset_after > 1.0 + 1e-9 {
            return Err(FaultSpecError(
                "the shares of 429, 503, reset and reset-after add up to more than 100%".into(),
            ));
        }
        if let Some(max) = self.latency_max
            && max < self.latency
        {
            return Err(FaultSpecError(format!(
                "the latency range {}..{} is reversed",
                DisplayDuration(self.latency),
                DisplayDuration(max)
            )));
        }
        Ok(())
    }
}

/// A fault spec that does not parse or does not make sense.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid fault spec: {0}")]
pub struct FaultSpecError(pub String);

impl FromStr for Faults {
    type Err = FaultSpecError;

    /// Parses the spec described on [`Faults`].
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let spec = spec.trim();
        let mut faults = Faults::default();
        if spec.is_empty() || spec.eq_ignore_ascii_case("none") {
            return Ok(faults);
        }

        let mut seen = Vec::new();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| FaultSpecError(format!("`{item}` is not of the form key=value")))?;
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim();
            let canonical = match key.as_str() {
                "429" | "rate-limit" | "rate-limited" => "429",
                "503" | "unavailable" => "503",
                "reset" => "reset",
                "reset-after" => "reset-after",
                "latency" => "latency",
                "retry-after" => "retry-after",
                "seed" => "seed",
                _ => {
                    return Err(FaultSpecError(format!(
                        "unknown key `{key}` (expected 429, 503, reset, reset-after, latency, retry-after or seed)"
                    )));
                }
            };
            if seen.contains(&canonical) {
                return Err(FaultSpecError(format!("`{canonical}` is given twice")));
            }
            seen.push(canonical);

            match canonical {
                "429" => faults.rate_limited = parse_share(value)?,
                "503" => faults.unavailable = parse_share(value)?,
                "reset" => faults.reset = parse_share(value)?,
                "reset-after" => faults.reset_after = parse_share(value)?,
                "latency" => match value.split_once("..") {
                    Some((min, max)) => {
                        faults.latency = parse_duration(min.trim())?;
                        faults.latency_max = Some(parse_duration(max.trim())?);
                    }
                    None => faults.latency = parse_duration(value)?,
                },
                "retry-after" => {
                    // The header counts whole seconds; `s` reads like the latency's units.
                    let secs = value.strip_suffix('s').unwrap_or(value);
                    faults.retry_after_secs = secs.parse().map_err(|_| {
                        FaultSpecError(format!(
                            "retry-after must be whole seconds like 20 or 20s, got `{value}`"
                        ))
                    })?;
                }
                _ => {
                    faults.seed = Some(value.parse().map_err(|_| {
                        FaultSpecError(format!("seed must be an unsigned integer, got `{value}`"))
                    })?);
                }
            }
        }
        faults.validate()?;
        Ok(faults)
    }
}

impl fmt::Display for Faults {
    /// The spec that parses back to the same value; `none` when nothing is set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.rate_limited > 0.0 {
            parts.push(format!("429={}", self.rate_limited));
        }
        if self.unavailable > 0.0 {
            parts.push(format!("503={}", self.unavailable));
        }
        if self.reset > 0.0 {
            parts.push(format!("reset={}", self.reset));
        }
        if self.reset_after > 0.0 {
            parts.push(format!("reset-after={}", self.reset_after));
        }
        match self.latency_max {
            Some(max) => parts.push(format!(
                "latency={}..{}",
                DisplayDuration(self.latency),
                DisplayDuration(max)
            )),
            None if !self.latency.is_zero() => {
                parts.push(format!("latency={}", DisplayDuration(self.latency)));
            }
            None => {}
        }
        if self.retry_after_secs != 1 {
            parts.push(format!("retry-after={}", self.retry_after_secs));
        }
        if let Some(seed) = self.seed {
            parts.push(format!("seed={seed}"));
        }
        if parts.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&parts.join(","))
        }
    }
}

fn parse_share(value: &str) -> Result<f64, FaultSpecError> {
    let (number, scale) = match value.strip_suffix('%') {
        Some(number) => (number.trim(), 100.0),
        None => (value, 1.0),
    };
    let parsed: f64 = number
        .parse()
        .map_err(|_| FaultSpecError(format!("`{value}` is not a share like 5% or 0.05")))?;
    let share = parsed / scale;
    if !(0.0..=1.0).contains(&share) {
        return Err(FaultSpecError(format!(
            "`{value}` is not a share between 0% and 100%"
        )));
    }
    Ok(share)
}

fn parse_duration(value: &str) -> Result<Duration, FaultSpecError> {
    let bad = || {
        FaultSpecError(format!(
            "`{value}` is not a duration like 20ms, 1s or 500us"
        ))
    };
    let (number, unit) = value
        .find(|c: char| !c.is_ascii_digit())
        .map(|i| value.split_at(i))
        .ok_or_else(bad)?;
    let number: u64 = number.parse().map_err(|_| bad())?;
    match unit {
        "us" => Ok(Duration::from_micros(number)),
        "ms" => Ok(Duration::from_millis(number)),
        "s" => Ok(Duration::from_secs(number)),
        _ => Err(bad()),
    }
}

/// A duration written in the spec's units.
struct DisplayDuration(Duration);

impl fmt::Display for DisplayDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let micros = self.0.as_micros();
        if micros.is_multiple_of(1_000_000) {
            write!(f, "{}s", micros / 1_000_000)
        } else if micros.is_multiple_of(1_000) {
            write!(f, "{}ms", micros / 1_000)
        } else {
            write!(f, "{micros}us")
        }
    }
}

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Processed normally.
    Pass,
    /// Answered 429.
    RateLimited,
    /// Answered 503.
    Unavailable,
    /// Connection dropped, the request unprocessed.
    Reset,
    /// Request processed, then the connection dropped.
    ResetAfter,
}

/// The running fault generator of one emulator; its faults can be replaced while it runs.
#[derive(Debug)]
pub(crate) struct FaultPlan {
    state: Mutex<PlanState>,
}

#[derive(Debug)]
struct PlanState {
    faults: Faults,
    seed: u64,
    rng: StdRng,
}

impl PlanState {
    fn new(faults: Faults) -> Self {
        let seed = faults.seed.unwrap_or_else(|| rand::rng().random());
        if !faults.is_none() && faults.seed.is_none() {
            tracing::info!(seed, faults = %faults, "fault generator seeded at random");
        }
        Self {
            faults,
            seed,
            rng: StdRng::seed_from_u64(seed),
        }
    }
}

impl FaultPlan {
    pub(crate) fn new(faults: Faults) -> Self {
        Self {
            state: Mutex::new(PlanState::new(faults)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PlanState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Injects `faults` from the next request on, from a generator seeded afresh.
    pub(crate) fn replace(&self, faults: Faults) {
        *self.lock() = PlanState::new(faults);
    }

    /// The `Retry-After` of a 429, in seconds.
    pub(crate) fn retry_after_secs(&self) -> u64 {
        self.lock().faults.retry_after_secs
    }

    /// The seed in use, when any fault is configured.
    pub(crate) fn seed(&self) -> Option<u64> {
        let state = self.lock();
        (!state.faults.is_none()).then_some(state.seed)
    }

    /// Draws the latency and outcome of the next request.
    pub(crate) fn decide(&self) -> (Duration, Outcome) {
        let mut state = self.lock();
        let PlanState { faults: f, rng, .. } = &mut *state;
        if f.is_none() {
            return (Duration::ZERO, Outcome::Pass);
        }

        let draw: f64 = rng.random();
        let latency = match f.latency_max {
            Some(max) if max > f.latency => {
                let micros = rng.random_range(f.latency.as_micros()..=max.as_micros());
                Duration::from_micros(u64::try_from(micros).unwrap_or(u64::MAX))
            }
            _ => f.latency,
        };

        // Cumulative shares, in an order that keeps the outcomes of specs written before
        // `reset-after` existed.
        let outcome = if draw < f.reset {
            Outcome::Reset
        } else if draw < f.reset + f.rate_limited {
            Outcome::RateLimited
        } else if draw < f.reset + f.rate_limited + f.unavailable {
            Outcome::Unavailable
        } else if draw < f.reset + f.rate_limited + f.unavailable + f.reset_after {
            Outcome::ResetAfter
        } else {
            Outcome::Pass
        };
        (latency, outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_spec_parses() {
        let faults: Faults = "429=5%,503=10%,reset=2%,reset-after=1%,latency=20ms,seed=42"
            .parse()
            .unwrap();
        assert_eq!(faults.rate_limited, 0.05);
        assert_eq!(faults.unavailable, 0.10);
        assert_eq!(faults.reset, 0.02);
        assert_eq!(faults.reset_after, 0.01);
        assert_eq!(faults.latency, Duration::from_millis(20));
        assert_eq!(faults.latency_max, None);
        assert_eq!(faults.retry_after_secs, 1);
        assert_eq!(faults.seed, Some(42));
    }

    #[test]
    fn fractions_aliases_ranges_and_retry_after_parse() {
        let faults: Faults = " rate-limit=0.25 , unavailable=0.5%, latency=1ms..2s, retry-after=0 "
            .parse()
            .unwrap();
        assert_eq!(faults.rate_limited, 0.25);
        assert_eq!(faults.unavailable, 0.005);
        assert_eq!(faults.latency, Duration::from_millis(1));
        assert_eq!(faults.latency_max, Some(Duration::from_secs(2)));
        assert_eq!(faults.retry_after_secs, 0);
    }

    #[test]
    fn retry_after_takes_whole_seconds_with_or_without_an_s() {
        for (spec, secs) in [
            ("retry-after=20s", 20),
            ("retry-after=20", 20),
            ("retry-after=0s", 0),
        ] {
            let faults: Faults = spec.parse().unwrap();
            assert_eq!(faults.retry_after_secs, secs, "{spec}");
        }
    }

    #[test]
    fn empty_and_none_mean_no_faults() {
        assert!("".parse::<Faults>().unwrap().is_none());
        assert!("none".parse::<Faults>().unwrap().is_none());
        assert_eq!(Faults::none().to_string(), "none");
    }

    #[test]
    fn bad_specs_are_refused_with_the_reason() {
        for (spec, needle) in [
            ("429", "key=value"),
            ("430=5%", "unknown key"),
            ("429=150%", "between"),
            ("429=60%,503=50%", "more than 100%"),
            ("reset=60%,reset-after=50%", "more than 100%"),
            ("reset-after=101%", "between"),
            ("latency=20", "duration"),
            ("latency=20m", "duration"),
            ("latency=2s..1s", "reversed"),
            ("seed=-1", "unsigned"),
            ("retry-after=1.5", "whole seconds"),
            ("retry-after=1.5s", "whole seconds"),
            ("retry-after=20ms", "whole seconds"),
            ("retry-after=s", "whole seconds"),
            ("retry-after=-1", "whole seconds"),
            ("reset=1%,reset=2%", "twice"),
        ] {
            let err = spec.parse::<Faults>().unwrap_err().to_string();
            assert!(err.contains(needle), "{spec}: {err}");
        }
    }

    #[test]
    fn display_round_trips() {
        for spec in [
            "429=5%,503=10%,reset=2%,latency=20ms,seed=42",
            "reset-after=3%,seed=1",
            "429=7%,latency=500us..3s,retry-after=0",
            "reset=100%",
        ] {
            let faults: Faults = spec.parse().unwrap();
            let shown = faults.to_string();
            assert_eq!(shown.parse::<Faults>().unwrap(), faults, "{shown}");
        }
    }

    #[test]
    fn same_seed_same_decisions() {
        let faults: Faults = "429=30%,503=30%,reset=10%,reset-after=10%,latency=1ms..9ms,seed=9"
            .parse()
            .unwrap();
        let a = FaultPlan::new(faults.clone());
        let b = FaultPlan::new(faults);
        let run = |plan: &FaultPlan| (0..200).map(|_| plan.decide()).collect::<Vec<_>>();
        let first = run(&a);
        assert_eq!(first, run(&b));
        for outcome in [
            Outcome::Pass,
            Outcome::RateLimited,
            Outcome::Unavailable,
            Outcome::Reset,
            Outcome::ResetAfter,
        ] {
            assert!(first.iter().any(|(_, o)| *o == outcome), "{outcome:?}");
        }
        assert!(first.iter().all(|(latency, _)| {
            (Duration::from_millis(1)..=Duration::from_millis(9)).contains(latency)
        }));
    }

    #[test]
    fn a_spec_without_reset_after_keeps_its_sequence() {
        // The outcome of each draw does not depend on a share that is zero.
        let before: Faults = "429=20%,503=20%,reset=20%,seed=3".parse().unwrap();
        let mut with_zero = before.clone();
        with_zero.reset_after = 0.0;
        let a = FaultPlan::new(before);
        let b = FaultPlan::new(with_zero);
        assert!((0..200).all(|_| a.decide() == b.decide()));
    }

    #[test]
    fn replaced_faults_apply_from_the_next_request() {
        let plan = FaultPlan::new("reset=100%,seed=1".parse().unwrap());
        assert_eq!(plan.decide().1, Outcome::Reset);
        plan.replace(Faults::none());
        assert_eq!(plan.seed(), None);
        assert_eq!(plan.decide(), (Duration::ZERO, Outcome::Pass));
        plan.replace("reset-after=100%,retry-after=4,seed=2".parse().unwrap());
        assert_eq!(plan.decide().1, Outcome::ResetAfter);
        assert_eq!(plan.seed(), Some(2));
        assert_eq!(plan.retry_after_secs(), 4);
    }

    #[test]
    fn no_faults_never_draws() {
        let plan = FaultPlan::new(Faults::none());
        assert_eq!(plan.seed(), None);
        assert!((0..100).all(|_| plan.decide() == (Duration::ZERO, Outcome::Pass)));
    }
}

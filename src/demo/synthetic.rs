//! Synthetic incidents for load tests and benchmarks: valid, seeded, and sized like real ones.
//!
//! Sizes follow the real post-incident dataset the demo uses (a summary of about 45
//! characters, a description of about 320, a URL of about 70; some 770 bytes of JSON per
//! incident). The same seed always gives the same incidents.

use std::io::{self, Write};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::model::{AssociationType, IncidentStatus, SchemaVersion, SeverityLevel};
use crate::types::{Association, Incident, IncidentSeverity};

const WORDS: &[&str] = &[
    "database",
    "latency",
    "elevated",
    "errors",
    "region",
    "deploy",
    "rollback",
    "queue",
    "backlog",
    "cache",
    "timeout",
    "storage",
    "network",
    "partition",
    "certificate",
    "expired",
    "dns",
    "resolution",
    "load",
    "balancer",
    "api",
    "gateway",
    "degraded",
    "replica",
    "lag",
    "failover",
    "config",
    "change",
    "capacity",
    "exhausted",
    "memory",
    "leak",
    "disk",
    "full",
    "upstream",
    "provider",
    "outage",
    "authentication",
    "login",
    "webhook",
    "delivery",
    "delayed",
    "scheduler",
    "stalled",
    "billing",
    "search",
    "index",
    "rebuild",
    "cdn",
    "edge",
];

const COMPONENTS: usize = 50;

/// Project keys the synthetic associations use; the emulator knows them by default.
pub const PROJECT_KEYS: &[&str] = &["OPS", "INC", "SRE"];

/// A seeded source of synthetic incidents.
#[derive(Debug)]
pub struct Generator {
    rng: StdRng,
    next: u64,
}

impl Generator {
    /// A generator whose output depends only on `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            next: 0,
        }
    }

    fn words(&mut self, min_chars: usize, max_chars: usize) -> String {
        let target = self.rng.random_range(min_chars..=max_chars);
        let mut text = String::with_capacity(target + 16);
        while text.len() < target {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(WORDS[self.rng.random_range(0..WORDS.len())]);
        }
        text
    }

    /// The next incident: `syn-<n>` with sequence number `n`, `n` counting from 1.
    pub fn incident(&mut self) -> Incident {
        self.next += 1;
        let n = self.next;
        let minutes = n as i64;
        let created = chrono::DateTime::from_timestamp(1_704_067_200 + minutes * 60, 0)
            .expect("in range")
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let severity = match self.rng.random_range(0..6) {
            0 => SeverityLevel::P1,
            1 => SeverityLevel::P2,
            2 => SeverityLevel::P3,
            3 => SeverityLevel::P4,
            4 => SeverityLevel::P5,
            _ => SeverityLevel::Unknown,
        };
        let associations = if self.rng.random_bool(0.3) {
            let key = PROJECT_KEYS[self.rng.random_range(0..PROJECT_KEYS.len())];
            vec![Association {
                association_type: Some(AssociationType::IssueIdOrKeys),
                values: vec![format!("{key}-{}", self.rng.random_range(1..5000))],
            }]
        } else {
            Vec::new()
        };

        let mut summary = self.words(25, 70);
        if let Some(first) = summary.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        Incident {
            schema_version: SchemaVersion::V1_0,
            id: format!("syn-{n}"),
            update_sequence_number: n as i64,
            summary,
            description: self.words(150, 490),
            url: format!("https://status.example.com/incidents/{n}/timeline?source=synthetic"),
            created_date: created.clone(),
            last_updated: created,
            status: if self.rng.random_bool(0.8) {
                IncidentStatus::Resolved
            } else {
                IncidentStatus::Open
            },
            severity: Some(IncidentSeverity { level: severity }),
            affected_components: vec![format!(
                "component-{}",
                self.rng.random_range(0..COMPONENTS)
            )],
            associations,
        }
    }

    /// Writes `count` incidents as NDJSON.
    pub fn write_ndjson<W: Write>(&mut self, count: u64, mut out: W) -> io::Result<()> {
        for _ in 0..count {
            serde_json::to_writer(&mut out, &self.incident())?;
            out.write_all(b"\n")?;
        }
        out.flush()
    }
}

impl Iterator for Generator {
    type Item = Incident;

    fn next(&mut self) -> Option<Incident> {
        Some(self.incident())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_incidents() {
        let a: Vec<Incident> = Generator::new(7).take(20).collect();
        let b: Vec<Incident> = Generator::new(7).take(20).collect();
        let c: Vec<Incident> = Generator::new(8).take(20).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn incidents_are_sized_like_real_ones() {
        let total: usize = Generator::new(1)
            .take(1000)
            .map(|i| serde_json::to_vec(&i).unwrap().len())
            .sum();
        let mean = total / 1000;
        assert!((550..=900).contains(&mean), "mean size {mean}");
    }
}

//! The account is exact: for random mixes of valid, invalid, duplicate and oversized records,
//! and random server answers per request (a 202 naming random subsets, 413, 400, 401, 429 then
//! 202, 503 forever, an unreadable 202, a connection reset once or always, a refused
//! connection), every input record appears exactly once across accepted, failed, rejected and
//! unconfirmed, under its own position and ID, and in the list that the server's last answer
//! about it calls for. The server knows each record by its `updateSequenceNumber`, which the
//! test sets to the record's position.

mod common;

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use jira_operations::auth::FixedClock;
use jira_operations::{RetryPolicy, SubmitOptions, SubmitReport};
use proptest::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy)]
enum Behaviour {
    /// 202 naming each ID as accepted, failed or neither, by a hash.
    Accept,
    TooLarge,
    BadRequest,
    Unauthorized,
    RateLimitedThenAccept,
    UnavailableForever,
    UnreadableAccept,
    ResetOnceThenAccept,
    ResetForever,
}

#[derive(Debug, Clone)]
struct RecordSpec {
    id: u8,
    valid: bool,
    oversized: bool,
}

#[derive(Debug, Clone)]
struct Case {
    reviews: bool,
    records: Vec<RecordSpec>,
    behaviours: Vec<Behaviour>,
    seed: u64,
    refused: bool,
    max_entities: usize,
    concurrency: usize,
}

fn behaviour() -> impl Strategy<Value = Behaviour> {
    prop_oneof![
        4 => Just(Behaviour::Accept),
        1 => Just(Behaviour::TooLarge),
        1 => Just(Behaviour::BadRequest),
        1 => Just(Behaviour::Unauthorized),
        2 => Just(Behaviour::RateLimitedThenAccept),
        1 => Just(Behaviour::UnavailableForever),
        1 => Just(Behaviour::UnreadableAccept),
        1 => Just(Behaviour::ResetOnceThenAccept),
        1 => Just(Behaviour::ResetForever),
    ]
}

fn record() -> impl Strategy<Value = RecordSpec> {
    (
        0u8..10,
        prop::bool::weighted(0.8),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(id, valid, oversized)| RecordSpec {
            id,
            valid,
            oversized,
        })
}

fn case() -> impl Strategy<Value = Case> {
    (
        any::<bool>(),
        prop::collection::vec(record(), 0..30),
        prop::collection::vec(behaviour(), 1..6),
        any::<u64>(),
        prop::bool::weighted(0.1),
        1usize..6,
        1usize..4,
    )
        .prop_map(
            |(reviews, records, behaviours, seed, refused, max_entities, concurrency)| Case {
                reviews,
                records,
                behaviours,
                seed,
                refused,
                max_entities,
                concurrency,
            },
        )
}

fn hash(value: impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// What the server last answered to a request that carried a record.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Verdict {
    /// A 202 naming it in `acceptedIncidents`.
    Accepted,
    /// A 202 naming it in `failedIncidents`.
    Failed,
    /// A 202 naming it nowhere.
    Unnamed,
    /// A 4xx refusing the whole request.
    Refused(u16),
    RateLimited,
    Unavailable,
    /// A 202 whose body cannot be read.
    Unreadable,
    /// The connection was reset instead of an answer.
    Reset,
}

/// The list a record must end in.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    Accepted,
    Failed,
    Unconfirmed,
    Rejected,
}

/// What the report must say of a record the server last answered with `verdict` (`None`: the
/// record never reached it).
fn expected(reviews: bool, verdict: Option<Verdict>) -> Outcome {
    match verdict {
        // Held back after a refusal that ends the submission, or the connection was refused.
        None => Outcome::Failed,
        // The answer's lists speak of incidents; reviews stay unconfirmed whatever they say.
        Some(Verdict::Accepted | Verdict::Failed) if reviews => Outcome::Unconfirmed,
        Some(Verdict::Accepted) => Outcome::Accepted,
        Some(
            Verdict::Failed | Verdict::Refused(_) | Verdict::RateLimited | Verdict::Unavailable,
        ) => Outcome::Failed,
        Some(Verdict::Unnamed | Verdict::Unreadable | Verdict::Reset) => Outcome::Unconfirmed,
    }
}

enum Reply {
    Http(u16, &'static str, String, Vec<(&'static str, &'static str)>),
    Reset,
}

struct Server {
    behaviours: Vec<Behaviour>,
    seed: u64,
    attempts: Mutex<HashMap<u64, u32>>,
    /// The last verdict on each record, by its sequence number (its position).
    verdicts: Mutex<HashMap<usize, Verdict>>,
}

impl Server {
    fn reply(&self, body: &[u8]) -> Reply {
        let json: serde_json::Value = serde_json::from_slice(body).expect("a JSON body");
        let list = json
            .get("incidents")
            .or_else(|| json.get("reviews"))
            .and_then(|l| l.as_array())
            .expect("incidents or reviews");
        let ids: Vec<String> = list
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_string())
            .collect();
        let positions: Vec<usize> = list
            .iter()
            .map(|e| e["updateSequenceNumber"].as_u64().unwrap() as usize)
            .collect();
        let key = hash(&ids);
        let attempt = {
            let mut attempts = self.attempts.lock().unwrap();
            let n = attempts.entry(key).or_default();
            *n += 1;
            *n
        };
        let behaviour = self.behaviours[(key % self.behaviours.len() as u64) as usize];
        let json_reply = |status, body: serde_json::Value| {
            Reply::Http(status, "application/json", body.to_string(), vec![])
        };
        let reply = match behaviour {
            Behaviour::Accept => json_reply(202, self.accept(&ids)),
            Behaviour::TooLarge => {
                json_reply(413, serde_json::json!([{"message": "Data is too large"}]))
            }
            Behaviour::BadRequest => json_reply(400, serde_json::json!([{"message": "malformed"}])),
            Behaviour::Unauthorized => {
                Reply::Http(401, "text/html", "<html>no</html>".into(), vec![])
            }
            Behaviour::RateLimitedThenAccept if attempt == 1 => Reply::Http(
                429,
                "text/html",
                "<!DOCTYPE html>".into(),
                vec![("Retry-After", "0")],
            ),
            Behaviour::RateLimitedThenAccept => json_reply(202, self.accept(&ids)),
            Behaviour::UnavailableForever => Reply::Http(503, "text/plain", String::new(), vec![]),
            Behaviour::UnreadableAccept => Reply::Http(
                202,
                "application/json",
                "{\"acceptedIncidents\": [".into(),
                vec![],
            ),
            Behaviour::ResetOnceThenAccept if attempt == 1 => Reply::Reset,
            Behaviour::ResetOnceThenAccept => json_reply(202, self.accept(&ids)),
            Behaviour::ResetForever => Reply::Reset,
        };

        let mut verdicts = self.verdicts.lock().unwrap();
        for (id, position) in ids.iter().zip(positions) {
            let verdict = match (&reply, behaviour) {
                (Reply::Reset, _) => Verdict::Reset,
                (Reply::Http(202, ..), Behaviour::UnreadableAccept) => Verdict::Unreadable,
                (Reply::Http(202, ..), _) => match self.verdict_on(id) {
                    0 => Verdict::Accepted,
                    1 => Verdict::Failed,
                    _ => Verdict::Unnamed,
                },
                (Reply::Http(429, ..), _) => Verdict::RateLimited,
                (Reply::Http(503, ..), _) => Verdict::Unavailable,
                (Reply::Http(status, ..), _) => Verdict::Refused(*status),
            };
            verdicts.insert(position, verdict);
        }
        reply
    }

    /// 0: accepted, 1: failed, 2: named nowhere, in a 202 that names IDs.
    fn verdict_on(&self, id: &str) -> u64 {
        hash((self.seed, id)) % 3
    }

    fn accept(&self, ids: &[String]) -> serde_json::Value {
        let mut accepted = Vec::new();
        let mut failed = serde_json::Map::new();
        for id in ids {
            match self.verdict_on(id) {
                0 => accepted.push(id.clone()),
                1 => {
                    failed.insert(id.clone(), serde_json::json!([{"message": "refused"}]));
                }
                _ => {}
            }
        }
        serde_json::json!({
            "acceptedIncidents": accepted,
            "failedIncidents": failed,
            "unknownProjectKeys": if self.seed.is_multiple_of(2) { vec!["UTF"] } else { vec![] },
        })
    }

    async fn handle(self: Arc<Self>, mut socket: TcpStream) {
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 8192];
        let head_end = loop {
            if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map_or(0, |v| v.trim().parse().unwrap());
        while buffer.len() < head_end + length {
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }

        match self.reply(&buffer[head_end..head_end + length]) {
            Reply::Reset => {
                socket.set_zero_linger().unwrap();
                drop(socket);
            }
            Reply::Http(status, content_type, body, headers) => {
                let mut response = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n",
                    body.len()
                );
                for (name, value) in headers {
                    response.push_str(&format!("{name}: {value}\r\n"));
                }
                response.push_str("\r\n");
                response.push_str(&body);
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            }
        }
    }
}

async fn submit(case: &Case) -> (SubmitReport, HashMap<usize, Verdict>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = Arc::new(Server {
        behaviours: case.behaviours.clone(),
        seed: case.seed,
        attempts: Mutex::new(HashMap::new()),
        verdicts: Mutex::new(HashMap::new()),
    });
    let seen = server.clone();
    if case.refused {
        drop(listener);
    } else {
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(server.clone().handle(socket));
            }
        });
    }

    let client = builder(&format!("http://{address}"), FixedClock::at(NOW))
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(3)
                .base_delay(Duration::from_millis(10))
                .retry_after_floor(Duration::from_millis(10)),
        )
        .overall_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let options = SubmitOptions::default()
        .max_request_bytes(2500)
        .max_entities_per_request(case.max_entities)
        .concurrency(case.concurrency);

    let variant = |spec: &RecordSpec, i: usize| (format!("E-{}", spec.id), i);
    if case.reviews {
        let reviews = case.records.iter().enumerate().map(|(i, spec)| {
            let (id, i) = variant(spec, i);
            let mut r = review(&id);
            r.update_sequence_number = i as i64;
            if !spec.valid {
                r.url = String::new();
            }
            if spec.oversized {
                r.description = "x".repeat(3000);
            }
            r
        });
        let report = client
            .submit_reviews(reviews.collect::<Vec<_>>(), &options)
            .await;
        (report, seen.verdicts.lock().unwrap().clone())
    } else {
        let incidents = case.records.iter().enumerate().map(|(i, spec)| {
            let (id, i) = variant(spec, i);
            let mut r = incident(&id);
            r.update_sequence_number = i as i64;
            if !spec.valid {
                r.url = String::new();
            }
            if spec.oversized {
                r.description = "x".repeat(3000);
            }
            r
        });
        let report = client
            .submit_incidents(incidents.collect::<Vec<_>>(), &options)
            .await;
        (report, seen.verdicts.lock().unwrap().clone())
    }
}

fn check(
    case: &Case,
    report: &SubmitReport,
    verdicts: &HashMap<usize, Verdict>,
) -> Result<(), TestCaseError> {
    let n = case.records.len();
    prop_assert_eq!(report.total(), n, "{:#?}", report);

    let mut positions: Vec<(usize, Option<&str>)> = Vec::new();
    positions.extend(
        report
            .accepted
            .iter()
            .map(|s| (s.position, Some(s.id.as_str()))),
    );
    positions.extend(
        report
            .failed
            .iter()
            .map(|s| (s.position, Some(s.id.as_str()))),
    );
    positions.extend(
        report
            .unconfirmed
            .iter()
            .map(|s| (s.position, Some(s.id.as_str()))),
    );
    let sent = positions.len();
    positions.extend(
        report
            .rejected
            .iter()
            .map(|r| (r.position, r.id.as_deref())),
    );
    let mut seen: Vec<usize> = positions.iter().map(|(p, _)| *p).collect();
    seen.sort_unstable();
    prop_assert_eq!(seen, (0..n).collect::<Vec<_>>(), "each record exactly once");

    for (position, id) in positions {
        let expected = format!("E-{}", case.records[position].id);
        prop_assert_eq!(id, Some(expected.as_str()));
    }
    for entry in report.accepted.iter().chain(&report.unconfirmed) {
        let spec = &case.records[entry.position];
        prop_assert!(
            spec.valid && !spec.oversized,
            "an invalid record was sent: {:?}",
            entry
        );
    }
    for failed in &report.failed {
        let spec = &case.records[failed.position];
        prop_assert!(spec.valid && !spec.oversized);
        prop_assert!(!failed.messages.is_empty());
    }
    for rejected in &report.rejected {
        prop_assert!(!rejected.reasons.is_empty());
        let spec = &case.records[rejected.position];
        let superseded = case.records[rejected.position + 1..]
            .iter()
            .any(|later| later.id == spec.id);
        prop_assert!(
            !spec.valid || spec.oversized || superseded,
            "a sendable record was rejected: {:?}",
            rejected
        );
    }

    // Each record is where the server's last word on it puts it.
    let lists = [
        (
            Outcome::Accepted,
            report
                .accepted
                .iter()
                .map(|s| s.position)
                .collect::<Vec<_>>(),
        ),
        (
            Outcome::Failed,
            report.failed.iter().map(|s| s.position).collect(),
        ),
        (
            Outcome::Unconfirmed,
            report.unconfirmed.iter().map(|s| s.position).collect(),
        ),
        (
            Outcome::Rejected,
            report.rejected.iter().map(|r| r.position).collect(),
        ),
    ];
    for (outcome, positions) in lists {
        for position in positions {
            let verdict = verdicts.get(&position).copied();
            let want = if outcome == Outcome::Rejected {
                prop_assert_eq!(verdict, None, "a rejected record reached the server");
                Outcome::Rejected
            } else {
                expected(case.reviews, verdict)
            };
            prop_assert_eq!(
                outcome,
                want,
                "record {} (last verdict {:?}) is in the wrong list: {:#?}",
                position,
                verdict,
                report
            );
        }
    }
    for failed in &report.failed {
        if verdicts.get(&failed.position) == Some(&Verdict::Failed) {
            prop_assert_eq!(&failed.messages, &vec!["refused".to_string()]);
        }
    }
    if case.refused {
        prop_assert!(report.accepted.is_empty() && report.unconfirmed.is_empty());
        prop_assert_eq!(report.failed.len(), sent);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_record_is_accounted_for_exactly_once(case in case()) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        let (report, verdicts) = runtime.block_on(submit(&case));
        check(&case, &report, &verdicts)?;
    }
}

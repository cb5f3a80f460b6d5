//! Ingestion through the emulator: one `POST /bulk` of 1000 incidents per iteration, sent by
//! the generated client (typed serialization, signing) and processed by the emulator (parsing,
//! schema validation, storage), both in this process.
//!
//! The same 1000 IDs are sent every iteration, so after the first one the store keeps its
//! entries (equal sequence numbers are accepted and ignored); validation runs in full each time.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jira_operations::emulator::{Emulator, EmulatorConfig};
use jira_operations::types::{Incident, SubmitEntityRequest};
use serde_json::json;

fn incident(i: usize) -> Incident {
    serde_json::from_value(json!({
        "schemaVersion": "1.0",
        "id": format!("INC-{i}"),
        "updateSequenceNumber": 1,
        "summary": format!("Incident {i}"),
        "description": "Checkout fails for some users.",
        "url": format!("https://ops.example/incidents/{i}"),
        "createdDate": "2024-01-15T10:00:00Z",
        "lastUpdated": "2024-01-15T10:05:00.123Z",
        "status": "open",
        "severity": {"level": "P2"},
        "affectedComponents": ["checkout"],
        "associations": [{"associationType": "issueIdOrKeys", "values": ["OPS-1"]}]
    }))
    .expect("a valid incident")
}

fn ingest(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let emulator = runtime
        .block_on(Emulator::start(EmulatorConfig::default()))
        .expect("the emulator starts");
    let client = emulator.client().expect("a signing client");
    let batch = SubmitEntityRequest {
        incidents: (0..1000).map(incident).collect(),
        ..Default::default()
    };

    let mut group = c.benchmark_group("emulator");
    group.throughput(Throughput::Elements(1000));
    group.bench_function("submit_1000_incidents", |b| {
        b.iter(|| {
            runtime
                .block_on(client.submit_entity(&batch))
                .expect("accepted")
        });
    });
    group.finish();

    runtime.block_on(emulator.shutdown());
}

criterion_group!(benches, ingest);
criterion_main!(benches);

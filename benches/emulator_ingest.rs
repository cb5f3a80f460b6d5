//! Ingestion through the emulator, client and emulator in this process, in incidents per
//! second:
//!
//! * `generated_submit_1000`: one `POST /bulk` of 1000 incidents sent by the generated client
//!   (typed serialization, signing): the raw path;
//! * `submit_incidents_10000`: 10,000 incidents through `OperationsClient::submit_incidents`,
//!   the path applications take: validation, sizing, requests of 1000 incidents with 4 in
//!   flight, signing, the account of every incident.
//!
//! Both end in the emulator: parsing, schema validation, project keys, storage. Incidents come
//! from the synthetic generator (about 770 bytes of JSON each, sized like real ones). Every
//! iteration sends the same IDs with higher `updateSequenceNumber`s than the last, so every
//! incident is an update the emulator applies (and the client has no reason to warn); the
//! copies are made outside the measured time.

use std::sync::atomic::{AtomicI64, Ordering};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use jira_operations::demo::synthetic::Generator;
use jira_operations::emulator::{Emulator, EmulatorConfig};
use jira_operations::types::{Incident, SubmitEntityRequest};
use jira_operations::{OperationsClient, SubmitOptions};

/// `incidents`, each with its sequence number raised past every earlier copy's.
fn next_copy(incidents: &[Incident], round: &AtomicI64) -> Vec<Incident> {
    let offset = round.fetch_add(1, Ordering::Relaxed) * 1_000_000;
    incidents
        .iter()
        .map(|incident| Incident {
            update_sequence_number: incident.update_sequence_number + offset,
            ..incident.clone()
        })
        .collect()
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
    let generated = emulator.client().expect("a signing client");
    let client = OperationsClient::new(emulator.installation()).expect("a client");
    let incidents: Vec<Incident> = Generator::new(1).take(10_000).collect();
    let round = AtomicI64::new(1);
    let options = SubmitOptions::default();

    let mut group = c.benchmark_group("emulator");

    group.throughput(Throughput::Elements(1000));
    group.bench_function("generated_submit_1000", |b| {
        b.iter_batched(
            || SubmitEntityRequest {
                incidents: next_copy(&incidents[..1000], &round),
                ..Default::default()
            },
            |batch| {
                let answer = runtime
                    .block_on(generated.submit_entity(&batch))
                    .expect("accepted")
                    .into_inner();
                assert_eq!(answer.accepted_incidents.len(), 1000);
            },
            BatchSize::LargeInput,
        );
    });

    group.sample_size(20);
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("submit_incidents_10000", |b| {
        b.iter_batched(
            || next_copy(&incidents, &round),
            |copy| {
                let report = runtime.block_on(client.submit_incidents(copy, &options));
                assert_eq!(report.accepted.len(), 10_000);
                assert!(report.warnings.is_empty());
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();

    runtime.block_on(emulator.shutdown());
}

criterion_group!(benches, ingest);
criterion_main!(benches);

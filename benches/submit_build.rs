//! Building one request of 1000 incidents as the client does (validation, packing, the body
//! exactly as sent), against bare `serde_json::to_vec` of the same request: the price of
//! validating and packing over serializing. Two ways in: typed incidents (`library`), which
//! the client validates and serializes, and the same incidents as JSON lines
//! (`library_json`, what `jira-ops submit` reads), which it checks in place and sends as they
//! are.
//!
//! The incidents are the synthetic ones of `jira-ops generate --seed 1` (about 770 bytes of
//! JSON each), so the 1000 fit one request under the default 1 MiB limit and both benches
//! produce the same bytes; the setup checks that they do.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use jira_operations::SubmitOptions;
use jira_operations::batch::bench::{incident_request_bodies, incident_request_bodies_json};
use jira_operations::demo::synthetic::Generator;
use jira_operations::types::{Incident, SubmitEntityRequest};

const INCIDENTS: usize = 1000;

fn build(c: &mut Criterion) {
    let incidents: Vec<Incident> = Generator::new(1).take(INCIDENTS).collect();
    let options = SubmitOptions::default();
    let request = SubmitEntityRequest {
        incidents: incidents.clone(),
        ..Default::default()
    };

    let bare = serde_json::to_vec(&request).expect("requests serialize");
    let (bodies, rejected) = incident_request_bodies(incidents.clone(), &options);
    assert_eq!(rejected, 0, "synthetic incidents are valid");
    assert_eq!(bodies.len(), 1, "1000 synthetic incidents fit one request");
    assert!(bodies[0] == bare, "the client sends what serde_json writes");

    let lines: Vec<Vec<u8>> = incidents
        .iter()
        .map(|i| serde_json::to_vec(i).expect("incidents serialize"))
        .collect();
    let (bodies, rejected) = incident_request_bodies_json(lines.clone(), &options);
    assert_eq!(rejected, 0);
    assert!(
        bodies.len() == 1 && bodies[0] == bare,
        "the lines, joined, are the request"
    );

    let mut group = c.benchmark_group("request_1000_incidents");
    group.throughput(Throughput::Elements(INCIDENTS as u64));

    group.bench_function("serde_json_to_vec", |b| {
        b.iter(|| serde_json::to_vec(std::hint::black_box(&request)).expect("serializes"));
    });

    // The same, from the same owned input as the library's: the request is moved in, as
    // the incidents are moved into the library, and freed with its incidents afterwards.
    group.bench_function("serde_json_to_vec_owned", |b| {
        b.iter_batched(
            || incidents.clone(),
            |incidents| {
                let request = SubmitEntityRequest {
                    incidents,
                    ..Default::default()
                };
                serde_json::to_vec(&request).expect("serializes")
            },
            BatchSize::LargeInput,
        );
    });

    group.bench_function("library", |b| {
        b.iter_batched(
            || incidents.clone(),
            |incidents| incident_request_bodies(incidents, &options),
            BatchSize::LargeInput,
        );
    });

    group.bench_function("library_json", |b| {
        b.iter_batched(
            || lines.clone(),
            |lines| incident_request_bodies_json(lines, &options),
            BatchSize::LargeInput,
        );
    });

    group.bench_function("validate_only", |b| {
        b.iter(|| {
            std::hint::black_box(&incidents)
                .iter()
                .map(|i| jira_operations::validate_incident(i).len())
                .sum::<usize>()
        });
    });

    group.finish();
}

criterion_group!(benches, build);
criterion_main!(benches);

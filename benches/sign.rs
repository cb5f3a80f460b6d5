//! What signing costs per request: canonical request + qsh alone, the token, and a whole
//! `reqwest::Request` signed in place (what the `pre` hook does for every call).

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use jira_operations::auth::{CanonicalRequest, Clock, FixedClock, Installation, Signer};

const PATH: &str = "/rest/operations/1.0/bulkByProperties";
const QUERY: &str = "accountId=acc-1&createdBy=user%202";

fn signer() -> Signer {
    let installation = Installation::new(
        "com.example.ops-app",
        "client-key-1",
        "bench-shared-secret-0123456789abcdef0123",
        "https://your-site.atlassian.net",
    );
    let clock: Arc<dyn Clock> = FixedClock::at(1_700_000_000);
    Signer::new(&installation, clock).expect("signer")
}

fn canonical_and_qsh(c: &mut Criterion) {
    c.bench_function("canonical_request_and_qsh", |b| {
        b.iter(|| {
            CanonicalRequest::new(
                black_box("DELETE"),
                black_box(PATH),
                black_box(Some(QUERY)),
                black_box(""),
            )
            .qsh()
        })
    });
}

fn sign(c: &mut Criterion) {
    let signer = signer();
    c.bench_function("token", |b| {
        b.iter(|| {
            signer
                .token(black_box("DELETE"), black_box(PATH), black_box(Some(QUERY)))
                .expect("token")
        })
    });

    let mut request = reqwest::Client::new()
        .delete(format!("https://your-site.atlassian.net{PATH}?{QUERY}"))
        .build()
        .expect("request");
    c.bench_function("sign_request", |b| {
        b.iter(|| signer.sign(black_box(&mut request)).expect("sign"))
    });
}

criterion_group!(benches, canonical_and_qsh, sign);
criterion_main!(benches);

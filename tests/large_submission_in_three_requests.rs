//! 2,500 incidents go out as three requests of 1000, 1000 and 500 (the spec's maximum per
//! request), each incident in exactly one of them.

mod common;

use std::collections::HashSet;

use common::*;
use httpmock::{Method::POST, MockServer};
use jira_operations::SubmitOptions;
use jira_operations::auth::FixedClock;
use serde_json::json;

#[tokio::test(start_paused = true)]
async fn two_thousand_five_hundred_incidents_are_sent_as_1000_1000_500() {
    let server = MockServer::start_async().await;
    let clock = FixedClock::at(NOW);
    let (_mock, log) = responder(&server, POST, "/rest/operations/1.0/bulk", |seen| {
        json(202, json!({"acceptedIncidents": seen.ids("incidents")}))
    })
    .await;
    let client = builder(&server.base_url(), clock.clone()).build().unwrap();
    let incidents = (0..2500).map(|i| incident(&format!("INC-{i}")));

    // Large enough a byte limit that only the count limit applies.
    let options = SubmitOptions::default().max_request_bytes(16 * 1024 * 1024);
    let report = client.submit_incidents(incidents, &options).await;

    let seen = log.all();
    let mut sizes: Vec<usize> = seen.iter().map(|s| s.ids("incidents").len()).collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [500, 1000, 1000]);

    let mut all = HashSet::new();
    for request in &seen {
        request.assert_signed(&server.base_url(), clock.clone());
        let ids = request.ids("incidents");
        // Each request carries a contiguous run of the input.
        let first: usize = ids[0].trim_start_matches("INC-").parse().unwrap();
        for (offset, id) in ids.iter().enumerate() {
            assert_eq!(id, &format!("INC-{}", first + offset));
            assert!(all.insert(id.clone()), "{id} sent twice");
        }
    }
    assert_eq!(all.len(), 2500);

    assert_eq!(report.accepted.len(), 2500);
    assert!(report.is_complete_success());
    assert_eq!(report.requests_sent, 3);
    let positions: Vec<usize> = report.accepted.iter().map(|s| s.position).collect();
    assert_eq!(positions, (0..2500).collect::<Vec<_>>());
}

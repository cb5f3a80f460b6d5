//! A 413 is never retried as is: the request is split in half and each half resent, down to
//! one entity, which then fails with Jira's message.

mod common;

use common::*;
use httpmock::{HttpMockResponse, Method::POST, MockServer};
use jira_operations::auth::FixedClock;
use jira_operations::{SubmitOptions, SubmitReport};
use serde_json::json;

fn too_large() -> HttpMockResponse {
    json(
        413,
        json!([{"message": "Data is too large. Submit fewer Incidents in each payload."}]),
    )
}

fn accept_all(ids: &[String]) -> HttpMockResponse {
    json(202, json!({"acceptedIncidents": ids}))
}

fn ids(report: &SubmitReport) -> Vec<&str> {
    report.accepted.iter().map(|s| s.id.as_str()).collect()
}

#[tokio::test(start_paused = true)]
async fn a_413_splits_the_request_until_it_fits() {
    let server = MockServer::start_async().await;
    let clock = FixedClock::at(NOW);
    let (_mock, log) = responder(&server, POST, "/rest/operations/1.0/bulk", |seen| {
        let ids = seen.ids("incidents");
        if ids.len() > 2 {
            too_large()
        } else {
            accept_all(&ids)
        }
    })
    .await;
    let client = builder(&server.base_url(), clock.clone()).build().unwrap();
    let incidents: Vec<_> = (1..=8).map(|i| incident(&format!("INC-{i}"))).collect();

    let report = client
        .submit_incidents(incidents, &SubmitOptions::default())
        .await;

    let sizes: Vec<usize> = log.all().iter().map(|s| s.ids("incidents").len()).collect();
    assert_eq!(sizes, [8, 4, 2, 2, 4, 2, 2]);
    let order: Vec<Vec<String>> = log.all().iter().map(|s| s.ids("incidents")).collect();
    assert_eq!(order[1], ["INC-1", "INC-2", "INC-3", "INC-4"]);
    assert_eq!(order[2], ["INC-1", "INC-2"]);
    assert_eq!(order[3], ["INC-3", "INC-4"]);
    assert_eq!(order[4], ["INC-5", "INC-6", "INC-7", "INC-8"]);
    for seen in log.all() {
        seen.assert_signed(&server.base_url(), clock.clone());
    }

    assert_eq!(
        ids(&report),
        [
            "INC-1", "INC-2", "INC-3", "INC-4", "INC-5", "INC-6", "INC-7", "INC-8"
        ]
    );
    assert!(report.is_complete_success(), "{report:#?}");
    assert_eq!(report.requests_sent, 7);
    assert_eq!(report.retries, 0, "a 413 is split, not retried");
}

#[tokio::test(start_paused = true)]
async fn a_single_entity_that_still_gets_413_fails_with_the_message() {
    let server = MockServer::start_async().await;
    let (_mock, log) = responder(&server, POST, "/rest/operations/1.0/bulk", |seen| {
        let ids = seen.ids("incidents");
        if ids.iter().any(|id| id == "INC-2") {
            too_large()
        } else {
            accept_all(&ids)
        }
    })
    .await;
    let client = client(&server);
    let incidents: Vec<_> = (1..=3).map(|i| incident(&format!("INC-{i}"))).collect();

    let report = client
        .submit_incidents(incidents, &SubmitOptions::default())
        .await;

    let batches: Vec<Vec<String>> = log.all().iter().map(|s| s.ids("incidents")).collect();
    assert_eq!(
        batches,
        [
            vec!["INC-1", "INC-2", "INC-3"],
            vec!["INC-1"],
            vec!["INC-2", "INC-3"],
            vec!["INC-2"],
            vec!["INC-3"],
        ]
    );
    assert_eq!(ids(&report), ["INC-1", "INC-3"]);
    assert_eq!(report.failed.len(), 1);
    let failed = &report.failed[0];
    assert_eq!((failed.id.as_str(), failed.position), ("INC-2", 1));
    assert!(
        failed.messages[0].contains("too large (413)"),
        "{:?}",
        failed.messages
    );
    assert_eq!(
        failed.messages[1],
        "Data is too large. Submit fewer Incidents in each payload."
    );
    assert_eq!(report.total(), 3);
}

#[tokio::test(start_paused = true)]
async fn an_entity_larger_than_the_byte_limit_is_rejected_without_sending() {
    let server = MockServer::start_async().await;
    let (_mock, log) = responder(&server, POST, "/rest/operations/1.0/bulk", |seen| {
        accept_all(&seen.ids("incidents"))
    })
    .await;
    let client = client(&server);
    let mut big = incident("INC-BIG");
    big.description = "x".repeat(4000);
    let options = SubmitOptions::default().max_request_bytes(2000);

    let report = client
        .submit_incidents(vec![incident("INC-1"), big, incident("INC-3")], &options)
        .await;

    assert_eq!(ids(&report), ["INC-1", "INC-3"]);
    assert_eq!(report.rejected.len(), 1);
    let rejected = &report.rejected[0];
    assert_eq!(rejected.id.as_deref(), Some("INC-BIG"));
    assert_eq!(rejected.position, 1);
    assert!(
        rejected.reasons[0].contains("more than the limit of 2000 bytes"),
        "{rejected:?}"
    );
    for seen in log.all() {
        assert!(seen.body.len() <= 2000, "{} bytes sent", seen.body.len());
        assert!(!seen.ids("incidents").contains(&"INC-BIG".to_string()));
    }
}

#[tokio::test(start_paused = true)]
async fn requests_are_packed_under_the_byte_limit_and_bytes_are_counted_exactly() {
    let server = MockServer::start_async().await;
    let (_mock, log) = responder(&server, POST, "/rest/operations/1.0/bulk", |seen| {
        accept_all(&seen.ids("incidents"))
    })
    .await;
    let client = client(&server);
    let one = serde_json::to_vec(&incident("INC-10")).unwrap().len();
    // Room for four incidents per request (16 bytes of wrapper, 3 commas), not five.
    let options = SubmitOptions::default()
        .max_request_bytes(20 + 4 * one)
        .concurrency(1);
    let incidents: Vec<_> = (10..20).map(|i| incident(&format!("INC-{i}"))).collect();

    let report = client.submit_incidents(incidents, &options).await;

    let seen = log.all();
    let sizes: Vec<usize> = seen.iter().map(|s| s.ids("incidents").len()).collect();
    assert_eq!(sizes, [4, 4, 2]);
    for request in &seen {
        assert!(request.body.len() <= 20 + 4 * one);
    }
    let on_the_wire: usize = seen.iter().map(|s| s.body.len()).sum();
    assert_eq!(report.bytes_sent, on_the_wire as u64);
    assert_eq!(report.accepted.len(), 10);
}

//! The 202 schema names no reviews, so every review sent is reported unconfirmed, never
//! accepted; the body carries `reviews` and the request-level properties.

mod common;

use common::*;
use httpmock::{Method::POST, MockServer};
use jira_operations::auth::FixedClock;
use jira_operations::{EntityKind, SubmitOptions};
use serde_json::json;

#[tokio::test(start_paused = true)]
async fn reviews_sent_are_reported_unconfirmed() {
    let server = MockServer::start_async().await;
    let clock = FixedClock::at(NOW);
    let (_mock, log) = scripted(
        &server,
        POST,
        "/rest/operations/1.0/bulk",
        vec![json(
            202,
            json!({"acceptedIncidents": [], "unknownProjectKeys": []}),
        )],
    )
    .await;
    let client = builder(&server.base_url(), clock.clone()).build().unwrap();

    let report = client
        .submit_reviews(
            vec![review("PIR-1"), review("PIR-2")],
            &SubmitOptions::default().property("accountId", "acc-1"),
        )
        .await;

    let seen = log.all();
    assert_eq!(seen.len(), 1);
    seen[0].assert_signed(&server.base_url(), clock);
    let body = seen[0].json();
    assert_eq!(body["properties"], json!({"accountId": "acc-1"}));
    assert!(body.get("incidents").is_none());
    assert_eq!(seen[0].ids("reviews"), ["PIR-1", "PIR-2"]);
    assert_eq!(
        body["reviews"][0],
        json!({
            "createdDate": "2024-01-16T10:00:00Z",
            "description": "what happened",
            "id": "PIR-1",
            "lastUpdated": "2024-01-16T10:00:00Z",
            "reviews": ["INC-1"],
            "schemaVersion": "1.0",
            "status": "completed",
            "summary": "VPN outage review",
            "updateSequenceNumber": 1,
            "url": "https://ops.example/reviews/PIR-1"
        })
    );

    assert!(report.accepted.is_empty());
    assert!(report.failed.is_empty());
    let unconfirmed: Vec<_> = report
        .unconfirmed
        .iter()
        .map(|s| (s.kind, s.id.as_str()))
        .collect();
    assert_eq!(
        unconfirmed,
        [(EntityKind::Review, "PIR-1"), (EntityKind::Review, "PIR-2")]
    );
    for sent in &report.unconfirmed {
        assert_eq!(
            sent.reason.as_deref(),
            Some("Jira's answer names no reviews: read it back to confirm it")
        );
        assert_eq!(sent.update_sequence_number, 1);
    }
    assert!(!report.is_complete_success());
    assert!(!report.has_failures());
}

#[tokio::test(start_paused = true)]
async fn a_202_with_an_empty_body_leaves_reviews_unconfirmed() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(
        &server,
        POST,
        "/rest/operations/1.0/bulk",
        vec![status(202)],
    )
    .await;

    let report = client(&server)
        .submit_reviews(vec![review("PIR-1")], &SubmitOptions::default())
        .await;

    assert_eq!(log.len(), 1);
    assert_eq!(report.unconfirmed.len(), 1);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

#[tokio::test(start_paused = true)]
async fn review_ids_in_the_incident_lists_settle_nothing_and_a_failure_is_kept_as_a_warning() {
    let server = MockServer::start_async().await;
    let (_mock, log) = scripted(
        &server,
        POST,
        "/rest/operations/1.0/bulk",
        vec![json(
            202,
            json!({
                "acceptedIncidents": ["PIR-1"],
                "failedIncidents": {"PIR-2": [{"message": "reviews must name an incident", "errorTraceId": "t-9"}]},
            }),
        )],
    )
    .await;

    let report = client(&server)
        .submit_reviews(
            vec![review("PIR-1"), review("PIR-2")],
            &SubmitOptions::default(),
        )
        .await;

    assert_eq!(log.len(), 1);
    assert!(report.accepted.is_empty(), "{:?}", report.accepted);
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let unconfirmed: Vec<_> = report.unconfirmed.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(unconfirmed, ["PIR-1", "PIR-2"]);
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    let warning = &report.warnings[0];
    assert!(warning.starts_with("review PIR-2: "), "{warning}");
    assert!(
        warning.contains("reviews must name an incident (errorTraceId t-9)"),
        "{warning}"
    );
}

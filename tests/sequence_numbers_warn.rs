//! A record whose `updateSequenceNumber` cannot supersede the one this client sent before for
//! the same ID gets a warning: Jira would accept it and keep the old data.

mod common;

use common::*;
use httpmock::{Method::POST, MockServer};
use jira_operations::SubmitOptions;
use jira_operations::auth::FixedClock;
use serde_json::json;

#[tokio::test(start_paused = true)]
async fn resending_the_same_sequence_number_is_warned_about() {
    let server = MockServer::start_async().await;
    let (_mock, log) = responder(&server, POST, "/rest/operations/1.0/bulk", |seen| {
        json(202, json!({"acceptedIncidents": seen.ids("incidents")}))
    })
    .await;
    let client = client(&server);
    let mut first = incident("INC-1");
    first.update_sequence_number = 1_705_312_800;
    let mut second = first.clone();
    second.status = jira_operations::model::IncidentStatus::Resolved;

    let before = client
        .submit_incidents(vec![first], &SubmitOptions::default())
        .await;
    let after = client
        .submit_incidents(vec![second], &SubmitOptions::default())
        .await;

    assert_eq!(log.len(), 2, "the record is still sent");
    assert!(before.warnings.is_empty());
    assert_eq!(
        after.warnings,
        [
            "incident INC-1: updateSequenceNumber 1705312800 does not supersede 1705312800, sent earlier by this client; Jira keeps the stored data"
        ]
    );
    assert_eq!(after.accepted.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn numbers_from_the_helper_always_supersede() {
    let server = MockServer::start_async().await;
    let (_mock, log) = responder(&server, POST, "/rest/operations/1.0/bulk", |seen| {
        json(202, json!({"acceptedIncidents": seen.ids("incidents")}))
    })
    .await;
    let client = builder(&server.base_url(), FixedClock::at(NOW))
        .build()
        .unwrap();

    let mut warnings = Vec::new();
    for _ in 0..3 {
        let mut update = incident("INC-1");
        update.update_sequence_number = client.incident_sequence_numbers().next("INC-1");
        let report = client
            .submit_incidents(vec![update], &SubmitOptions::default())
            .await;
        warnings.extend(report.warnings);
    }

    assert!(warnings.is_empty(), "{warnings:?}");
    let numbers: Vec<i64> = log
        .all()
        .iter()
        .map(|s| {
            s.json()["incidents"][0]["updateSequenceNumber"]
                .as_i64()
                .unwrap()
        })
        .collect();
    let base = (NOW * 1000) as i64;
    assert_eq!(
        numbers,
        [base, base + 1, base + 2],
        "same millisecond, still increasing"
    );
}

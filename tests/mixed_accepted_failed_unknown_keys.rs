//! A 202 that accepts some incidents, fails others and names unknown project keys: each
//! record lands in its list, and an incident the answer does not name is unconfirmed.

mod common;

use std::collections::BTreeSet;

use common::*;
use httpmock::{Method::POST, MockServer};
use jira_operations::auth::FixedClock;
use jira_operations::{EntityKind, Record, Sent, SubmitOptions};
use serde_json::json;

#[tokio::test(start_paused = true)]
async fn a_mixed_202_is_split_into_accepted_failed_and_unconfirmed() {
    let server = MockServer::start_async().await;
    let clock = FixedClock::at(NOW);
    let (_mock, log) = scripted(
        &server,
        POST,
        "/rest/operations/1.0/bulk",
        vec![json(
            202,
            json!({
                "acceptedIncidents": ["INC-1"],
                "failedIncidents": {
                    "INC-2": [{"message": "Unknown component", "errorTraceId": "abc"}]
                },
                "unknownProjectKeys": ["UTF", "OPS"],
                "acceptedReviews": []
            }),
        )],
    )
    .await;
    let client = builder(&server.base_url(), clock.clone()).build().unwrap();
    let options = SubmitOptions::default()
        .property("accountId", "acc-1")
        .product("pager 2.1");
    let records = vec![
        Record::new(incident("INC-1"), "in.ndjson:1"),
        Record::new(incident("INC-2"), "in.ndjson:2"),
        Record::new(incident("INC-3"), "in.ndjson:3"),
    ];

    let report = client.submit_incidents(records, &options).await;

    let seen = log.all();
    assert_eq!(seen.len(), 1);
    seen[0].assert_signed(&server.base_url(), clock);
    assert_eq!(
        seen[0].json(),
        json!({
            "incidents": [incident_json("INC-1"), incident_json("INC-2"), incident_json("INC-3")],
            "properties": {"accountId": "acc-1"},
            "providerMetadata": {"product": "pager 2.1"}
        })
    );

    assert_eq!(
        report.accepted,
        [Sent {
            kind: EntityKind::Incident,
            id: "INC-1".into(),
            position: 0,
            source: Some("in.ndjson:1".into()),
            update_sequence_number: 1,
            reason: None,
        }]
    );
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].id, "INC-2");
    assert_eq!(report.failed[0].position, 1);
    assert_eq!(report.failed[0].source.as_deref(), Some("in.ndjson:2"));
    assert_eq!(
        report.failed[0].messages,
        ["Unknown component (errorTraceId abc)"]
    );
    assert_eq!(report.unconfirmed.len(), 1);
    assert_eq!(report.unconfirmed[0].id, "INC-3");
    assert_eq!(
        report.unconfirmed[0].reason.as_deref(),
        Some("every issue key is in a project Jira does not know (OPS); most likely not stored")
    );
    assert_eq!(
        report.unknown_project_keys,
        BTreeSet::from(["OPS".to_string(), "UTF".to_string()])
    );
    assert_eq!(
        report.unknown_answer_fields,
        BTreeSet::from(["acceptedReviews".to_string()])
    );
    assert!(!report.is_complete_success());
    assert!(report.has_failures());
    assert_eq!(report.total(), 3);
    assert_eq!(report.requests_sent, 1);
    assert_eq!(report.bytes_sent, seen[0].body.len() as u64);

    let as_json = serde_json::to_value(&report).unwrap();
    assert_eq!(
        as_json["failed"][0]["messages"][0],
        "Unknown component (errorTraceId abc)"
    );
    assert_eq!(as_json["unknown_project_keys"], json!(["OPS", "UTF"]));
}

#[tokio::test(start_paused = true)]
async fn into_complete_turns_anything_short_of_all_accepted_into_an_error() {
    let server = MockServer::start_async().await;
    let (_mock, _log) = responder(&server, POST, "/rest/operations/1.0/bulk", |seen| {
        let ids = seen.ids("incidents");
        if ids.contains(&"INC-2".to_string()) {
            json(
                202,
                json!({"acceptedIncidents": ["INC-1"], "failedIncidents": {"INC-2": [{"message": "no"}]}}),
            )
        } else {
            json(202, json!({"acceptedIncidents": ids}))
        }
    })
    .await;
    let client = client(&server);

    let complete = client
        .submit_incidents(vec![incident("INC-1")], &SubmitOptions::default())
        .await
        .into_complete()
        .unwrap();
    assert_eq!(complete.accepted_count(), 1);

    let incomplete = client
        .submit_incidents(
            vec![incident("INC-1"), incident("INC-2")],
            &SubmitOptions::default(),
        )
        .await
        .into_complete()
        .unwrap_err();
    assert_eq!(
        incomplete.to_string(),
        "1 of 2 records not accepted: 1 failed, 0 rejected before sending, 0 unconfirmed"
    );
    assert_eq!(incomplete.report().failed[0].id, "INC-2");
}

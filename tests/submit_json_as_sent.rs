//! Entities given as JSON are checked in place and sent byte for byte: the body on the wire is
//! the request frame around the very bytes given, and a record the typed path would quietly
//! change (an unknown field, a `null`) is refused before sending instead.

mod common;

use common::*;
use futures::StreamExt as _;
use httpmock::{Method::POST, MockServer};
use jira_operations::auth::FixedClock;
use jira_operations::batch::EntityJson;
use jira_operations::{EntityKind, Record, SubmitOptions};
use serde_json::json;

/// An incident's JSON with its keys in an order of its own and white space inside.
fn written_by_hand(id: &str) -> String {
    let mut value = incident_json(id);
    value["summary"] = json!("Caf\u{e9} \"VPN\" down");
    let pretty = serde_json::to_string_pretty(&value).unwrap();
    format!("  {}  ", pretty.replace('\n', "\n   "))
}

#[tokio::test(start_paused = true)]
async fn incidents_given_as_json_go_out_as_the_bytes_given() {
    let server = MockServer::start_async().await;
    let clock = FixedClock::at(NOW);
    let (_mock, log) = responder(&server, POST, "/rest/operations/1.0/bulk", |seen| {
        json(202, json!({"acceptedIncidents": seen.ids("incidents")}))
    })
    .await;
    let client = builder(&server.base_url(), clock.clone()).build().unwrap();

    let first = written_by_hand("INC-1");
    let second = serde_json::to_string(&incident_json("INC-2")).unwrap();
    let mut unknown = incident_json("INC-3");
    unknown["owner"] = json!("someone");
    let mut null = incident_json("INC-4");
    null["severity"] = serde_json::Value::Null;
    let inputs = [
        first.clone(),
        second.clone(),
        unknown.to_string(),
        null.to_string(),
        "not json".to_string(),
    ];
    let records = futures::stream::iter(inputs.into_iter().enumerate())
        .map(|(i, json)| Record::new(EntityJson::from(json), format!("in.ndjson:{}", i + 1)));

    let report = client
        .submit_incidents_json_stream(records, &SubmitOptions::default().property("a", "b"))
        .await;

    let seen = log.all();
    assert_eq!(seen.len(), 1);
    seen[0].assert_signed(&server.base_url(), clock);
    let expected = format!(
        "{{\"incidents\":[{},{second}],\"properties\":{{\"a\":\"b\"}}}}",
        first.trim()
    );
    assert_eq!(String::from_utf8(seen[0].body.clone()).unwrap(), expected);

    let accepted: Vec<_> = report
        .accepted
        .iter()
        .map(|s| (s.kind, s.id.as_str()))
        .collect();
    assert_eq!(
        accepted,
        [
            (EntityKind::Incident, "INC-1"),
            (EntityKind::Incident, "INC-2")
        ]
    );
    let rejected: Vec<_> = report
        .rejected
        .iter()
        .map(|r| {
            (
                r.source.as_deref().unwrap(),
                r.id.as_deref(),
                r.reasons[0].as_str(),
            )
        })
        .collect();
    assert_eq!(rejected.len(), 3);
    assert_eq!(rejected[0].0, "in.ndjson:3");
    assert_eq!(rejected[0].1, Some("INC-3"));
    assert!(
        rejected[0].2.starts_with("unknown field `owner`"),
        "{rejected:?}"
    );
    assert_eq!(rejected[1].0, "in.ndjson:4");
    assert!(rejected[1].2.contains("invalid type: null"), "{rejected:?}");
    assert_eq!(
        rejected[2],
        (
            "in.ndjson:5",
            None,
            "malformed record: expected ident at column 2"
        )
    );
    assert_eq!(report.total(), 5);
}

#[tokio::test(start_paused = true)]
async fn reviews_given_as_json_are_sent_and_left_unconfirmed() {
    let server = MockServer::start_async().await;
    let (_mock, log) = responder(&server, POST, "/rest/operations/1.0/bulk", |_| {
        json(202, json!({}))
    })
    .await;
    let review = serde_json::to_string(&review("PIR-1")).unwrap();

    let report = client(&server)
        .submit_reviews_json_stream(
            futures::stream::iter([Record::from(EntityJson::from(review.clone()))]),
            &SubmitOptions::default(),
        )
        .await;

    let seen = log.all();
    assert_eq!(
        String::from_utf8(seen[0].body.clone()).unwrap(),
        format!("{{\"reviews\":[{review}]}}")
    );
    assert_eq!(report.unconfirmed.len(), 1);
    assert_eq!(report.unconfirmed[0].kind, EntityKind::Review);
}

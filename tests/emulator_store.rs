//! What the emulator stores and when it shows it: visibility delays under paused tokio time,
//! deletes by ID and by properties, and IDs with reserved characters.

#![cfg(feature = "emulator")]

mod emulator_support;

use std::time::Duration;

use emulator_support::{Raw, assert_no_body, error_messages, incident, review};
use jira_operations::emulator::{Emulator, EmulatorConfig};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Everything but unreserved characters is escaped in a path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn incident_path(id: &str) -> String {
    format!(
        "/rest/operations/1.0/incidents/{}",
        utf8_percent_encode(id, SEGMENT)
    )
}

fn review_path(id: &str) -> String {
    format!(
        "/rest/operations/1.0/post-incident-reviews/{}",
        utf8_percent_encode(id, SEGMENT)
    )
}

#[tokio::test(start_paused = true)]
async fn submits_and_deletes_become_visible_after_the_delay() {
    let delay = Duration::from_secs(30);
    let emu = Emulator::start(EmulatorConfig::default().with_visibility_delay(delay))
        .await
        .unwrap();
    let raw = Raw::new(&emu);

    let reply = raw
        .submit(&json!({"incidents": [incident("INC-1")], "reviews": [review("PIR-1")]}))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(reply.json(), json!({"acceptedIncidents": ["INC-1"]}));

    let before = raw.get(&incident_path("INC-1")).await;
    assert_eq!(before.status, StatusCode::NOT_FOUND);
    assert_no_body(&before);
    assert_eq!(
        raw.get(&review_path("PIR-1")).await.status,
        StatusCode::NOT_FOUND
    );
    let state = emu.state();
    assert_eq!(
        (state.incidents, state.reviews, state.pending_operations),
        (0, 0, 2)
    );

    tokio::time::advance(delay - Duration::from_millis(1)).await;
    assert_eq!(
        raw.get(&incident_path("INC-1")).await.status,
        StatusCode::NOT_FOUND
    );

    tokio::time::advance(Duration::from_millis(1)).await;
    let after = raw.get(&incident_path("INC-1")).await;
    assert_eq!(after.status, StatusCode::OK);
    assert_eq!(after.json(), incident("INC-1"));
    assert_eq!(raw.get(&review_path("PIR-1")).await.status, StatusCode::OK);
    assert_eq!(emu.state().pending_operations, 0);

    // A delete is accepted at once and applied after the delay.
    let deleted = raw.delete(&incident_path("INC-1")).await;
    assert_eq!(deleted.status, StatusCode::ACCEPTED);
    assert_no_body(&deleted);
    assert_eq!(
        raw.get(&incident_path("INC-1")).await.status,
        StatusCode::OK
    );
    assert_eq!(emu.state().pending_operations, 1);

    tokio::time::advance(delay).await;
    assert_eq!(
        raw.get(&incident_path("INC-1")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(emu.state().incidents, 0);
}

#[tokio::test(start_paused = true)]
async fn submit_and_delete_delays_are_independent() {
    let emu = Emulator::start(
        EmulatorConfig::default()
            .with_submit_delay(Duration::from_secs(10))
            .with_delete_delay(Duration::ZERO),
    )
    .await
    .unwrap();
    let raw = Raw::new(&emu);

    raw.submit(&json!({"incidents": [incident("INC-1")]})).await;
    // The delete takes effect at once, before the submit does; the submit then lands.
    raw.delete(&incident_path("INC-1")).await;
    tokio::time::advance(Duration::from_secs(10)).await;
    assert_eq!(
        raw.get(&incident_path("INC-1")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn with_no_delay_changes_are_visible_to_the_next_request() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let raw = Raw::new(&emu);
    raw.submit(&json!({"incidents": [incident("INC-1")]})).await;
    assert_eq!(
        raw.get(&incident_path("INC-1")).await.status,
        StatusCode::OK
    );
    raw.delete(&incident_path("INC-1")).await;
    assert_eq!(
        raw.get(&incident_path("INC-1")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(emu.state().pending_operations, 0);
}

#[tokio::test]
async fn deleting_an_absent_id_is_still_202_without_body() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let raw = Raw::new(&emu);
    for path in [incident_path("NEVER-SEEN"), review_path("NEVER-SEEN")] {
        let reply = raw.delete(&path).await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{path}");
        assert_no_body(&reply);
    }
}

#[tokio::test]
async fn reviews_are_deleted_by_id() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let raw = Raw::new(&emu);
    raw.submit(&json!({"reviews": [review("PIR-1"), review("PIR-2")]}))
        .await;
    assert_eq!(raw.delete(&review_path("PIR-1")).await.status, 202);
    assert_eq!(raw.get(&review_path("PIR-1")).await.status, 404);
    assert_eq!(raw.get(&review_path("PIR-2")).await.status, 200);
}

fn submission(ids: &[&str], reviews: &[&str], properties: Value) -> Value {
    let mut body = json!({
        "incidents": ids.iter().map(|id| incident(id)).collect::<Vec<_>>(),
        "reviews": reviews.iter().map(|id| review(id)).collect::<Vec<_>>(),
    });
    if !properties.is_null() {
        body["properties"] = properties;
    }
    body
}

#[tokio::test]
async fn delete_by_properties_removes_what_matches_every_pair() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let raw = Raw::new(&emu);
    let red = json!({"accountId": "acc-1", "team": "red team"});
    let blue = json!({"accountId": "acc-1", "team": "blue"});
    for body in [
        submission(&["A1", "A2"], &["PIR-A"], red),
        submission(&["B1"], &["PIR-B"], blue),
        submission(&["C1"], &[], Value::Null),
    ] {
        assert_eq!(raw.submit(&body).await.status, StatusCode::ACCEPTED);
    }

    // `+` is a space in a query, as in the qsh.
    let reply = raw
        .delete("/rest/operations/1.0/bulkByProperties?team=red+team&accountId=acc-1")
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_no_body(&reply);
    let ids = emu.state_with_ids().ids.unwrap();
    assert_eq!(ids.incidents, vec!["B1", "C1"]);
    assert_eq!(ids.reviews, vec!["PIR-B"]);

    // A pair that matches nothing deletes nothing.
    let reply = raw
        .delete("/rest/operations/1.0/bulkByProperties?accountId=acc-1&team=green")
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(emu.state().incidents, 2);

    // Through the client's hand-written method.
    let client = emu.client().unwrap();
    client
        .delete_entity_by_properties(&[("accountId", "acc-1")])
        .await
        .unwrap();
    let ids = emu.state_with_ids().ids.unwrap();
    assert_eq!(ids.incidents, vec!["C1"]);
    assert!(ids.reviews.is_empty());
}

#[tokio::test]
async fn delete_by_properties_needs_one_to_five_valid_pairs() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let raw = Raw::new(&emu);
    raw.submit(&submission(&["A1"], &[], json!({"accountId": "acc-1"})))
        .await;

    let cases = [
        (
            "/rest/operations/1.0/bulkByProperties",
            vec!["Give at least one property to match, as a query parameter: ?key=value."],
        ),
        (
            "/rest/operations/1.0/bulkByProperties?a=1&b=2&c=3&d=4&e=5&f=6",
            vec!["At most 5 properties can be matched, got 6."],
        ),
        (
            "/rest/operations/1.0/bulkByProperties?_accountId=acc-1&x:y=1",
            vec![
                "Property key `_accountId` is not allowed: keys must be non-empty, must not contain `:` and must not start with `_`.",
                "Property key `x:y` is not allowed: keys must be non-empty, must not contain `:` and must not start with `_`.",
            ],
        ),
    ];
    for (path, expected) in cases {
        let reply = raw.delete(path).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(error_messages(&reply), expected, "{path}");
    }
    assert_eq!(emu.state().incidents, 1);
}

#[tokio::test(start_paused = true)]
async fn delete_by_properties_matches_what_is_stored_when_it_takes_effect() {
    let emu = Emulator::start(
        EmulatorConfig::default()
            .with_submit_delay(Duration::from_secs(1))
            .with_delete_delay(Duration::from_secs(5)),
    )
    .await
    .unwrap();
    let raw = Raw::new(&emu);
    raw.submit(&submission(&["A1"], &[], json!({"accountId": "acc-1"})))
        .await;
    raw.delete("/rest/operations/1.0/bulkByProperties?accountId=acc-1")
        .await;
    // Visible after 1 s, deleted after 5 s.
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(raw.get(&incident_path("A1")).await.status, StatusCode::OK);
    tokio::time::advance(Duration::from_secs(4)).await;
    assert_eq!(
        raw.get(&incident_path("A1")).await.status,
        StatusCode::NOT_FOUND
    );
}

const AWKWARD_IDS: &[&str] = &[
    "a/b", "a b", "a?b", "a#b", "a%b", "a%2Fb", "a&b=c", "a+b", "ünï-1", "a;b,c",
];

#[tokio::test]
async fn ids_with_reserved_characters_round_trip_when_encoded() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let raw = Raw::new(&emu);
    let incidents: Vec<Value> = AWKWARD_IDS.iter().map(|id| incident(id)).collect();
    let reviews: Vec<Value> = AWKWARD_IDS.iter().map(|id| review(id)).collect();
    let reply = raw
        .submit(&json!({"incidents": incidents, "reviews": reviews}))
        .await;
    assert_eq!(reply.json(), json!({ "acceptedIncidents": AWKWARD_IDS }));

    for id in AWKWARD_IDS {
        let got = raw.get(&incident_path(id)).await;
        assert_eq!(got.status, StatusCode::OK, "{id}");
        assert_eq!(got.json(), incident(id), "{id}");
        let got = raw.get(&review_path(id)).await;
        assert_eq!(got.json(), review(id), "{id}");
    }

    // The generated client encodes path IDs itself.
    let client = emu.client().unwrap();
    for id in AWKWARD_IDS {
        let got = client.get_incident_by_id(id).await.unwrap().into_inner();
        assert_eq!(got.id, *id);
    }

    for id in AWKWARD_IDS {
        assert_eq!(raw.delete(&incident_path(id)).await.status, 202, "{id}");
        assert_eq!(raw.get(&incident_path(id)).await.status, 404, "{id}");
    }
    assert_eq!(emu.state().incidents, 0);
    assert_eq!(emu.state().reviews, AWKWARD_IDS.len());
}

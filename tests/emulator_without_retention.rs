//! An emulator started without retention (the benchmarking option) answers submits exactly as
//! one that stores, but stores nothing: GETs answer 404 and the admin state counts what was
//! discarded.

#![cfg(feature = "emulator")]

mod emulator_support;

use emulator_support::{Raw, assert_no_body, incident, review};
use jira_operations::emulator::{Emulator, EmulatorConfig};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn without_retention_submits_are_answered_as_usual_and_nothing_is_stored() {
    let keeping = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let discarding = Emulator::start(EmulatorConfig::default().with_retention(false))
        .await
        .unwrap();
    let mut bad = incident("INC-BAD");
    bad["url"] = json!("");
    let mut unknown = incident("INC-ELSEWHERE");
    unknown["associations"] = json!([{"associationType": "issueIdOrKeys", "values": ["NOPE-1"]}]);
    let body = json!({
        "incidents": [incident("INC-1"), incident("INC-2"), bad, unknown],
        "reviews": [review("PIR-1")]
    });

    let kept = Raw::new(&keeping).submit(&body).await;
    let discarded = Raw::new(&discarding).submit(&body).await;
    assert_eq!(kept.status, StatusCode::ACCEPTED);
    assert_eq!(discarded.status, StatusCode::ACCEPTED);
    assert_eq!(discarded.json(), kept.json());
    assert_eq!(
        discarded.json()["acceptedIncidents"],
        json!(["INC-1", "INC-2"])
    );

    let raw = Raw::new(&discarding);
    let get = raw.get("/rest/operations/1.0/incidents/INC-1").await;
    assert_eq!(get.status, StatusCode::NOT_FOUND);
    assert_no_body(&get);
    assert_eq!(
        raw.get("/rest/operations/1.0/post-incident-reviews/PIR-1")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        Raw::new(&keeping)
            .get("/rest/operations/1.0/incidents/INC-1")
            .await
            .status,
        StatusCode::OK
    );

    // Two incidents and one review would have been stored; none was.
    let state = discarding.state_with_ids();
    assert_eq!((state.incidents, state.reviews), (0, 0));
    assert_eq!(state.pending_operations, 0);
    assert_eq!(state.discarded_entities, 3);
    assert_eq!(state.ids.unwrap().incidents, Vec::<String>::new());
    assert_eq!(keeping.state().discarded_entities, 0);
    assert_eq!(keeping.state().incidents, 2);

    let admin: serde_json::Value =
        reqwest::get(format!("{}/__emulator/state", discarding.base_url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(admin["discardedEntities"], json!(3));
    assert_eq!(admin["incidents"], json!(0));

    discarding.reset();
    assert_eq!(discarding.state().discarded_entities, 0);
}

#[test]
fn retention_is_on_by_default() {
    assert!(EmulatorConfig::default().retain_entities);
    assert!(
        !EmulatorConfig::default()
            .with_retention(false)
            .retain_entities
    );
}

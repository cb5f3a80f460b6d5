//! `POST /rest/operations/1.0/bulk`: request-level errors (400, 413, 415), per-entity
//! validation against the vendored schema, sequence-number ordering, unknown project keys and
//! reviews.

#![cfg(feature = "emulator")]

mod emulator_support;

use emulator_support::{Raw, assert_no_body, error_messages, incident, review};
use jira_operations::emulator::{Emulator, EmulatorConfig};
use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn emulator() -> (Emulator, Raw) {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let raw = Raw::new(&emu);
    (emu, raw)
}

fn incident_path(id: &str) -> String {
    format!("/rest/operations/1.0/incidents/{id}")
}

fn with(mut value: Value, field: &str, new: Value) -> Value {
    value[field] = new;
    value
}

fn without(mut value: Value, field: &str) -> Value {
    value.as_object_mut().unwrap().remove(field);
    value
}

#[tokio::test]
async fn valid_incidents_are_accepted_and_read_back_exactly() {
    let (_emu, raw) = emulator().await;
    let one = incident("INC-1");
    let two = with(incident("INC-2"), "status", json!("resolved"));

    let reply = raw.submit(&json!({"incidents": [one, two]})).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(
        reply.json(),
        json!({"acceptedIncidents": ["INC-1", "INC-2"]})
    );

    let got = raw.get(&incident_path("INC-1")).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.headers[CONTENT_TYPE], "application/json");
    assert_eq!(got.json(), one);
    assert_eq!(raw.get(&incident_path("INC-2")).await.json(), two);
}

#[tokio::test]
async fn each_incident_is_validated_on_its_own_and_valid_siblings_are_kept() {
    let (emu, raw) = emulator().await;
    let mut bad_associations = incident("INC-6");
    bad_associations["associations"] = json!([{"associationType": "issueIdOrKeys", "values": []}]);
    let mut empty_value = incident("INC-13");
    empty_value["associations"] = json!([
        {"associationType": "issueIdOrKeys", "values": ["OPS-1"]},
        {"associationType": "serviceIdOrKeys", "values": [""]}
    ]);
    let body = json!({"incidents": [
        incident("INC-1"),
        with(incident("INC-2"), "title", json!("not a field")),
        with(incident("INC-3"), "summary", json!("s".repeat(256))),
        with(incident("INC-4"), "status", json!("closed")),
        with(incident("INC-5"), "url", json!("not a url")),
        bad_associations,
        with(incident("INC-7"), "url", json!("")),
        with(incident("INC-8"), "severity", json!({"level": "P0"})),
        with(incident("INC-9"), "createdDate", json!("2024-01-15 10:00")),
        without(incident("INC-10"), "id"),
        with(incident("INC-11"), "schemaVersion", json!("2.0")),
        with(incident("INC-12"), "affectedComponents", json!([])),
        empty_value,
        "not an object",
        with(incident("INC-14"), "description", json!("d".repeat(5001))),
        incident("INC-15"),
    ]});

    let reply = raw.submit(&body).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(
        reply.json(),
        json!({
            "acceptedIncidents": ["INC-1", "INC-15"],
            "failedIncidents": {
                "INC-2": [{"message": "Additional properties are not allowed ('title' was unexpected)"}],
                "INC-3": [{"message": "`/summary` is longer than 255 characters"}],
                "INC-4": [{"message": "`/status` must be one of \"open\", \"resolved\", \"unknown\""}],
                "INC-5": [{"message": "`/url` is not a \"uri\""}],
                "INC-6": [{"message": "`/associations/0/values`: Associations must provide at least one value."}],
                "INC-7": [{"message": "`/url` is not a \"uri\""}, {"message": "`/url` must not be empty."}],
                "INC-8": [{"message": "`/severity/level` must be one of \"P1\", \"P2\", \"P3\", \"P4\", \"P5\", \"unknown\""}],
                "INC-9": [{"message": "`/createdDate` is not a \"date-time\""}],
                "<index 9>": [{"message": "\"id\" is a required property"}],
                "INC-11": [{"message": "`/schemaVersion` must be one of \"1.0\""}],
                "INC-12": [{"message": "`/affectedComponents` has less than 1 item"}],
                "INC-13": [{"message": "`/associations/1/values`: association values must not be empty."}],
                "<index 13>": [{"message": "the incident must be a JSON object."}],
                "INC-14": [{"message": "`/description` is longer than 5000 characters"}]
            }
        })
    );

    // Only the valid ones are stored.
    let state = emu.state_with_ids();
    assert_eq!(state.ids.unwrap().incidents, vec!["INC-1", "INC-15"]);
    let missing = raw.get(&incident_path("INC-2")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_no_body(&missing);
}

#[tokio::test]
async fn an_update_sequence_number_beyond_64_bits_fails_the_incident() {
    let (_emu, raw) = emulator().await;
    let body = json!({"incidents": [
        with(incident("INC-1"), "updateSequenceNumber", json!(18_446_744_073_709_551_615_u64)),
        with(incident("INC-2"), "updateSequenceNumber", json!("1")),
    ]});
    let reply = raw.submit(&body).await;
    assert_eq!(
        reply.json(),
        json!({
            "acceptedIncidents": [],
            "failedIncidents": {
                "INC-1": [{"message": "`/updateSequenceNumber` must be a 64-bit signed integer."}],
                "INC-2": [{"message": "`/updateSequenceNumber` is not of type \"integer\""}]
            }
        })
    );
}

#[tokio::test]
async fn request_level_format_errors_are_400_with_error_messages() {
    let (emu, raw) = emulator().await;
    let cases = [
        (
            json!({}),
            "The request must contain at least one incident (`incidents`) or review (`reviews`).",
        ),
        (
            json!({"incidents": [], "reviews": []}),
            "The request must contain at least one incident (`incidents`) or review (`reviews`).",
        ),
        (
            json!({"incidents": null}),
            "The request must contain at least one incident (`incidents`) or review (`reviews`).",
        ),
        (
            json!({"properties": {"accountId": "a"}}),
            "The request must contain at least one incident (`incidents`) or review (`reviews`).",
        ),
        (
            json!([incident("INC-1")]),
            "The request body must be a JSON object.",
        ),
        (
            json!("incidents"),
            "The request body must be a JSON object.",
        ),
        (
            json!({"incidents": {"id": "INC-1"}}),
            "`incidents` must be an array.",
        ),
        (
            json!({"incidents": [incident("INC-1")], "reviews": "none"}),
            "`reviews` must be an array.",
        ),
    ];
    for (body, message) in cases {
        let reply = raw.submit(&body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.json(), json!([{"message": message}]), "{body}");
    }
    assert_eq!(emu.state().incidents, 0);
}

#[tokio::test]
async fn a_body_that_is_not_json_is_400() {
    let (_emu, raw) = emulator().await;
    let mut request = raw.request(Method::POST, "/rest/operations/1.0/bulk", None);
    *request.body_mut() = Some("{\"incidents\": [".into());
    request
        .headers_mut()
        .insert(CONTENT_TYPE, "application/json".parse().unwrap());
    let reply = raw.send(request).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let messages = error_messages(&reply);
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0].starts_with("The request body is not valid JSON: "),
        "{messages:?}"
    );
}

#[tokio::test]
async fn a_body_that_is_not_declared_json_is_415() {
    let (_emu, raw) = emulator().await;
    let mut request = raw.request(Method::POST, "/rest/operations/1.0/bulk", None);
    *request.body_mut() = Some(
        serde_json::to_vec(&json!({"incidents": [incident("INC-1")]}))
            .unwrap()
            .into(),
    );
    request
        .headers_mut()
        .insert(CONTENT_TYPE, "text/plain".parse().unwrap());
    let reply = raw.send(request).await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        reply.json(),
        json!([{"message": "The request body must be application/json, not `text/plain`."}])
    );
}

#[tokio::test]
async fn more_than_1000_incidents_or_reviews_is_413() {
    let (emu, raw) = emulator().await;
    let incidents: Vec<Value> = (0..1001).map(|i| incident(&format!("INC-{i}"))).collect();
    let reply = raw.submit(&json!({ "incidents": incidents })).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        reply.json(),
        json!([{"message": "Data is too large: 1001 incidents in one request, at most 1000 are accepted. Submit fewer incidents in each request."}])
    );

    let reviews: Vec<Value> = (0..1001).map(|i| review(&format!("PIR-{i}"))).collect();
    let reply = raw.submit(&json!({ "reviews": reviews })).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        reply.json(),
        json!([{"message": "Data is too large: 1001 reviews in one request, at most 1000 are accepted. Submit fewer reviews in each request."}])
    );
    assert_eq!(emu.state().incidents + emu.state().reviews, 0);

    // Exactly 1000 is fine.
    let incidents: Vec<Value> = (0..1000).map(|i| incident(&format!("INC-{i}"))).collect();
    let reply = raw.submit(&json!({ "incidents": incidents })).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(
        reply.json()["acceptedIncidents"].as_array().unwrap().len(),
        1000
    );
    assert_eq!(emu.state().incidents, 1000);
}

#[tokio::test]
async fn a_body_over_the_byte_limit_is_413_by_length_or_by_actual_size() {
    let emu = Emulator::start(EmulatorConfig::default().with_max_body_bytes(4096))
        .await
        .unwrap();
    let raw = Raw::new(&emu);
    let big =
        json!({"incidents": [with(incident("INC-1"), "description", json!("d".repeat(4500)))]});

    // With Content-Length.
    let reply = raw.submit(&big).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    let length = serde_json::to_vec(&big).unwrap().len();
    assert_eq!(
        reply.json(),
        json!([{"message": format!("Data is too large: the request body is {length} bytes, the limit is 4096 bytes. Submit fewer entities in each request.")}])
    );

    // Streamed without Content-Length: the bytes received decide.
    let mut request = raw.request(Method::POST, "/rest/operations/1.0/bulk", None);
    let bytes = serde_json::to_vec(&big).unwrap();
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        bytes.chunks(1000).map(|c| Ok(c.to_vec())).collect();
    *request.body_mut() = Some(reqwest::Body::wrap_stream(futures::stream::iter(chunks)));
    request
        .headers_mut()
        .insert(CONTENT_TYPE, "application/json".parse().unwrap());
    let reply = raw.send(request).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        reply.json(),
        json!([{"message": "Data is too large: the request body is more than 4096 bytes, the limit is 4096 bytes. Submit fewer entities in each request."}])
    );
    assert_eq!(emu.state().incidents, 0);

    // Under the limit passes.
    let reply = raw.submit(&json!({"incidents": [incident("INC-1")]})).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn the_configured_limit_not_axums_2_mb_default_decides() {
    let (emu, raw) = emulator().await;
    // About 3.5 MB: over axum's default, under the emulator's 10 MiB.
    let incidents: Vec<Value> = (0..1000)
        .map(|i| {
            with(
                incident(&format!("INC-{i}")),
                "description",
                json!("d".repeat(3500)),
            )
        })
        .collect();
    let body = json!({ "incidents": incidents });
    assert!(serde_json::to_vec(&body).unwrap().len() > 3_000_000);
    let reply = raw.submit(&body).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(emu.state().incidents, 1000);
}

#[tokio::test]
async fn properties_and_provider_metadata_are_validated() {
    let (emu, raw) = emulator().await;
    let incidents = json!([incident("INC-1")]);
    let cases = [
        (
            json!({"incidents": incidents, "properties": {"a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "f": "6"}}),
            vec!["`/properties` has more than 5 properties"],
        ),
        (
            json!({"incidents": incidents, "properties": {"team:id": "1", "_hidden": "2"}}),
            vec![
                "`/properties`: key `_hidden` is not allowed: keys must be non-empty, must not contain `:` and must not start with `_`.",
                "`/properties`: key `team:id` is not allowed: keys must be non-empty, must not contain `:` and must not start with `_`.",
            ],
        ),
        (
            json!({"incidents": incidents, "properties": {"accountId": "x".repeat(256)}}),
            vec!["`/properties/accountId` is longer than 255 characters"],
        ),
        (
            json!({"incidents": incidents, "properties": {"accountId": 7}}),
            vec!["`/properties/accountId` is not of type \"string\""],
        ),
        (
            json!({"incidents": incidents, "properties": ["accountId"]}),
            vec!["`/properties` is not of type \"object\""],
        ),
        (
            json!({"incidents": incidents, "providerMetadata": {"product": "x", "version": "1"}}),
            vec![
                "`/providerMetadata`: Additional properties are not allowed ('version' was unexpected)",
            ],
        ),
        (
            json!({"incidents": incidents, "providerMetadata": {"product": 2}}),
            vec!["`/providerMetadata/product` is not of type \"string\""],
        ),
    ];
    for (body, expected) in cases {
        let reply = raw.submit(&body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error_messages(&reply), expected, "{body}");
    }
    assert_eq!(emu.state().incidents, 0);

    let fine = json!({
        "incidents": incidents,
        "properties": {"accountId": "account-123", "createdBy": "user-456"},
        "providerMetadata": {"product": "Ops Platform 2.1.0"},
        "somethingElse": true
    });
    let reply = raw.submit(&fine).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(reply.json(), json!({"acceptedIncidents": ["INC-1"]}));
}

#[tokio::test]
async fn only_a_higher_update_sequence_number_replaces_but_every_one_is_accepted() {
    let (_emu, raw) = emulator().await;
    let version = |seq: i64, status: &str| json!({"incidents": [with(with(incident("INC-1"), "updateSequenceNumber", json!(seq)), "status", json!(status))]});
    let status_now = || async { raw.get(&incident_path("INC-1")).await.json()["status"].clone() };

    let accepted = json!({"acceptedIncidents": ["INC-1"]});
    assert_eq!(raw.submit(&version(5, "open")).await.json(), accepted);
    assert_eq!(status_now().await, "open");

    // Equal: accepted, ignored.
    assert_eq!(raw.submit(&version(5, "resolved")).await.json(), accepted);
    assert_eq!(status_now().await, "open");

    // Lower: accepted, ignored.
    assert_eq!(raw.submit(&version(4, "resolved")).await.json(), accepted);
    assert_eq!(status_now().await, "open");

    // Higher: replaces.
    assert_eq!(raw.submit(&version(6, "resolved")).await.json(), accepted);
    assert_eq!(status_now().await, "resolved");
    let stored = raw.get(&incident_path("INC-1")).await.json();
    assert_eq!(stored["updateSequenceNumber"], 6);
}

#[tokio::test]
async fn unknown_project_keys_are_reported_and_all_unknown_incidents_are_not_stored() {
    let (emu, raw) = emulator().await;
    let associated = |id: &str, values: Value| {
        let mut i = incident(id);
        i["associations"] = json!([{"associationType": "issueIdOrKeys", "values": values}]);
        i
    };
    let mut services_only = incident("INC-SVC");
    services_only["associations"] =
        json!([{"associationType": "serviceIdOrKeys", "values": ["svc-1"]}]);

    let body = json!({"incidents": [
        associated("INC-NONE", json!(["NOPE-1", "UTF-8"])),
        associated("INC-SOME", json!(["NOPE-2", "OPS-7"])),
        associated("INC-CASE", json!(["sre-3"])),
        associated("INC-BARE", json!(["INC"])),
        services_only,
        without(incident("INC-NO-ASSOC"), "associations"),
    ]});
    let reply = raw.submit(&body).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(
        reply.json(),
        json!({
            "acceptedIncidents": ["INC-SOME", "INC-CASE", "INC-BARE", "INC-SVC", "INC-NO-ASSOC"],
            "unknownProjectKeys": ["NOPE", "UTF"]
        })
    );

    let none = raw.get(&incident_path("INC-NONE")).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    for id in [
        "INC-SOME",
        "INC-CASE",
        "INC-BARE",
        "INC-SVC",
        "INC-NO-ASSOC",
    ] {
        assert_eq!(
            raw.get(&incident_path(id)).await.status,
            StatusCode::OK,
            "{id}"
        );
    }
    // Stored whole, unknown association included.
    assert_eq!(
        raw.get(&incident_path("INC-SOME")).await.json()["associations"][0]["values"],
        json!(["NOPE-2", "OPS-7"])
    );
    assert_eq!(emu.state().incidents, 5);
}

#[tokio::test]
async fn project_keys_are_configurable() {
    let emu = Emulator::start(EmulatorConfig::default().with_project_keys(["PAY"]))
        .await
        .unwrap();
    let raw = Raw::new(&emu);
    let reply = raw.submit(&json!({"incidents": [incident("INC-1")]})).await;
    // incident() associates OPS-1, not a project of this site.
    assert_eq!(
        reply.json(),
        json!({"acceptedIncidents": [], "unknownProjectKeys": ["OPS"]})
    );
}

#[tokio::test]
async fn valid_reviews_are_stored_without_being_listed_and_invalid_ones_are_dropped() {
    let (emu, raw) = emulator().await;
    let body = json!({
        "incidents": [incident("INC-1")],
        "reviews": [
            review("PIR-1"),
            with(review("PIR-2"), "status", json!("open")),
            with(review("PIR-3"), "severity", json!({"level": "P1"})),
        ]
    });
    let reply = raw.submit(&body).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(reply.json(), json!({"acceptedIncidents": ["INC-1"]}));

    let got = raw
        .get("/rest/operations/1.0/post-incident-reviews/PIR-1")
        .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json(), review("PIR-1"));
    for id in ["PIR-2", "PIR-3"] {
        let missing = raw
            .get(&format!("/rest/operations/1.0/post-incident-reviews/{id}"))
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{id}");
        assert_no_body(&missing);
    }
    let state = emu.state();
    assert_eq!((state.incidents, state.reviews), (1, 1));

    // Reviews alone are a valid request; nothing is listed.
    let reply = raw.submit(&json!({"reviews": [review("PIR-4")]})).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(reply.json(), json!({"acceptedIncidents": []}));
    assert_eq!(emu.state().reviews, 2);
}

#[tokio::test]
async fn incidents_and_reviews_are_separate_namespaces() {
    let (_emu, raw) = emulator().await;
    let reply = raw
        .submit(&json!({"incidents": [incident("SAME")], "reviews": [review("SAME")]}))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(
        raw.get(&incident_path("SAME")).await.json(),
        incident("SAME")
    );
    assert_eq!(
        raw.get("/rest/operations/1.0/post-incident-reviews/SAME")
            .await
            .json(),
        review("SAME")
    );
}

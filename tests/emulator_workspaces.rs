//! Linked workspaces: link, list, look up, unlink, and the request errors of each.

#![cfg(feature = "emulator")]

mod emulator_support;

use emulator_support::{Raw, assert_no_body, error_messages, incident};
use jira_operations::emulator::{Emulator, EmulatorConfig};
use jira_operations::types::SubmitWorkspacesRequest;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const LINK: &str = "/rest/operations/1.0/linkedWorkspaces/bulk";
const LIST: &str = "/rest/operations/1.0/linkedWorkspaces";

async fn emulator() -> (Emulator, Raw) {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let raw = Raw::new(&emu);
    (emu, raw)
}

#[tokio::test]
async fn nothing_linked_is_404_without_body() {
    let (_emu, raw) = emulator().await;
    let reply = raw.get(LIST).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_no_body(&reply);
}

#[tokio::test]
async fn workspaces_are_linked_listed_looked_up_and_unlinked() {
    let (_emu, raw) = emulator().await;

    let reply = raw
        .post(LINK, &json!({"workspaceIds": ["w-2", "w-1", "w-2"]}))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(
        reply.json(),
        json!({"acceptedWorkspaceIds": ["w-2", "w-1"]})
    );

    // Already-linked IDs are ignored by the store but still listed as accepted.
    let reply = raw
        .post(LINK, &json!({"workspaceIds": ["w-1", "w-3"]}))
        .await;
    assert_eq!(
        reply.json(),
        json!({"acceptedWorkspaceIds": ["w-1", "w-3"]})
    );

    let reply = raw.get(LIST).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), json!({"workspaceIds": ["w-1", "w-2", "w-3"]}));

    let reply = raw.get(&format!("{LIST}?workspaceId=w-2")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), json!({"workspaceIds": ["w-2"]}));

    let reply = raw.get(&format!("{LIST}?workspaceId=w-9")).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_no_body(&reply);

    // One comma-joined value, comma literal.
    let reply = raw.delete(&format!("{LINK}?workspaceIds=w-1,w-2")).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_no_body(&reply);
    assert_eq!(raw.get(LIST).await.json(), json!({"workspaceIds": ["w-3"]}));
}

#[tokio::test]
async fn unlinking_accepts_encoded_commas_and_repeated_parameters() {
    let (emu, raw) = emulator().await;
    let ids = ["a", "b", "c", "d", "e"];
    raw.post(LINK, &json!({ "workspaceIds": ids })).await;

    assert_eq!(
        raw.delete(&format!("{LINK}?workspaceIds=a%2Cb"))
            .await
            .status,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        raw.delete(&format!("{LINK}?workspaceIds=c&workspaceIds=d"))
            .await
            .status,
        StatusCode::ACCEPTED
    );
    // Unknown IDs are fine.
    assert_eq!(
        raw.delete(&format!("{LINK}?workspaceIds=zz")).await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(emu.state_with_ids().ids.unwrap().workspaces, vec!["e"]);
}

#[tokio::test]
async fn unlinking_without_ids_is_400() {
    let (_emu, raw) = emulator().await;
    for path in [
        LINK.to_string(),
        format!("{LINK}?workspaceIds="),
        format!("{LINK}?workspaceIds=,"),
        format!("{LINK}?workspaceId=a"),
    ] {
        let reply = raw.delete(&path).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(
            error_messages(&reply),
            vec![
                "Give the workspace IDs to delete as one comma-separated query parameter: ?workspaceIds=a,b,c."
            ],
            "{path}"
        );
    }
}

#[tokio::test]
async fn linking_more_than_100_is_413() {
    let (emu, raw) = emulator().await;
    let ids: Vec<String> = (0..101).map(|i| format!("w-{i}")).collect();
    let reply = raw.post(LINK, &json!({ "workspaceIds": ids })).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        reply.json(),
        json!([{"message": "The set of IDs is too large: 101 workspace IDs, at most 100 are accepted."}])
    );
    assert_eq!(emu.state().workspaces, 0);

    let ids: Vec<String> = (0..100).map(|i| format!("w-{i}")).collect();
    let reply = raw.post(LINK, &json!({ "workspaceIds": ids })).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(emu.state().workspaces, 100);
}

#[tokio::test]
async fn malformed_link_requests_are_400() {
    let (emu, raw) = emulator().await;
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"workspaceIds": []}),
            "`/workspaceIds` has less than 1 item",
        ),
        (json!({}), "\"workspaceIds\" is a required property"),
        (
            json!({"workspaceIds": "w-1"}),
            "`/workspaceIds` is not of type \"array\"",
        ),
        (
            json!({"workspaceIds": [1]}),
            "`/workspaceIds/0` is not of type \"string\"",
        ),
        (
            json!({"workspaceIds": [""]}),
            "`/workspaceIds`: workspace IDs must not be empty.",
        ),
        (json!(["w-1"]), "The request body must be a JSON object."),
    ];
    for (body, message) in cases {
        let reply = raw.post(LINK, &body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error_messages(&reply), vec![message], "{body}");
    }

    let mut request = raw.request(Method::POST, LINK, None);
    *request.body_mut() = Some("workspaceIds=w-1".into());
    let reply = raw.send(request).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(error_messages(&reply)[0].starts_with("The request body is not valid JSON"));
    assert_eq!(emu.state().workspaces, 0);
}

#[tokio::test]
async fn unlinking_a_workspace_deletes_no_incident() {
    let (emu, raw) = emulator().await;
    raw.post(LINK, &json!({"workspaceIds": ["w-1"]})).await;
    raw.submit(&json!({"incidents": [incident("INC-1")]})).await;
    raw.delete(&format!("{LINK}?workspaceIds=w-1")).await;
    let state = emu.state();
    assert_eq!((state.workspaces, state.incidents), (0, 1));
}

#[tokio::test]
async fn the_generated_client_drives_every_workspace_operation() {
    let (emu, raw) = emulator().await;
    let client = emu.client().unwrap();

    let accepted = client
        .submit_operations_workspaces(&SubmitWorkspacesRequest {
            workspace_ids: vec!["111-222-333".into(), "444-555-666".into()],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        accepted.accepted_workspace_ids,
        vec!["111-222-333", "444-555-666"]
    );

    let one = client
        .get_workspaces(Some("444-555-666"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(one.workspace_ids, vec!["444-555-666"]);

    client
        .delete_workspaces("111-222-333,444-555-666")
        .await
        .unwrap();
    assert_eq!(raw.get(LIST).await.status, StatusCode::NOT_FOUND);
}

//! The payloads of Jira's `fetchWorkspaces` and `searchContainers` calls and the app's
//! answers: their JSON, unknown fields kept, and the container ID pattern.

use jira_operations::provider::{
    Container, ContainerId, FetchWorkspacesRequest, FetchWorkspacesResponse, SearchContainersQuery,
    SearchContainersResponse, Workspace, is_valid_container_id,
};
use serde_json::json;

#[test]
fn should_read_the_fetch_workspaces_request_and_keep_unknown_fields() {
    let body = json!({"ids": ["ws-1", "ws-2"], "cloudId": "c-9"});

    let request: FetchWorkspacesRequest = serde_json::from_value(body.clone()).unwrap();

    assert_eq!(request.ids, ["ws-1", "ws-2"]);
    assert_eq!(request.extra["cloudId"], "c-9");
    assert_eq!(serde_json::to_value(&request).unwrap(), body);
}

#[test]
fn should_refuse_a_fetch_workspaces_request_without_ids() {
    let err = serde_json::from_value::<FetchWorkspacesRequest>(json!({})).unwrap_err();

    assert!(err.to_string().contains("missing field `ids`"), "{err}");
}

#[test]
fn should_write_the_fetch_workspaces_response_in_camel_case_without_absent_fields() {
    let mut full = Workspace::new("f730ce9c", "shopping-cart");
    full.url = Some("https://ops.example.com/org/f730ce9c".into());
    full.avatar_url = Some("https://ops.example.com/avatars/f730ce9c.png".into());
    let bare = Workspace::new("a1", "bare");
    let response = FetchWorkspacesResponse {
        workspaces: vec![full, bare],
        ..Default::default()
    };

    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        json!({"workspaces": [
            {
                "id": "f730ce9c",
                "name": "shopping-cart",
                "url": "https://ops.example.com/org/f730ce9c",
                "avatarUrl": "https://ops.example.com/avatars/f730ce9c.png"
            },
            {"id": "a1", "name": "bare"}
        ]})
    );
}

#[test]
fn should_keep_unknown_fields_of_a_workspace_and_of_the_response() {
    let body = json!({
        "workspaces": [{"id": "a1", "name": "n", "region": "eu", "tags": ["x"]}],
        "nextPage": null
    });

    let response: FetchWorkspacesResponse = serde_json::from_value(body.clone()).unwrap();

    assert_eq!(response.workspaces[0].extra["region"], "eu");
    assert_eq!(response.extra["nextPage"], serde_json::Value::Null);
    assert_eq!(serde_json::to_value(&response).unwrap(), body);
}

#[test]
fn should_read_the_search_query_parameter_and_ignore_the_token() {
    let query: SearchContainersQuery =
        serde_json::from_value(json!({"searchQuery": "cart", "jwt": "a.b.c"})).unwrap();

    assert_eq!(query.search_query, "cart");
    assert_eq!(
        serde_json::to_value(&query).unwrap(),
        json!({"searchQuery": "cart"})
    );
}

#[test]
fn should_round_trip_a_search_containers_response_with_optional_and_unknown_fields() {
    let body = json!({"containers": [
        {
            "id": "f730ce9c/target/111-222-333",
            "name": "cart-service",
            "url": "https://ops.example.com/c/111",
            "avatarUrl": "https://ops.example.com/c/111.png",
            "lastUpdatedDate": "2024-01-19T23:27:25.000Z",
            "tier": 1
        },
        {"id": "only-an-id"}
    ]});

    let response: SearchContainersResponse = serde_json::from_value(body.clone()).unwrap();

    assert_eq!(
        response.containers[0].id.as_str(),
        "f730ce9c/target/111-222-333"
    );
    assert_eq!(response.containers[0].extra["tier"], 1);
    assert_eq!(response.containers[1].name, None);
    assert_eq!(serde_json::to_value(&response).unwrap(), body);
}

#[test]
fn should_refuse_a_container_whose_id_breaks_the_pattern_when_reading() {
    let err = serde_json::from_value::<SearchContainersResponse>(
        json!({"containers": [{"id": "has space"}]}),
    )
    .unwrap_err();

    assert!(
        err.to_string()
            .contains("`has space` is not a valid container ID (' ' is not allowed)"),
        "{err}"
    );
}

#[test]
fn should_accept_every_character_of_the_container_id_class() {
    for id in [
        "abcXYZ019",
        "a-b_c.d~e@f:g{h}i=j",
        "ws/target/111-222-333",
        "{x}/=/@",
        "~",
    ] {
        assert!(is_valid_container_id(id), "{id}");
        assert_eq!(ContainerId::new(id).unwrap().as_str(), id);
    }
}

#[test]
fn should_refuse_container_ids_outside_the_pattern() {
    let cases = [
        ("", "it is empty"),
        ("/leading", "a `/` must separate two non-empty segments"),
        ("trailing/", "a `/` must separate two non-empty segments"),
        (
            "double//slash",
            "a `/` must separate two non-empty segments",
        ),
        ("/", "a `/` must separate two non-empty segments"),
        ("with space", "' ' is not allowed"),
        ("percent%2F", "'%' is not allowed"),
        ("plus+", "'+' is not allowed"),
        ("query?x", "'?' is not allowed"),
        ("hash#x", "'#' is not allowed"),
        ("comma,x", "',' is not allowed"),
        ("back\\slash", "'\\\\' is not allowed"),
        ("caf\u{e9}", "'\u{e9}' is not allowed"),
    ];
    for (id, reason) in cases {
        assert!(!is_valid_container_id(id), "{id:?} should be invalid");
        let err = ContainerId::new(id).unwrap_err();
        assert_eq!(err.id(), id);
        assert!(
            err.to_string()
                .starts_with(&format!("`{id}` is not a valid container ID ({reason})")),
            "{id:?}: {err}"
        );
    }
}

#[test]
fn should_write_a_container_built_from_an_id_with_only_the_id() {
    let container = Container::new("svc/eu-1".parse().unwrap());

    assert_eq!(
        serde_json::to_value(&container).unwrap(),
        json!({"id": "svc/eu-1"})
    );
}

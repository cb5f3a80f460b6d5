//! The `jiraOperationsInfoProvider` module: round trips through hand-written descriptor
//! JSON, and one refusal per invalid field, each with its own message.

use jira_operations::provider::{
    DescriptorError, I18nProperty, OperationsInfoProvider, OperationsInfoProviderBuilder,
    ProviderModules,
};
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// Every required field, valid.
fn complete() -> OperationsInfoProviderBuilder {
    OperationsInfoProvider::builder()
        .key("example-operations")
        .name("Example Operations")
        .home_url("https://ops.example.com")
        .fetch_workspaces("/workspaces/list")
        .search_containers("/containers/search")
}

/// The one problem of `builder`, as `field: message`.
fn only_problem(builder: OperationsInfoProviderBuilder) -> String {
    let err = builder.build().expect_err("the module should be refused");
    assert_eq!(err.problems().len(), 1, "expected one problem, got: {err}");
    err.problems()[0].to_string()
}

#[test]
fn should_round_trip_the_module_page_example_with_absolute_actions() {
    let descriptor = fixture("operations-module-absolute-actions.json");

    let modules: ProviderModules = serde_json::from_value(descriptor["modules"].clone()).unwrap();
    let module = &modules.operations_info_provider;

    assert_eq!(module.key(), "example-operations");
    assert_eq!(module.name(), &I18nProperty::new("Example Operations"));
    assert_eq!(
        module
            .actions()
            .on_entity_disassociated
            .as_ref()
            .unwrap()
            .template_url,
        "https://ops.example.com/jira/containers/disassociated"
    );
    assert_eq!(module.actions().create_post_incident_review, None);
    assert_eq!(
        serde_json::to_value(&modules).unwrap(),
        descriptor["modules"]
    );
    assert_eq!(module.to_modules_value(), descriptor["modules"]);
}

#[test]
fn should_round_trip_the_rest_reference_example_with_relative_actions_and_a_review_url() {
    let descriptor = fixture("operations-module-relative-actions.json");

    let modules: ProviderModules = serde_json::from_value(descriptor["modules"].clone()).unwrap();
    let module = &modules.operations_info_provider;

    assert_eq!(
        module.name().i18n.as_deref(),
        Some("example.operations.name")
    );
    assert_eq!(
        module
            .actions()
            .create_post_incident_review
            .as_ref()
            .unwrap()
            .url,
        "https://ops.example.com/ws-1/reviews/new?affected-component={component-id}&incident={incident-id}"
    );
    assert_eq!(
        serde_json::to_value(&modules).unwrap(),
        descriptor["modules"]
    );
}

#[test]
fn should_build_the_same_module_as_the_hand_written_json() {
    let descriptor = fixture("operations-module-absolute-actions.json");

    let built = OperationsInfoProvider::builder()
        .key("example-operations")
        .name("Example Operations")
        .home_url("https://ops.example.com")
        .logo_url("https://ops.example.com/static/logo.svg")
        .documentation_url("https://ops.example.com/help/jira")
        .fetch_workspaces("https://ops.example.com/jira/workspaces")
        .search_containers("https://ops.example.com/jira/containers/search")
        .on_entity_associated("https://ops.example.com/jira/containers/associated")
        .on_entity_disassociated("https://ops.example.com/jira/containers/disassociated")
        .build()
        .unwrap();

    assert_eq!(built.to_modules_value(), descriptor["modules"]);
}

#[test]
fn should_read_a_one_element_array_and_write_a_single_object() {
    let descriptor = fixture("operations-module-array.json");

    let modules: ProviderModules = serde_json::from_value(descriptor["modules"].clone()).unwrap();

    let written = serde_json::to_value(&modules).unwrap();
    assert_eq!(
        written["jiraOperationsInfoProvider"],
        descriptor["modules"]["jiraOperationsInfoProvider"][0]
    );
}

#[test]
fn should_refuse_an_array_of_two_modules() {
    let one =
        fixture("operations-module-array.json")["modules"]["jiraOperationsInfoProvider"][0].clone();

    let err = serde_json::from_value::<ProviderModules>(json!({
        "jiraOperationsInfoProvider": [one.clone(), one]
    }))
    .unwrap_err();

    assert!(
        err.to_string()
            .contains("expected one module, found an array of 2"),
        "{err}"
    );
}

#[test]
fn should_read_create_post_incident_review_spelt_with_template_url_and_write_url() {
    let mut module =
        fixture("operations-module-array.json")["modules"]["jiraOperationsInfoProvider"][0].clone();
    module["actions"]["createPostIncidentReview"] =
        json!({"templateUrl": "https://ops.example.com/reviews/new?incident={incident-id}"});

    let read: OperationsInfoProvider = serde_json::from_value(module).unwrap();

    assert_eq!(
        serde_json::to_value(&read).unwrap()["actions"]["createPostIncidentReview"],
        json!({"url": "https://ops.example.com/reviews/new?incident={incident-id}"})
    );
}

#[test]
fn should_refuse_a_misspelt_property_when_reading() {
    let mut module =
        fixture("operations-module-array.json")["modules"]["jiraOperationsInfoProvider"][0].clone();
    module["actions"]["fetchWorkspaces"] = json!({"templateURL": "/workspaces/list"});

    let err = serde_json::from_value::<OperationsInfoProvider>(module).unwrap_err();

    assert!(
        err.to_string().contains("unknown field `templateURL`"),
        "{err}"
    );
}

#[test]
fn should_check_modules_read_from_json_like_built_ones() {
    let module = json!({
        "key": "bad key",
        "name": {"value": ""},
        "homeUrl": "/home",
        "actions": {"fetchWorkspaces": {"templateUrl": "/w"}}
    });

    let err = serde_json::from_value::<OperationsInfoProvider>(module).unwrap_err();

    let text = err.to_string();
    assert!(
        text.contains("invalid jiraOperationsInfoProvider module (4 problems)"),
        "{text}"
    );
    assert!(text.contains("key: may hold only"), "{text}");
    assert!(text.contains("name.value: must not be empty"), "{text}");
    assert!(
        text.contains("homeUrl: `/home` is not an absolute URL"),
        "{text}"
    );
    assert!(
        text.contains("actions.searchContainers: is required"),
        "{text}"
    );
}

#[test]
fn should_report_every_missing_field_at_once() {
    let err: DescriptorError = OperationsInfoProvider::builder().build().unwrap_err();

    let listed: Vec<String> = err.problems().iter().map(ToString::to_string).collect();
    assert_eq!(
        listed,
        [
            "key: is required",
            "name: is required",
            "homeUrl: is required",
            "actions.fetchWorkspaces: is required",
            "actions.searchContainers: is required",
        ]
    );
    assert_eq!(
        err.to_string(),
        "invalid jiraOperationsInfoProvider module (5 problems): key: is required; \
         name: is required; homeUrl: is required; actions.fetchWorkspaces: is required; \
         actions.searchContainers: is required"
    );
}

#[test]
fn should_report_two_problems_of_one_field_separately() {
    let err = complete().key("a.".repeat(60)).build().unwrap_err();

    let messages: Vec<&str> = err.for_field("key").map(|p| p.message()).collect();
    assert_eq!(
        messages,
        [
            "may hold only letters A-Z and a-z, digits and `-`; found '.'",
            "is 120 characters long; at most 100 are allowed",
        ]
    );
}

#[test]
fn should_accept_a_key_of_exactly_100_characters() {
    let module = complete().key("k".repeat(100)).build().unwrap();

    assert_eq!(module.key().len(), 100);
}

#[test]
fn should_refuse_a_key_with_a_dot() {
    assert_eq!(
        only_problem(complete().key("com.example.ops")),
        "key: may hold only letters A-Z and a-z, digits and `-`; found '.'"
    );
}

#[test]
fn should_refuse_a_key_of_101_characters() {
    assert_eq!(
        only_problem(complete().key("k".repeat(101))),
        "key: is 101 characters long; at most 100 are allowed"
    );
}

#[test]
fn should_refuse_an_empty_key() {
    assert_eq!(only_problem(complete().key("")), "key: must not be empty");
}

#[test]
fn should_refuse_a_missing_key() {
    let builder = OperationsInfoProvider::builder()
        .name("Example Operations")
        .home_url("https://ops.example.com")
        .fetch_workspaces("/workspaces/list")
        .search_containers("/containers/search");

    assert_eq!(only_problem(builder), "key: is required");
}

#[test]
fn should_refuse_an_empty_name() {
    assert_eq!(
        only_problem(complete().name("  ")),
        "name.value: must not be empty"
    );
}

#[test]
fn should_refuse_an_empty_i18n_key() {
    let name = I18nProperty::new("Example Operations").with_i18n("");

    assert_eq!(
        only_problem(complete().name(name)),
        "name.i18n: must not be empty when given"
    );
}

#[test]
fn should_refuse_a_missing_name() {
    let builder = OperationsInfoProvider::builder()
        .key("example-operations")
        .home_url("https://ops.example.com")
        .fetch_workspaces("/workspaces/list")
        .search_containers("/containers/search");

    assert_eq!(only_problem(builder), "name: is required");
}

#[test]
fn should_refuse_a_relative_home_url() {
    assert_eq!(
        only_problem(complete().home_url("/home")),
        "homeUrl: `/home` is not an absolute URL (it needs a scheme and a host)"
    );
}

#[test]
fn should_refuse_a_home_url_of_another_scheme() {
    assert_eq!(
        only_problem(complete().home_url("ftp://ops.example.com")),
        "homeUrl: `ftp://ops.example.com` must use http or https, not `ftp`"
    );
}

#[test]
fn should_refuse_a_missing_home_url() {
    let builder = OperationsInfoProvider::builder()
        .key("example-operations")
        .name("Example Operations")
        .fetch_workspaces("/workspaces/list")
        .search_containers("/containers/search");

    assert_eq!(only_problem(builder), "homeUrl: is required");
}

#[test]
fn should_refuse_a_relative_logo_url() {
    assert_eq!(
        only_problem(complete().logo_url("images/logo.svg")),
        "logoUrl: `images/logo.svg` is not an absolute URL (it needs a scheme and a host)"
    );
}

#[test]
fn should_refuse_a_logo_url_that_does_not_parse() {
    assert_eq!(
        only_problem(complete().logo_url("https://exa mple.com/logo.svg")),
        "logoUrl: `https://exa mple.com/logo.svg` is not a valid URL: invalid international domain name"
    );
}

#[test]
fn should_refuse_a_relative_documentation_url() {
    assert_eq!(
        only_problem(complete().documentation_url("/docs")),
        "documentationUrl: `/docs` is not an absolute URL (it needs a scheme and a host)"
    );
}

#[test]
fn should_refuse_a_missing_fetch_workspaces_action() {
    let builder = OperationsInfoProvider::builder()
        .key("example-operations")
        .name("Example Operations")
        .home_url("https://ops.example.com")
        .search_containers("/containers/search");

    assert_eq!(
        only_problem(builder),
        "actions.fetchWorkspaces: is required"
    );
}

#[test]
fn should_refuse_a_missing_search_containers_action() {
    let builder = OperationsInfoProvider::builder()
        .key("example-operations")
        .name("Example Operations")
        .home_url("https://ops.example.com")
        .fetch_workspaces("/workspaces/list");

    assert_eq!(
        only_problem(builder),
        "actions.searchContainers: is required"
    );
}

#[test]
fn should_refuse_a_template_url_without_a_leading_slash() {
    assert_eq!(
        only_problem(complete().fetch_workspaces("workspaces/list")),
        "actions.fetchWorkspaces.templateUrl: `workspaces/list` must start with `/` (relative to \
         the app's baseUrl) or be absolute: it is not an absolute URL (it needs a scheme and a host)"
    );
}

#[test]
fn should_refuse_an_empty_template_url() {
    assert_eq!(
        only_problem(complete().search_containers("")),
        "actions.searchContainers.templateUrl: must not be empty"
    );
}

#[test]
fn should_refuse_a_template_url_with_an_unclosed_placeholder() {
    assert_eq!(
        only_problem(complete().on_entity_associated("/associated/{id")),
        "actions.onEntityAssociated.templateUrl: `/associated/{id` has unbalanced `{` `}` \
         placeholder braces"
    );
}

#[test]
fn should_refuse_a_protocol_relative_template_url() {
    assert_eq!(
        only_problem(complete().on_entity_disassociated("//other.example.com/x")),
        "actions.onEntityDisassociated.templateUrl: `//other.example.com/x` starts with `//`; a \
         relative URL starts with one `/`"
    );
}

#[test]
fn should_refuse_a_post_incident_review_link_of_another_scheme() {
    assert_eq!(
        only_problem(complete().create_post_incident_review("mailto:ops@example.com")),
        "actions.createPostIncidentReview.url: `mailto:ops@example.com` must start with `/` \
         (relative to the app's baseUrl) or be absolute: it must use http or https, not `mailto`"
    );
}

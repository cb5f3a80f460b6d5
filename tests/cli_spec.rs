//! `jira-ops spec check|refresh|rules` as a user runs them.

#![cfg(feature = "cli")]

use std::path::PathBuf;

use assert_cmd::Command;
use predicates::str::contains;
use serde_json::json;

fn shared_upstream() -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/upstream/jira-software-swagger.v3.json");
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipped: {} is absent", path.display());
        None
    }
}

fn jira_ops() -> Command {
    Command::cargo_bin("jira-ops").unwrap()
}

/// An upstream document made from the vendored fragment, with one limit changed.
fn changed_upstream(dir: &tempfile::TempDir) -> PathBuf {
    let mut doc: serde_json::Value = serde_json::from_str(jira_operations::spec::VENDORED).unwrap();
    let ids = "/paths/~1rest~1operations~11.0~1linkedWorkspaces~1bulk/post/requestBody/content/application~1json/schema/properties/workspaceIds/maxItems";
    *doc.pointer_mut(ids).unwrap() = json!(250);
    let path = dir.path().join("swagger.v3.json");
    std::fs::write(&path, serde_json::to_string(&doc).unwrap()).unwrap();
    path
}

#[test]
fn spec_check_passes_against_atlassians_file() {
    let Some(upstream) = shared_upstream() else {
        return;
    };
    jira_ops()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["spec", "check"])
        .arg(&upstream)
        .assert()
        .success()
        .stdout(contains("is current (9 operations)"));
}

#[test]
fn spec_check_exits_3_and_names_the_change_when_stale() {
    let dir = tempfile::tempdir().unwrap();
    let upstream = changed_upstream(&dir);
    jira_ops()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["spec", "check"])
        .arg(&upstream)
        .assert()
        .code(3)
        .stdout(contains(
            "~ POST /rest/operations/1.0/linkedWorkspaces/bulk request workspaceIds: maxItems 100 -> 250",
        ))
        .stdout(contains("is stale (1 changes)"));
}

#[test]
fn spec_refresh_writes_the_fragment_and_check_then_passes() {
    let dir = tempfile::tempdir().unwrap();
    let upstream = changed_upstream(&dir);
    let fragment = dir.path().join("operations.json");
    std::fs::write(&fragment, jira_operations::spec::VENDORED).unwrap();

    jira_ops()
        .args(["spec", "refresh"])
        .arg(&upstream)
        .arg("--fragment")
        .arg(&fragment)
        .assert()
        .success()
        .stdout(contains("wrote"));
    let written = std::fs::read_to_string(&fragment).unwrap();
    assert!(written.contains("\"maxItems\": 250"));

    jira_ops()
        .args(["spec", "check"])
        .arg(&upstream)
        .arg("--fragment")
        .arg(&fragment)
        .assert()
        .success();
}

#[test]
fn spec_check_on_a_missing_file_is_a_usage_error_naming_it() {
    jira_ops()
        .args(["spec", "check", "/nonexistent/swagger.json"])
        .assert()
        .code(2)
        .stderr(contains("/nonexistent/swagger.json"));
}

#[test]
fn spec_check_without_a_fragment_is_a_usage_error_not_a_stale_one() {
    let dir = tempfile::tempdir().unwrap();
    let upstream = changed_upstream(&dir);
    // From a directory without `openapi/operations.json`, as from outside the repository.
    jira_ops()
        .current_dir(dir.path())
        .args(["spec", "check"])
        .arg(&upstream)
        .assert()
        .code(2)
        .stdout("")
        .stderr(contains(
            "openapi/operations.json: no such fragment; run from the repository root or pass --fragment",
        ));
}

#[test]
fn spec_rules_lists_each_rule_with_its_reason() {
    let out = jira_ops().args(["spec", "rules"]).assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    for rule in jira_operations::spec::normalize::RULES {
        assert!(
            text.contains(rule.name) && text.contains(&rule.reason[..40]),
            "{}",
            rule.name
        );
    }
}

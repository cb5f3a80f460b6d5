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
        .stdout(contains(format!(
            "openapi/operations.json is stale (1 change); run `jira-ops spec refresh {}`\n",
            upstream.display()
        )));
}

#[test]
fn spec_check_suggests_a_refresh_of_the_fragment_it_checked() {
    let dir = tempfile::tempdir().unwrap();
    let upstream = changed_upstream(&dir);
    // A name with a space: the suggestion must still paste as one command.
    let fragment = dir.path().join("my operations.json");
    std::fs::write(&fragment, jira_operations::spec::VENDORED).unwrap();

    let out = jira_ops()
        .args(["spec", "check"])
        .arg(&upstream)
        .arg("--fragment")
        .arg(&fragment)
        .assert()
        .code(3);
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let suggested = stdout
        .split_once("; run `")
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(command, _)| command)
        .unwrap_or_else(|| panic!("no command suggested: {stdout}"));
    assert_eq!(
        suggested,
        format!(
            "jira-ops spec refresh {} --fragment '{}'",
            upstream.display(),
            fragment.display()
        )
    );

    // Following the suggestion refreshes that fragment, and check then passes.
    let bin = env!("CARGO_BIN_EXE_jira-ops");
    let script = suggested.replacen("jira-ops", &format!("'{bin}'"), 1);
    let status = std::process::Command::new("sh")
        .args(["-c", &script])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "{script}");
    jira_ops()
        .args(["spec", "check"])
        .arg(&upstream)
        .arg("--fragment")
        .arg(&fragment)
        .assert()
        .success();
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
fn spec_check_says_to_update_the_rules_before_a_refresh_that_would_refuse_to_write() {
    let mut doc: serde_json::Value = serde_json::from_str(jira_operations::spec::VENDORED).unwrap();
    // A field only on the submitted incident gives `Incident` two shapes, which code
    // generation cannot take until a normalization rule handles it.
    let fields = "/paths/~1rest~1operations~11.0~1bulk/post/requestBody/content/application~1json/schema/anyOf/0/properties/incidents/items/properties";
    doc.pointer_mut(fields)
        .unwrap()
        .as_object_mut()
        .unwrap()
        .insert("priority".into(), json!({"type": "string"}));
    let dir = tempfile::tempdir().unwrap();
    let upstream = dir.path().join("swagger.v3.json");
    std::fs::write(&upstream, serde_json::to_string(&doc).unwrap()).unwrap();

    jira_ops()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["spec", "check"])
        .arg(&upstream)
        .assert()
        .code(3)
        .stderr(contains("does not fit code generation yet"))
        .stdout(contains(format!(
            "; update src/spec/normalize.rs, then run `jira-ops spec refresh {}`",
            upstream.display()
        )));
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

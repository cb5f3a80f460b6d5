//! `jira-ops get | delete | delete-by-property | workspaces` as users run them.

#![cfg(feature = "cli")]

mod cli_support;

use std::process::Stdio;
use std::time::Duration;

use cli_support::*;
use jira_operations::emulator::EmulatorConfig;
use predicates::prelude::*;
use predicates::str::contains;
use serde_json::Value;

/// Submits `records` of `kind` with `properties` and waits until they are stored.
fn submit(site: &Site, kind: &str, name: &str, records: &[Value], properties: &[&str]) {
    let file = site.ndjson(name, records);
    let mut command = site.cmd();
    command.args(["submit", kind, "--wait"]).arg(&file);
    for p in properties {
        command.args(["--property", p]);
    }
    command.assert().success();
}

#[test]
fn get_prints_the_stored_incident_and_review_as_json_and_exits_0() {
    let site = Site::start();
    let incident = incident("INC-1");
    let review = review("PIR-1", "INC-1");
    submit(
        &site,
        "incidents",
        "i.ndjson",
        std::slice::from_ref(&incident),
        &[],
    );
    submit(
        &site,
        "reviews",
        "r.ndjson",
        std::slice::from_ref(&review),
        &[],
    );

    for (entity, id, expected) in [("incident", "INC-1", incident), ("review", "PIR-1", review)] {
        let assert = site.cmd().args(["get", entity, id]).assert().success();
        let (stdout, _) = output(&assert);
        let printed: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(printed, expected);
    }
}

#[test]
fn get_of_a_missing_entity_exits_1_naming_it() {
    let site = Site::start();
    site.cmd()
        .args(["get", "incident", "NOPE-1"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(contains("no incident `NOPE-1` is stored"));
    site.cmd()
        .args(["get", "review", "NOPE-2"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(contains("no review `NOPE-2` is stored"));
}

#[test]
fn get_into_a_closed_pipe_ends_quietly() {
    let site = Site::start();
    submit(&site, "incidents", "i.ndjson", &[incident("INC-1")], &[]);

    // As in `jira-ops get incident INC-1 | head -c0`: the reader is gone before the answer.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_jira-ops"))
        .arg("--installation")
        .arg(&site.installation)
        .args(["get", "incident", "INC-1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

#[test]
fn delete_returns_at_once_and_delete_wait_returns_once_they_are_gone() {
    let site =
        Site::with(EmulatorConfig::default().with_visibility_delay(Duration::from_millis(300)));
    submit(&site, "incidents", "i.ndjson", &incidents("INC", 4), &[]);

    site.cmd()
        .args(["delete", "incident", "INC-0", "INC-1"])
        .assert()
        .success()
        .stdout(contains("delete accepted: INC-0\ndelete accepted: INC-1\n"));
    assert_eq!(
        site.state().incidents,
        4,
        "deleted before the visibility delay"
    );

    site.cmd()
        .args(["delete", "incident", "INC-2", "INC-3", "--wait"])
        .assert()
        .success()
        .stdout(contains("confirmed gone: 2 incidents in "));
    let left = site.state().ids.unwrap().incidents;
    assert!(
        !left.contains(&"INC-2".to_string()) && !left.contains(&"INC-3".to_string()),
        "{left:?}"
    );
}

#[test]
fn delete_review_wait_removes_the_review_and_not_its_incident() {
    let site =
        Site::with(EmulatorConfig::default().with_visibility_delay(Duration::from_millis(200)));
    submit(&site, "incidents", "i.ndjson", &[incident("INC-1")], &[]);
    submit(
        &site,
        "reviews",
        "r.ndjson",
        &[review("INC-1", "INC-1")],
        &[],
    );

    site.cmd()
        .args(["delete", "review", "INC-1", "--wait"])
        .assert()
        .success();
    let ids = site.state().ids.unwrap();
    assert_eq!(
        (ids.incidents, ids.reviews),
        (vec!["INC-1".to_string()], vec![])
    );
}

#[test]
fn delete_wait_that_times_out_exits_1_naming_what_is_left() {
    // Deletes take longer to apply than the command waits.
    let site = Site::with(EmulatorConfig::default().with_delete_delay(Duration::from_secs(30)));
    submit(&site, "incidents", "i.ndjson", &[incident("INC-1")], &[]);

    site.cmd()
        .args([
            "delete",
            "incident",
            "INC-1",
            "--wait",
            "--wait-timeout",
            "1",
        ])
        .assert()
        .code(1)
        .stderr(contains("gave up waiting after 1s").and(contains("INC-1")));
}

#[test]
fn delete_by_property_deletes_only_what_matches_every_pair() {
    let site =
        Site::with(EmulatorConfig::default().with_visibility_delay(Duration::from_millis(200)));
    submit(
        &site,
        "incidents",
        "prod.ndjson",
        &incidents("PROD", 2),
        &["team=a", "env=prod"],
    );
    submit(
        &site,
        "reviews",
        "prod-reviews.ndjson",
        &[review("PIR-PROD", "PROD-0")],
        &["team=a", "env=prod"],
    );
    submit(
        &site,
        "incidents",
        "dev.ndjson",
        &incidents("DEV", 2),
        &["team=a", "env=dev"],
    );
    let expected = site.file(
        "gone.txt",
        "# what env=prod held\nPROD-0\nincident:PROD-1\nreview:PIR-PROD\n",
    );

    site.cmd()
        .args(["delete-by-property", "team=a", "env=prod", "--wait-for"])
        .arg(&expected)
        .assert()
        .success()
        .stdout(contains("delete accepted for team=a AND env=prod"))
        .stdout(contains("confirmed gone: 2 incidents and 1 review in "));

    let ids = site.state().ids.unwrap();
    assert_eq!(ids.incidents, ["DEV-0", "DEV-1"]);
    assert!(ids.reviews.is_empty());
}

#[test]
fn delete_by_property_without_wait_for_returns_at_once() {
    let site =
        Site::with(EmulatorConfig::default().with_visibility_delay(Duration::from_millis(300)));
    submit(
        &site,
        "incidents",
        "i.ndjson",
        &incidents("INC", 2),
        &["run=7"],
    );

    site.cmd()
        .args(["delete-by-property", "run=7"])
        .assert()
        .success()
        .stdout(contains("delete accepted for run=7"))
        .stdout(contains("confirmed").not());
    assert_eq!(
        site.state().incidents,
        2,
        "deleted before the visibility delay"
    );

    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(site.state().incidents, 0);
}

#[test]
fn delete_by_property_wait_for_that_times_out_exits_1() {
    let site = Site::with(EmulatorConfig::default().with_delete_delay(Duration::from_secs(30)));
    submit(
        &site,
        "incidents",
        "i.ndjson",
        &incidents("INC", 1),
        &["run=7"],
    );
    let expected = site.file("gone.txt", "INC-0\n");

    site.cmd()
        .args([
            "delete-by-property",
            "run=7",
            "--wait-timeout",
            "1",
            "--wait-for",
        ])
        .arg(&expected)
        .assert()
        .code(1)
        .stderr(contains("gave up waiting after 1s").and(contains("INC-0")));
}

#[test]
fn delete_by_property_usage_errors_send_nothing() {
    let site = Site::start();
    site.cmd()
        .args(["delete-by-property", "team"])
        .assert()
        .code(2)
        .stderr(contains("`team` is not key=value"));
    site.cmd()
        .args(["delete-by-property", "_team=a"])
        .assert()
        .code(2)
        .stderr(contains("property key `_team` is not allowed"));
    let six: Vec<String> = (0..6).map(|i| format!("k{i}=v")).collect();
    site.cmd()
        .arg("delete-by-property")
        .args(&six)
        .assert()
        .code(2)
        .stderr(contains("5"));
    let missing = site.dir.path().join("ids.txt");
    site.cmd()
        .args(["delete-by-property", "team=a", "--wait-for"])
        .arg(&missing)
        .assert()
        .code(2)
        .stderr(contains(missing.display().to_string()));
    site.cmd()
        .arg("delete-by-property")
        .assert()
        .code(2)
        .stderr(contains("KEY=VALUE"));
    let empty = site.file("empty-ids.txt", "# nothing here\n\n");
    site.cmd()
        .args(["delete-by-property", "team=a", "--wait-for"])
        .arg(&empty)
        .assert()
        .code(2)
        .stderr(contains("no ids to wait for"));
    for (text, line) in [("ok1\nreview:\n", 2), ("# ids\nincident:..\n", 2)] {
        let bad = site.file("bad-ids.txt", text);
        site.cmd()
            .args(["delete-by-property", "team=a", "--wait-for"])
            .arg(&bad)
            .assert()
            .code(2)
            .stdout("")
            .stderr(contains(format!("{}:{line}: ", bad.display())));
    }

    assert_eq!(site.state().requests_by_status.values().sum::<u64>(), 0);
}

#[test]
fn workspaces_link_list_check_and_unlink() {
    let site =
        Site::with(EmulatorConfig::default().with_visibility_delay(Duration::from_millis(200)));

    site.cmd()
        .args(["workspaces", "list"])
        .assert()
        .success()
        .stdout("")
        .stderr(contains("no workspace is linked"));

    site.cmd()
        .args(["workspaces", "link", "ws-a", "ws-b", "ws-c"])
        .assert()
        .success()
        .stdout(contains(
            "linked: 3 accepted, 0 unconfirmed, 0 failed (1 request)",
        ));
    std::thread::sleep(Duration::from_millis(400));

    site.cmd()
        .args(["workspaces", "list"])
        .assert()
        .success()
        .stdout("ws-a\nws-b\nws-c\n");
    site.cmd()
        .args(["workspaces", "list", "--id", "ws-b"])
        .assert()
        .success()
        .stdout("ws-b\n");
    site.cmd()
        .args(["workspaces", "list", "--id", "ws-z"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(contains("workspace `ws-z` is not linked"));

    site.cmd()
        .args(["workspaces", "unlink", "ws-a"])
        .assert()
        .success()
        .stdout("unlink accepted: 1\n");
    assert_eq!(
        site.state().workspaces,
        3,
        "unlinked before the visibility delay"
    );

    site.cmd()
        .args(["workspaces", "unlink", "ws-b", "--wait"])
        .assert()
        .success()
        .stdout(contains("confirmed unlinked"));
    site.cmd()
        .args(["workspaces", "list"])
        .assert()
        .success()
        .stdout("ws-c\n");
}

#[test]
fn workspaces_link_and_unlink_need_ids() {
    for sub in ["link", "unlink"] {
        jira_ops()
            .args(["workspaces", sub])
            .assert()
            .code(2)
            .stderr(contains("<IDS>"));
    }
}

#[test]
fn a_call_that_cannot_reach_the_site_exits_1_naming_the_cause() {
    // A port nothing listens on: connections are refused at once.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);

    jira_ops()
        .args([
            "--base-url",
            &url,
            "--app-key",
            "app",
            "--shared-secret",
            "s",
        ])
        .args(["--timeout", "1", "get", "incident", "INC-1"])
        .assert()
        .code(1)
        .stderr(contains("could not connect").and(contains("1s deadline")));
}

#[test]
fn ids_no_request_can_carry_exit_2_before_anything_is_sent() {
    let site = Site::start();
    submit(&site, "incidents", "i.ndjson", &[incident("OK-1")], &[]);
    let before = site.state();
    let long = "x".repeat(256);

    for (args, says) in [
        (vec!["get", "incident", ""], "incident id is empty"),
        (vec!["get", "review", ".."], "review id is `..`"),
        (
            vec!["get", "incident", long.as_str()],
            "incident id is 256 characters long, more than 255",
        ),
        // One bad ID stops the command before the good one is deleted.
        (
            vec!["delete", "incident", "OK-1", "."],
            "incident id is `.`",
        ),
        (vec!["workspaces", "link", ""], "workspace"),
    ] {
        site.cmd()
            .args(&args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(contains(says));
    }

    let after = site.state();
    assert_eq!(after.requests_by_status, before.requests_by_status);
    assert_eq!(after.incidents, 1, "OK-1 was not deleted");
}

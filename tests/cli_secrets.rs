//! `jira-ops` never prints the shared secret or a token, however verbose, whether calls
//! succeed or fail.
//!
//! (`jira-ops emulator` prints the throwaway secret of the emulator it serves, on purpose: it is
//! how a user signs for it. That command is tested in `cli_emulator_demo.rs`.)

#![cfg(feature = "cli")]

mod cli_support;

use cli_support::*;

/// What a token or a secret looks like in output: the secret itself, a JWT (`eyJ` is the start
/// of every base64url JSON header), or an `Authorization` value.
fn assert_nothing_secret(what: &str, text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!text.contains(secret), "{what} printed a secret:\n{text}");
    }
    assert!(!text.contains("eyJ"), "{what} printed a token:\n{text}");
    assert!(
        !text.contains("JWT "),
        "{what} printed an Authorization value:\n{text}"
    );
}

fn run_all(site: &Site, verbosity: &[&str], rust_log: Option<&str>, secrets: &[&str]) {
    let incidents = site.ndjson("incidents.ndjson", &incidents("INC", 3));
    let reviews = site.ndjson("reviews.ndjson", &[review("PIR-1", "INC-0")]);
    let ids = site.file("ids.txt", "INC-2\n");
    let installation = site.emulator().installation();
    let wrong_secret = "wrong-secret-0123456789abcdef";

    let runs: Vec<(&str, Vec<String>)> = vec![
        (
            "submit incidents --wait",
            vec![
                "submit".into(),
                "incidents".into(),
                "--wait".into(),
                "--property".into(),
                "k=v".into(),
                incidents.display().to_string(),
            ],
        ),
        (
            "submit reviews --json",
            vec![
                "submit".into(),
                "reviews".into(),
                "--json".into(),
                reviews.display().to_string(),
            ],
        ),
        (
            "get incident",
            vec!["get".into(), "incident".into(), "INC-0".into()],
        ),
        (
            "get review (missing)",
            vec!["get".into(), "review".into(), "NOPE".into()],
        ),
        (
            "delete --wait",
            vec![
                "delete".into(),
                "incident".into(),
                "INC-1".into(),
                "--wait".into(),
            ],
        ),
        (
            "delete-by-property --wait-for",
            vec![
                "delete-by-property".into(),
                "k=v".into(),
                "--wait-for".into(),
                ids.display().to_string(),
            ],
        ),
        (
            "workspaces link",
            vec!["workspaces".into(), "link".into(), "ws-1".into()],
        ),
        ("workspaces list", vec!["workspaces".into(), "list".into()]),
        (
            "workspaces unlink --wait",
            vec![
                "workspaces".into(),
                "unlink".into(),
                "ws-1".into(),
                "--wait".into(),
            ],
        ),
    ];
    let mut logged = String::new();
    for (what, args) in runs {
        let mut command = site.cmd();
        command.args(verbosity).args(&args);
        if let Some(filter) = rust_log {
            command.env("RUST_LOG", filter);
        }
        let out = command.output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_nothing_secret(what, &text, secrets);
        logged.push_str(&text);
    }
    // The runs said something worth searching: at -vv, the requests' debug events.
    assert!(
        logged.contains("incidents: 3 records: 3 accepted"),
        "{logged}"
    );
    if !verbosity.is_empty() {
        assert!(
            logged.contains("DEBUG") && logged.contains("get_incident_by_id"),
            "{logged}"
        );
    }
    if rust_log == Some("trace") {
        assert!(logged.contains("TRACE"), "{logged}");
    }

    // A refused secret, passed as a flag, and a configuration error with the secret set.
    let refused = jira_ops()
        .args(verbosity)
        .args([
            "--base-url",
            &installation.base_url,
            "--app-key",
            &installation.key,
        ])
        .args(["--shared-secret", wrong_secret, "submit", "incidents"])
        .arg(&incidents)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&refused.stdout),
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(text.contains("(401)"), "{text}");
    assert_nothing_secret(
        "a refused secret",
        &text,
        &[secrets, &[wrong_secret]].concat(),
    );

    let unusable = jira_ops()
        .args(verbosity)
        .args(["--shared-secret", wrong_secret, "get", "incident", "INC-0"])
        .output()
        .unwrap();
    assert_eq!(unusable.status.code(), Some(2));
    assert_nothing_secret(
        "a configuration error",
        &String::from_utf8_lossy(&unusable.stderr),
        &[wrong_secret],
    );
}

#[test]
fn nothing_secret_is_printed_at_the_default_verbosity() {
    let site = Site::start();
    let secret = site.secret();
    run_all(&site, &[], None, &[&secret]);
}

#[test]
fn nothing_secret_is_printed_with_vv() {
    let site = Site::start();
    let secret = site.secret();
    run_all(&site, &["-vv"], None, &[&secret]);
}

#[test]
fn nothing_secret_is_printed_with_rust_log_trace() {
    let site = Site::start();
    let secret = site.secret();
    run_all(&site, &["-vv"], Some("trace"), &[&secret]);
}

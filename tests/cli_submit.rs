//! `jira-ops submit` as users run it: inputs good and bad, the report, `--wait`, exit codes.

#![cfg(feature = "cli")]

mod cli_support;

use std::time::Duration;

use cli_support::*;
use jira_operations::emulator::EmulatorConfig;
use predicates::prelude::*;
use predicates::str::contains;
use serde_json::{Value, json};

#[test]
fn submitting_valid_incidents_stores_them_and_exits_0() {
    let site = Site::start();
    let file = site.ndjson("incidents.ndjson", &incidents("INC", 3));

    site.cmd()
        .args(["submit", "incidents"])
        .arg(&file)
        .assert()
        .success()
        .stdout(contains(
            "incidents: 3 records: 3 accepted, 0 failed, 0 rejected before sending, 0 unconfirmed",
        ));

    let ids = site.state().ids.unwrap().incidents;
    assert_eq!(ids, ["INC-0", "INC-1", "INC-2"]);
}

#[test]
fn the_committed_postmortem_files_go_through_whole() {
    let site = Site::start();
    for (kind, file, flag) in [
        ("incidents", "postmortem-incidents.ndjson", None),
        ("reviews", "postmortem-reviews.ndjson", Some("--wait")),
    ] {
        site.cmd()
            .args(["submit", kind])
            .arg(root().join("examples/data").join(file))
            .args(flag)
            .assert()
            .success()
            .stdout(contains(format!("{kind}: 242 records: 242 accepted")));
    }
    let state = site.state();
    assert_eq!((state.incidents, state.reviews), (242, 242));
}

#[test]
fn reviews_without_wait_are_unconfirmed_exit_1_and_the_summary_says_to_use_wait() {
    let site = Site::start();
    let file = site.ndjson(
        "reviews.ndjson",
        &[review("PIR-1", "INC-1"), review("PIR-2", "INC-2")],
    );

    let assert = site
        .cmd()
        .args(["submit", "reviews"])
        .arg(&file)
        .assert()
        .code(1)
        .stdout(contains(
            "0 accepted, 0 failed, 0 rejected before sending, 2 unconfirmed",
        ));
    let (stdout, _) = output(&assert);
    assert!(
        stdout.contains("Jira's answer never lists reviews") && stdout.contains("--wait"),
        "the summary should say why reviews are unconfirmed and what to do:\n{stdout}"
    );

    // They were sent and stored all the same.
    assert_eq!(site.state().reviews, 2);
}

#[test]
fn wait_confirms_reviews_and_incidents_behind_a_visibility_delay() {
    let site =
        Site::with(EmulatorConfig::default().with_visibility_delay(Duration::from_millis(300)));
    let reviews = site.ndjson(
        "reviews.ndjson",
        &[review("PIR-1", "INC-1"), review("PIR-2", "INC-2")],
    );
    let incidents = site.ndjson("incidents.ndjson", &incidents("INC", 2));

    let assert = site
        .cmd()
        .args(["submit", "reviews", "--wait", "--json"])
        .arg(&reviews)
        .assert()
        .success();
    let report = report(&assert);
    assert_eq!(ids(&report, "accepted"), ["PIR-1", "PIR-2"]);
    assert!(ids(&report, "unconfirmed").is_empty());
    assert_eq!(
        site.state().reviews,
        2,
        "--wait returned before they were stored"
    );

    site.cmd()
        .args(["submit", "incidents", "--wait"])
        .arg(&incidents)
        .assert()
        .success()
        .stdout(contains(
            "2 accepted, 0 failed, 0 rejected before sending, 0 unconfirmed",
        ))
        .stderr(contains("in all with the wait"));
    assert_eq!(
        site.state().incidents,
        2,
        "--wait returned before they were stored"
    );
}

#[test]
fn without_wait_submit_returns_before_jira_applies_the_change() {
    let site = Site::with(EmulatorConfig::default().with_visibility_delay(Duration::from_secs(2)));
    let file = site.ndjson("incidents.ndjson", &incidents("INC", 2));

    site.cmd()
        .args(["submit", "incidents"])
        .arg(&file)
        .assert()
        .success();
    let state = site.state();
    assert_eq!(
        (state.incidents, state.pending_operations),
        (0, 1),
        "accepted (202) but not applied yet"
    );
}

#[test]
fn wait_that_times_out_reports_the_records_unconfirmed_and_exits_1() {
    let site = Site::with(EmulatorConfig::default().with_visibility_delay(Duration::from_secs(30)));
    let file = site.ndjson("incidents.ndjson", &incidents("INC", 2));

    let assert = site
        .cmd()
        .args([
            "submit",
            "incidents",
            "--wait",
            "--wait-timeout",
            "1",
            "--json",
        ])
        .arg(&file)
        .assert()
        .code(1)
        .stderr(contains("not everything was stored in time"));
    let report = report(&assert);
    assert!(ids(&report, "accepted").is_empty());
    assert_eq!(ids(&report, "unconfirmed"), ["INC-0", "INC-1"]);
    // Each says why: Jira accepted it, and it was not there when read back.
    for sent in report["unconfirmed"].as_array().unwrap() {
        assert_eq!(
            sent["reason"], "accepted, but not read back within 1s (last seen: missing)",
            "{sent}"
        );
    }
}

#[test]
fn some_rejected_exits_1_and_allow_partial_exits_0() {
    let site = Site::start();
    let mut long = incident("LONG");
    long["summary"] = json!("x".repeat(300));
    let file = site.ndjson("mixed.ndjson", &[incident("OK-1"), long]);

    site.cmd()
        .args(["submit", "incidents"])
        .arg(&file)
        .assert()
        .code(1)
        .stdout(contains("1 accepted, 0 failed, 1 rejected before sending"));
    site.cmd()
        .args(["submit", "incidents", "--allow-partial"])
        .arg(&file)
        .assert()
        .success();
}

#[test]
fn allow_partial_still_exits_1_when_nothing_was_accepted() {
    let site = Site::start();
    let mut bad = incident("BAD");
    bad["url"] = json!("not a url");
    let file = site.ndjson("bad.ndjson", &[bad]);

    site.cmd()
        .args(["submit", "incidents", "--allow-partial"])
        .arg(&file)
        .assert()
        .code(1)
        .stdout(contains("0 accepted, 0 failed, 1 rejected before sending"));
}

#[test]
fn a_wrong_secret_fails_every_record_with_jiras_401_and_exits_1() {
    let site = Site::start();
    let file = site.ndjson("incidents.ndjson", &incidents("INC", 2));

    site.cmd()
        .args(["--shared-secret", "not-the-secret"])
        .args(["submit", "incidents", "--allow-partial"])
        .arg(&file)
        .assert()
        .code(1)
        .stdout(contains("0 accepted, 2 failed"))
        .stdout(contains("(401)"))
        .stdout(contains("shared secret"));
    assert_eq!(site.state().incidents, 0);
}

#[test]
fn json_lists_every_record_once_with_its_file_and_line_and_the_summary_goes_to_stderr() {
    let site = Site::start();
    let mut long = incident("LONG");
    long["summary"] = json!("x".repeat(300));
    let text = format!(
        "{}{{\"id\": \"CUT\", \"summary\":\n{}{}",
        ndjson(&[incident("A")]),
        ndjson(&[long]),
        ndjson(&[incident("B")]),
    );
    let file = site.file("mixed.ndjson", &text);

    let assert = site
        .cmd()
        .args(["submit", "incidents", "--json"])
        .arg(&file)
        .assert()
        .code(1);
    let report = report(&assert);
    let (_, stderr) = output(&assert);
    assert!(
        stderr.contains("incidents: 4 records: 2 accepted, 0 failed, 2 rejected before sending"),
        "{stderr}"
    );

    // Every input line in exactly one list, named by file:line, at its place in the input.
    let mut seen: Vec<(String, u64)> = Vec::new();
    for list in ["accepted", "failed", "rejected", "unconfirmed"] {
        for record in report[list].as_array().unwrap() {
            seen.push((
                record["source"].as_str().unwrap().to_string(),
                record["position"].as_u64().unwrap(),
            ));
        }
    }
    seen.sort();
    let expected: Vec<(String, u64)> = (1..=4)
        .map(|line| (at(&file, line), line as u64 - 1))
        .collect();
    assert_eq!(seen, expected);

    assert_eq!(ids(&report, "accepted"), ["A", "B"]);
    assert_eq!(report["rejected"][0]["source"], at(&file, 2));
    assert_eq!(report["rejected"][1]["id"], "LONG");
    assert_eq!(
        report["rejected"][1]["reasons"],
        json!(["summary is 300 characters long, more than 255"])
    );
}

#[test]
fn a_malformed_ndjson_line_is_named_and_the_other_lines_are_accepted() {
    let site = Site::start();
    let text = format!(
        "{}{{\"id\": \"CUT\", \"summary\": \n{}\n{{\"id\": \"SHAPE\", \"summary\": 5}}\n{}",
        ndjson(&[incident("A")]),
        ndjson(&[incident("B")]),
        ndjson(&[incident("C")]),
    );
    let file = site.file("input.ndjson", &text);

    let assert = site
        .cmd()
        .args(["submit", "incidents"])
        .arg(&file)
        .assert()
        .code(1)
        .stdout(contains(
            "incidents: 5 records: 3 accepted, 0 failed, 2 rejected before sending",
        ));
    let (stdout, _) = output(&assert);
    let cut = stdout
        .lines()
        .find(|l| l.contains(&at(&file, 2)))
        .unwrap_or_else(|| panic!("line 2 is not named:\n{stdout}"));
    assert!(cut.contains("malformed record"), "{cut}");
    let shape = stdout
        .lines()
        .find(|l| l.contains(&at(&file, 5)))
        .unwrap_or_else(|| panic!("line 5 is not named:\n{stdout}"));
    assert!(
        shape.contains("SHAPE") && shape.contains("invalid type: integer `5`, expected a string"),
        "{shape}"
    );
    // The parser's position is within the line, which must not read as a file line.
    assert!(!shape.contains("line 1"), "{shape}");

    assert_eq!(site.state().ids.unwrap().incidents, ["A", "B", "C"]);
}

#[test]
fn a_json_array_element_of_the_wrong_shape_is_named_and_the_others_are_accepted() {
    let site = Site::start();
    let mut shape = incident("SHAPE");
    shape["severity"] = json!("high");
    let elements: Vec<String> = [incident("A"), shape, incident("B")]
        .iter()
        .map(|v| serde_json::to_string(v).unwrap())
        .collect();
    let file = site.file("input.json", &format!("[\n{}\n]\n", elements.join(",\n")));

    let assert = site
        .cmd()
        .args(["submit", "incidents", "--json"])
        .arg(&file)
        .assert()
        .code(1);
    let report = report(&assert);
    assert_eq!(ids(&report, "accepted"), ["A", "B"]);
    assert_eq!(ids(&report, "rejected"), ["SHAPE"]);
    assert_eq!(report["rejected"][0]["source"], at(&file, 3));
    let reason = report["rejected"][0]["reasons"][0].as_str().unwrap();
    assert!(reason.starts_with("malformed record: "), "{reason}");
    assert_eq!(site.state().incidents, 2);
}

#[test]
fn an_object_spread_over_lines_in_an_ndjson_file_is_named_as_such_and_the_rest_go_on() {
    let site = Site::start();
    let spread = serde_json::to_string_pretty(&incident("SPREAD")).unwrap();
    let text = format!(
        "{}\n{spread}\n{}\n",
        serde_json::to_string(&incident("A")).unwrap(),
        serde_json::to_string(&incident("B")).unwrap()
    );
    let file = site.file("mixed.ndjson", &text);

    let assert = site
        .cmd()
        .args(["submit", "incidents", "--json"])
        .arg(&file)
        .assert()
        .code(1);
    let report = report(&assert);
    assert_eq!(ids(&report, "accepted"), ["A", "B"]);
    let rejected = report["rejected"].as_array().unwrap();
    assert_eq!(
        rejected.len(),
        spread.lines().count(),
        "each line is a record"
    );
    assert_eq!(rejected[0]["source"], at(&file, 2));
    let reason = rejected[0]["reasons"][0].as_str().unwrap();
    assert!(
        reason.contains("if this line starts an object spread over lines")
            && reason.contains("as its first record (line 1) is"),
        "{reason}"
    );
    let hinted = rejected
        .iter()
        .filter(|r| {
            r["reasons"][0]
                .as_str()
                .unwrap()
                .contains("spread over lines")
        })
        .count();
    assert_eq!(hinted, 1, "only the object's first line is named so");
}

#[test]
fn pretty_printed_input_names_the_line_where_each_record_starts() {
    let site = Site::start();
    let a = incident("A");
    let lines_of_a = serde_json::to_string_pretty(&a).unwrap().lines().count();
    let mut shape = incident("SHAPE");
    shape["severity"] = json!("high");

    // A pretty-printed array (`[` on line 1, each element over several lines).
    let array = site.file(
        "array.json",
        &serde_json::to_string_pretty(&json!([a, shape, incident("B")])).unwrap(),
    );
    let assert = site
        .cmd()
        .args(["submit", "incidents", "--json"])
        .arg(&array)
        .assert()
        .code(1);
    let first = report(&assert);
    assert_eq!(ids(&first, "accepted"), ["A", "B"]);
    assert_eq!(first["accepted"][0]["source"], at(&array, 2));
    assert_eq!(first["rejected"][0]["source"], at(&array, 2 + lines_of_a));

    // Pretty-printed objects one after another, as `jq` writes them.
    let sequence: String = [incident("C"), incident("D")]
        .iter()
        .map(|v| format!("{}\n", serde_json::to_string_pretty(v).unwrap()))
        .collect();
    let sequence = site.file("objects.json", &sequence);
    let assert = site
        .cmd()
        .args(["submit", "incidents", "--json"])
        .arg(&sequence)
        .assert()
        .success();
    let report = report(&assert);
    assert_eq!(ids(&report, "accepted"), ["C", "D"]);
    assert_eq!(
        report["accepted"][1]["source"],
        at(&sequence, 1 + lines_of_a)
    );

    assert_eq!(site.state().ids.unwrap().incidents, ["A", "B", "C", "D"]);
}

#[test]
fn a_syntax_error_in_a_json_array_stops_with_a_warning_naming_the_line_after_sending_what_came_before()
 {
    let site = Site::start();
    let before: Vec<String> = [incident("A"), incident("B")]
        .iter()
        .map(|v| serde_json::to_string(v).unwrap())
        .collect();
    let after = serde_json::to_string(&incident("C")).unwrap();
    let file = site.file(
        "input.json",
        &format!(
            "[\n{},\n{{\"id\": oops}},\n{after}\n]\n",
            before.join(",\n")
        ),
    );

    let assert = site
        .cmd()
        .args(["submit", "incidents", "--allow-partial"])
        .arg(&file)
        .assert()
        .code(1)
        .stdout(contains("incidents: 2 records: 2 accepted"));
    let (stdout, _) = output(&assert);
    let warning = stdout
        .lines()
        .find(|l| l.starts_with("warning: input stopped early"))
        .unwrap_or_else(|| panic!("no warning:\n{stdout}"));
    assert!(warning.contains(&format!("{}:", at(&file, 4))), "{warning}");
    assert!(warning.ends_with("are in no list"), "{warning}");
    assert_eq!(site.state().ids.unwrap().incidents, ["A", "B"]);

    // With --json, where the input stopped is a field of its own.
    let assert = site
        .cmd()
        .args(["submit", "incidents", "--json"])
        .arg(&file)
        .assert()
        .code(1);
    let report = report(&assert);
    assert_eq!(
        report["input_stopped"],
        json!({"source": at(&file, 4), "reason": "expected value at column 8"})
    );
    assert_eq!(ids(&report, "accepted"), ["A", "B"]);
}

#[test]
fn invalid_records_are_rejected_with_their_reasons_and_lines_and_the_others_accepted() {
    let site = Site::start();
    let mut long = incident("LONG");
    long["summary"] = json!("x".repeat(300));
    let mut bad_url = incident("BADURL");
    bad_url["url"] = json!("not a url");
    let file = site.ndjson("input.ndjson", &[long, incident("OK"), bad_url]);

    let assert = site
        .cmd()
        .args(["submit", "incidents", "--json"])
        .arg(&file)
        .assert()
        .code(1);
    let report = report(&assert);
    assert_eq!(ids(&report, "accepted"), ["OK"]);
    let rejected = report["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 2);
    assert_eq!(rejected[0]["id"], "LONG");
    assert_eq!(rejected[0]["source"], at(&file, 1));
    assert_eq!(
        rejected[0]["reasons"],
        json!(["summary is 300 characters long, more than 255"])
    );
    assert_eq!(rejected[1]["id"], "BADURL");
    assert_eq!(rejected[1]["source"], at(&file, 3));
    let reason = rejected[1]["reasons"][0].as_str().unwrap();
    assert!(reason.contains("url `not a url` is not a URI"), "{reason}");
    assert_eq!(site.state().ids.unwrap().incidents, ["OK"]);
}

#[test]
fn standard_input_is_read_with_a_dash_or_no_file() {
    let site = Site::start();
    for (args, prefix) in [
        (&["submit", "incidents", "-"][..], "DASH"),
        (&["submit", "incidents"][..], "NONE"),
    ] {
        let assert = site
            .cmd()
            .args(args)
            .arg("--json")
            .write_stdin(ndjson(&incidents(prefix, 2)))
            .assert()
            .success();
        let report = report(&assert);
        assert_eq!(report["accepted"][1]["source"], "<stdin>:2");
    }
    assert_eq!(
        site.state().ids.unwrap().incidents,
        ["DASH-0", "DASH-1", "NONE-0", "NONE-1"]
    );
}

#[test]
fn an_empty_input_sends_nothing_and_says_so() {
    let site = Site::start();
    let file = site.file("empty.ndjson", "\n\n");

    site.cmd()
        .args(["submit", "incidents"])
        .arg(&file)
        .assert()
        .success()
        .stdout(contains("incidents: 0 records"))
        .stdout(contains("warning: the input holds no records"));
    assert_eq!(site.state().requests_by_status.values().sum::<u64>(), 0);
}

/// Ten times the reader's channel depth and ten requests' worth. (Twenty thousand take some
/// 7 s in a debug build on two cores; this keeps the test within the CI budget and proves the
/// same: input streams through, and every record is accounted for.)
#[test]
fn ten_thousand_synthetic_incidents_go_through_in_ten_requests() {
    let site = Site::start();
    let path = site.dir.path().join("synthetic.ndjson");
    let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    jira_operations::demo::synthetic::Generator::new(7)
        .write_ndjson(10_000, file)
        .unwrap();

    site.cmd()
        .args(["submit", "incidents", "--concurrency", "2"])
        .arg(&path)
        .timeout(Duration::from_secs(60))
        .assert()
        .success()
        .stdout(contains(
            "incidents: 10000 records: 10000 accepted, 0 failed, 0 rejected before sending, 0 unconfirmed (10 requests, 0 retries)",
        ));
    assert_eq!(site.state().incidents, 10_000);
}

#[test]
fn flags_and_environment_variables_can_replace_the_installation_file() {
    let site = Site::start();
    let installation = site.emulator().installation();
    let file = site.ndjson("incidents.ndjson", &incidents("FLAG", 1));

    jira_ops()
        .args(["--base-url", &installation.base_url])
        .args(["--app-key", &installation.key])
        .args(["--client-key", &installation.client_key])
        .args(["--shared-secret", &installation.shared_secret])
        .args(["submit", "incidents"])
        .arg(&file)
        .assert()
        .success();

    let file = site.ndjson("more.ndjson", &incidents("ENV", 1));
    jira_ops()
        .env("JIRA_OPS_BASE_URL", &installation.base_url)
        .env("JIRA_OPS_APP_KEY", &installation.key)
        .env("JIRA_OPS_SHARED_SECRET", &installation.shared_secret)
        .args(["submit", "incidents"])
        .arg(&file)
        .assert()
        .success();

    assert_eq!(site.state().ids.unwrap().incidents, ["ENV-0", "FLAG-0"]);
}

/// `jira-ops --installation INSTALLATION submit incidents RECORDS`, to which more flags can
/// be added: they are read after the file as well.
fn submit_incidents(
    installation: &std::path::Path,
    records: &std::path::Path,
) -> assert_cmd::Command {
    let mut command = jira_ops();
    command
        .arg("--installation")
        .arg(installation)
        .args(["submit", "incidents"])
        .arg(records);
    command
}

#[test]
fn an_installation_file_wins_over_variables_left_from_another_site_and_says_so() {
    let site = Site::start();
    let other = Site::start();
    let elsewhere = other.emulator().installation();
    let file = site.ndjson("incidents.ndjson", &incidents("FILE", 1));

    site.cmd()
        .env("JIRA_OPS_BASE_URL", &elsewhere.base_url)
        .env("JIRA_OPS_SHARED_SECRET", &elsewhere.shared_secret)
        .args(["submit", "incidents"])
        .arg(&file)
        .assert()
        .success()
        .stderr(contains("warning: JIRA_OPS_BASE_URL is set but not used"))
        .stderr(contains(
            "warning: JIRA_OPS_SHARED_SECRET is set but not used",
        ))
        .stderr(contains(&elsewhere.shared_secret).not());
    assert_eq!(site.state().incidents, 1);
    assert_eq!(other.state().incidents, 0, "nothing went to the other site");

    // A flag still wins over the file.
    let file = other.ndjson("more.ndjson", &incidents("FLAG", 1));
    site.cmd()
        .args(["--base-url", &elsewhere.base_url])
        .args(["--shared-secret", &elsewhere.shared_secret])
        .args(["submit", "incidents"])
        .arg(&file)
        .assert()
        .success();
    assert_eq!(other.state().incidents, 1);
}

#[test]
fn an_installation_file_without_a_secret_is_named_in_the_error() {
    let site = Site::start();
    let installation: Value =
        serde_json::from_str(&std::fs::read_to_string(&site.installation).unwrap()).unwrap();
    let secret = installation["sharedSecret"].as_str().unwrap().to_string();
    let records = site.ndjson("incidents.ndjson", &incidents("INC", 1));

    let mut blank = installation.clone();
    blank["sharedSecret"] = "   ".into();
    let mut left_out = installation.clone();
    left_out.as_object_mut().unwrap().remove("sharedSecret");
    for (name, edited) in [("blank.json", &blank), ("left-out.json", &left_out)] {
        let file = site.file(name, &edited.to_string());
        submit_incidents(&file, &records)
            .assert()
            .code(2)
            .stderr(contains(format!(
                "{}: no sharedSecret (put it in the file, or give --shared-secret",
                file.display()
            )));

        // What the file leaves out, a flag can give.
        submit_incidents(&file, &records)
            .args(["--shared-secret", &secret])
            .assert()
            .success();
    }
}

#[test]
fn without_an_installation_the_usage_error_names_the_flags() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("incidents.ndjson");
    std::fs::write(&file, ndjson(&incidents("INC", 1))).unwrap();

    jira_ops()
        .args(["submit", "incidents"])
        .arg(&file)
        .assert()
        .code(2)
        .stdout("")
        .stderr(contains("--installation FILE"))
        .stderr(contains("--base-url, --app-key, --shared-secret"));

    jira_ops()
        .args(["--base-url", "http://127.0.0.1:9", "submit", "incidents"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(contains("--app-key, --shared-secret").and(contains("--base-url,").not()));
}

#[test]
fn an_input_that_cannot_be_read_is_a_usage_error_naming_it() {
    let site = Site::start();
    let missing = site.dir.path().join("missing.ndjson");
    site.cmd()
        .args(["submit", "incidents"])
        .arg(&missing)
        .assert()
        .code(2)
        .stderr(contains(missing.display().to_string()));

    site.cmd()
        .args(["submit", "incidents"])
        .arg(site.dir.path())
        .assert()
        .code(2)
        .stderr(contains(format!(
            "{}: is a directory",
            site.dir.path().display()
        )));
    assert_eq!(site.state().requests_by_status.values().sum::<u64>(), 0);
}

#[test]
fn an_installation_file_that_cannot_be_read_or_parsed_is_a_usage_error_naming_it() {
    let site = Site::start();
    let file = site.ndjson("incidents.ndjson", &incidents("INC", 1));
    let missing = site.dir.path().join("nowhere.json");
    submit_incidents(&missing, &file)
        .assert()
        .code(2)
        .stderr(contains(missing.display().to_string()));

    for text in ["{\"key\": 5}", "[1]", "{oops"] {
        let broken = site.file("broken.json", text);
        submit_incidents(&broken, &file)
            .assert()
            .code(2)
            .stderr(contains(broken.display().to_string()).and(contains("not an installation")));
    }

    let partial = site.file("partial.json", "{\"key\": \"k\"}");
    submit_incidents(&partial, &file)
        .assert()
        .code(2)
        .stderr(contains(format!(
            "{}: no baseUrl, sharedSecret",
            partial.display()
        )));
}

#[test]
fn out_of_range_sending_flags_are_usage_errors_and_nothing_is_sent() {
    let site = Site::start();
    let file = site.ndjson("incidents.ndjson", &incidents("INC", 2));
    for (flag, value, message) in [
        ("--batch-size", "0", "0 is not in 1..=1000"),
        ("--batch-size", "1001", "1001 is not in 1..=1000"),
        ("--concurrency", "0", "0 is not in 1..=64"),
        ("--max-request-bytes", "10", "10 is not in 1024.."),
        ("--timeout", "0", "0 is not in 1.."),
    ] {
        site.cmd()
            .args(["submit", "incidents", flag, value])
            .arg(&file)
            .assert()
            .code(2)
            .stderr(contains(format!("invalid value '{value}' for '{flag}")))
            .stderr(contains(message));
    }
    assert_eq!(site.state().requests_by_status.values().sum::<u64>(), 0);
}

#[test]
fn a_bad_property_is_a_usage_error_and_nothing_is_sent() {
    let site = Site::start();
    let file = site.ndjson("incidents.ndjson", &incidents("INC", 1));
    for (property, message) in [
        ("team", "`team` is not key=value"),
        ("=x", "`=x` is not key=value"),
        ("_hidden=1", "property key `_hidden` starts with `_`"),
        ("a:b=1", "property key `a:b` contains `:`"),
    ] {
        site.cmd()
            .args(["submit", "incidents", "--property", property])
            .arg(&file)
            .assert()
            .code(2)
            .stderr(contains(message));
    }
    site.cmd()
        .args([
            "submit",
            "incidents",
            "--property",
            "a=1",
            "--property",
            "a=2",
        ])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(contains("--property `a` is given twice"));
    let six: Vec<String> = (0..6).map(|i| format!("--property=k{i}=v")).collect();
    site.cmd()
        .args(["submit", "incidents"])
        .args(&six)
        .arg(&file)
        .assert()
        .code(2)
        .stderr(contains("properties has 6 entries, more than 5"));
    assert_eq!(site.state().requests_by_status.values().sum::<u64>(), 0);
}

#[test]
fn submit_help_explains_the_exit_codes_and_why_reviews_need_wait() {
    let assert = jira_ops().args(["submit", "--help"]).assert().success();
    let (stdout, _) = output(&assert);
    assert!(stdout.contains("Exit codes"), "{stdout}");
    assert!(
        stdout.contains("reviews") && stdout.contains("--wait"),
        "{stdout}"
    );
}

#[test]
fn properties_are_sent_with_every_request() {
    let site = Site::start();
    let file = site.ndjson("incidents.ndjson", &incidents("INC", 3));
    site.cmd()
        .args(["submit", "incidents", "--batch-size", "1"])
        .args(["--property", "team=payments", "--property", "run=42"])
        .arg(&file)
        .assert()
        .success()
        .stdout(contains("(3 requests, 0 retries)"));

    // They carry both properties: a delete naming both removes all three.
    let installation = site.emulator().installation();
    let client = jira_operations::OperationsClient::new(installation).unwrap();
    site.block_on(client.delete_by_properties(&[("team", "payments"), ("run", "42")]))
        .unwrap();
    assert_eq!(site.state().incidents, 0);
}

/// Reports are JSON whose records parse back into the library's report type.
#[test]
fn the_json_report_is_the_librarys_submit_report() {
    let site = Site::start();
    let file = site.ndjson("incidents.ndjson", &incidents("INC", 2));
    let assert = site
        .cmd()
        .args(["submit", "incidents", "--json"])
        .arg(&file)
        .assert()
        .success();
    let value: Value = report(&assert);
    let parsed: jira_operations::SubmitReport = serde_json::from_value(value).unwrap();
    assert_eq!(parsed.accepted.len(), 2);
    assert_eq!(parsed.requests_sent, 1);
}

/// The README's `json` blocks, as written there.
fn readme_records() -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match (&mut current, line) {
            (None, "```json") => current = Some(String::new()),
            (Some(text), "```") => {
                blocks.push(std::mem::take(text));
                current = None;
            }
            (Some(text), line) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn the_readme_records_pasted_into_files_as_written_are_stored() {
    let site = Site::start();
    let blocks = readme_records();
    assert_eq!(blocks.len(), 2, "an incident and a review");

    for (kind, text) in [("incidents", &blocks[0]), ("reviews", &blocks[1])] {
        let file = site.file(&format!("{kind}.json"), text);
        site.cmd()
            .args(["submit", kind, "--wait"])
            .arg(&file)
            .assert()
            .success()
            .stdout(contains("1 accepted").or(contains("1 confirmed")));
    }
    let ids = site.state().ids.unwrap();
    assert_eq!(ids.incidents, ["INC-42"]);
    assert_eq!(ids.reviews, ["PIR-42"]);
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_reading_finishes_what_is_in_flight_and_prints_the_account() {
    // Slow answers, so that the interrupt comes while requests are in flight.
    let faults = "latency=400ms,seed=1".parse().unwrap();
    let site = Site::with(EmulatorConfig::default().with_faults(faults));
    let file = site.ndjson("many.ndjson", &incidents("INC", 20_000));

    let child = std::process::Command::new(env!("CARGO_BIN_EXE_jira-ops"))
        .arg("--installation")
        .arg(&site.installation)
        .args(["submit", "incidents", "--json", "--batch-size", "100"])
        .arg(&file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once some requests have arrived, interrupt.
    let started = std::time::Instant::now();
    while site.emulator().state().requests_by_status.is_empty() && site.state().incidents == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no request arrived"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(100));
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());

    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted: reading and waiting stop here"),
        "{stderr}"
    );

    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["input_stopped"]["reason"], "interrupted (Ctrl-C)");
    let after = report["input_stopped"]["source"].as_str().unwrap();
    let last_line: usize = after.rsplit(':').next().unwrap().parse().unwrap();
    // Every record read up to the interrupt is accounted for, and nothing after it.
    let counted = ["accepted", "failed", "rejected", "unconfirmed"]
        .iter()
        .map(|list| report[list].as_array().unwrap().len())
        .sum::<usize>();
    assert_eq!(counted, last_line, "{stdout}");
    assert!(
        last_line < 20_000,
        "the interrupt came after the whole file was read"
    );
    assert_eq!(
        ids(&report, "accepted").len() as u64,
        site.state().incidents as u64,
        "what the emulator stored is what the report calls accepted"
    );
}

/// Starts `jira-ops submit` with `args` against `site` and sends it SIGINT, `times` times,
/// once the emulator has answered a request. Returns the exit code, stdout and stderr, and
/// how long the command ran after the first SIGINT.
#[cfg(unix)]
fn interrupt_submit(
    site: &Site,
    args: &[&str],
    times: usize,
) -> (Option<i32>, String, String, Duration) {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_jira-ops"))
        .arg("--installation")
        .arg(&site.installation)
        .arg("submit")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while site.emulator().state().requests_by_status.is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no request arrived"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let interrupted_at = std::time::Instant::now();
    for _ in 0..times {
        let sent = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        std::thread::sleep(Duration::from_millis(200));
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
        interrupted_at.elapsed(),
    )
}

#[cfg(unix)]
#[test]
fn ctrl_c_during_wait_stops_it_and_prints_the_report_as_jira_answered() {
    let site = Site::with(EmulatorConfig::default().with_visibility_delay(Duration::from_secs(60)));
    let file = site.ndjson("incidents.ndjson", &incidents("INC", 3));
    let file = file.to_str().unwrap();

    let (code, stdout, stderr, took) =
        interrupt_submit(&site, &["incidents", "--wait", "--json", file], 1);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(took < Duration::from_secs(10), "the wait went on: {took:?}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(ids(&report, "accepted"), ["INC-0", "INC-1", "INC-2"]);
    assert!(
        report["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().starts_with("--wait was interrupted")),
        "{stdout}"
    );
}

#[cfg(unix)]
#[test]
fn a_second_ctrl_c_quits_at_once_while_requests_are_still_retried() {
    // Every request is answered 429 with a long Retry-After, so the submission would go on
    // retrying for minutes after the whole input was read.
    let faults = "429=100%,retry-after=30,seed=1".parse().unwrap();
    let site = Site::with(EmulatorConfig::default().with_faults(faults));
    let file = site.ndjson("incidents.ndjson", &incidents("INC", 3));

    let (code, stdout, stderr, took) =
        interrupt_submit(&site, &["incidents", file.to_str().unwrap()], 2);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(took < Duration::from_secs(10), "it kept retrying: {took:?}");
    assert_eq!(stdout, "", "no report after the second Ctrl-C");
    assert!(stderr.contains("Ctrl-C again quits at once"), "{stderr}");
}

#[test]
fn an_input_that_cannot_be_read_at_all_exits_2_and_sends_nothing() {
    let site = Site::start();
    for (name, bytes) in [
        ("utf16.json", b"\xFF\xFE[\x00{\x00".to_vec()),
        ("broken.json", b"[oops".to_vec()),
    ] {
        let file = site.file(name, "");
        std::fs::write(&file, bytes).unwrap();
        site.cmd()
            .args(["submit", "incidents"])
            .arg(&file)
            .assert()
            .code(2)
            .stdout(contains("input stopped early"));
    }
    assert_eq!(site.state().requests_by_status.values().sum::<u64>(), 0);
}

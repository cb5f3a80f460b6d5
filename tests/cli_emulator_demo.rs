//! `jira-ops emulator | demo | generate | convert-postmortems` as users run them.

#![cfg(feature = "cli")]

mod cli_support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cli_support::*;
use jira_operations::Installation;
use predicates::str::contains;
use serde_json::json;

/// A `jira-ops emulator` child process, killed when dropped (a failing test leaves no orphan),
/// with its stdout lines arriving on a channel and its stderr collected.
struct EmulatorProcess {
    child: Child,
    lines: mpsc::Receiver<String>,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl EmulatorProcess {
    /// Runs `jira-ops ARGS` (ARGS starting with `emulator`) in `dir`.
    fn spawn<S: AsRef<std::ffi::OsStr>>(args: &[S], dir: &std::path::Path) -> Self {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_jira-ops"))
            .args(args)
            .current_dir(dir)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read as it comes, so that a chatty emulator never blocks on a full pipe.
        let mut stderr = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
            text
        });
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            stderr: Some(stderr),
        }
    }

    /// Kills the process and returns everything it wrote to stderr.
    fn kill_and_read_stderr(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let stderr = self.stderr.take().unwrap();
        stderr.join().unwrap()
    }

    /// The next stdout line that starts with `prefix` (within 20 s), without it.
    fn line_after(&self, prefix: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return rest.to_string();
                    }
                }
                Err(e) => panic!("no line starting with {prefix:?}: {e}"),
            }
        }
    }

    /// Waits up to 10 s for the process to end on its own.
    fn wait_for_exit(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the emulator did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_emulator_command_serves_until_ctrl_c_and_its_installation_file_signs_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let installation_file = dir.path().join("emulator.json");
    let mut emulator = EmulatorProcess::spawn(
        &[
            "emulator",
            "--port",
            "0",
            "--delay",
            "500",
            "--project-key",
            "OPS",
            "--installation-out",
            installation_file.to_str().unwrap(),
        ],
        dir.path(),
    );

    let url = emulator.line_after("Operations API emulator listening on ");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert_ne!(url, "http://127.0.0.1:0");
    let written = emulator.line_after("Installation written to ");
    assert!(written.contains("--installation"), "{written}");
    let installation: Installation =
        serde_json::from_str(&std::fs::read_to_string(&installation_file).unwrap()).unwrap();
    assert_eq!(installation.base_url, url);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&installation_file)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the file holds a secret: owner only");
    }

    // Submits become visible after --delay; --wait waits for them.
    let mut unknown = incident("ELSEWHERE-1");
    unknown["associations"] = json!([{"associationType": "issueIdOrKeys", "values": ["ZZZ-1"]}]);
    let input = dir.path().join("incidents.ndjson");
    std::fs::write(&input, ndjson(&[incident("INC-1"), unknown])).unwrap();
    jira_ops()
        .arg("--installation")
        .arg(&installation_file)
        .args(["submit", "incidents"])
        .arg(&input)
        .assert()
        .code(1)
        .stdout(contains(
            "1 accepted, 0 failed, 0 rejected before sending, 1 unconfirmed",
        ))
        .stdout(contains("unknown project keys: ZZZ"));
    jira_ops()
        .arg("--installation")
        .arg(&installation_file)
        .args(["get", "incident", "INC-1"])
        .assert()
        .code(1);

    let input = dir.path().join("more.ndjson");
    std::fs::write(&input, ndjson(&[incident("INC-2")])).unwrap();
    jira_ops()
        .arg("--installation")
        .arg(&installation_file)
        .args(["submit", "incidents", "--wait"])
        .arg(&input)
        .assert()
        .success();
    for id in ["INC-1", "INC-2"] {
        jira_ops()
            .arg("--installation")
            .arg(&installation_file)
            .args(["get", "incident", id])
            .assert()
            .success()
            .stdout(contains(format!("\"id\": \"{id}\"")));
    }

    // Ctrl-C stops it cleanly.
    #[cfg(unix)]
    {
        let interrupted = std::process::Command::new("kill")
            .args(["-INT", &emulator.child.id().to_string()])
            .status()
            .unwrap();
        assert!(interrupted.success());
        assert!(emulator.wait_for_exit().success());
    }
}

/// The `jira-ops` lines of the README's `sh` blocks, as argument lists.
fn readme_commands() -> Vec<Vec<String>> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut in_sh = false;
    let mut commands = Vec::new();
    for line in readme.lines() {
        if let Some(lang) = line.strip_prefix("```") {
            in_sh = lang == "sh";
        } else if in_sh && let Some(args) = line.strip_prefix("jira-ops ") {
            commands.push(args.split_whitespace().map(str::to_string).collect());
        }
    }
    commands
}

#[test]
fn the_emulator_command_warns_on_stderr_when_other_machines_can_reach_it() {
    let dir = tempfile::tempdir().unwrap();
    for (bind, reachable) in [("0.0.0.0", true), ("127.0.0.1", false)] {
        let emulator = EmulatorProcess::spawn(&["emulator", "--bind", bind], dir.path());
        emulator.line_after("Admin view: ");
        let stderr = emulator.kill_and_read_stderr();
        if reachable {
            for needle in [
                format!(
                    "jira-ops: warning: the emulator listens on {bind}, so other machines can reach it"
                ),
                "known shared secret".to_string(),
                "/__emulator/* admin routes (state, reset) need no authentication".to_string(),
            ] {
                assert!(stderr.contains(&needle), "{bind}: {needle}: {stderr}");
            }
        } else {
            assert_eq!(stderr, "", "{bind}");
        }
    }
}

#[test]
fn the_emulator_help_gives_every_fault_key_with_its_meaning() {
    // The keys as the parser knows them: its refusal of an unknown key lists them.
    let refused = jira_ops()
        .args(["emulator", "--faults", "no-such-key=1"])
        .output()
        .unwrap();
    let refused = String::from_utf8(refused.stderr).unwrap();
    let keys = refused
        .split_once("(expected ")
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(list, _)| list.replace(" or ", ", "))
        .unwrap_or_else(|| panic!("no list of keys: {refused}"));
    let keys: Vec<&str> = keys.split(", ").collect();
    assert!(keys.contains(&"reset-after") && keys.contains(&"retry-after"));

    let help = jira_ops().args(["emulator", "--help"]).output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for key in keys {
        let line = help
            .lines()
            .map(str::trim_start)
            .find(|line| line.starts_with(&format!("{key}=")))
            .unwrap_or_else(|| panic!("`{key}` is not in the help:\n{help}"));
        // `KEY=VALUE`, then its meaning on the same line.
        let meaning = line.split_once(char::is_whitespace).map(|(_, m)| m.trim());
        assert!(meaning.is_some_and(|m| m.len() > 10), "{line}");
    }
}

#[test]
fn the_readme_commands_work_as_written() {
    let commands = readme_commands();
    let (emulator, others) = commands.split_first().expect("the README shows commands");
    assert_eq!(
        emulator[0], "emulator",
        "the README starts the emulator first"
    );
    assert!(!others.is_empty());

    // Run from the repository root, as the README says; only the installation file the
    // emulator writes goes to a scratch directory instead of the working tree.
    let dir = tempfile::tempdir().unwrap();
    let scratch = |args: &[String]| -> Vec<String> {
        args.iter()
            .map(|a| match a.as_str() {
                "emulator.json" => dir.path().join(a).display().to_string(),
                _ => a.clone(),
            })
            .collect()
    };
    let process = EmulatorProcess::spawn(&scratch(emulator), &root());
    process.line_after("Installation written to ");

    for args in others {
        jira_ops()
            .current_dir(root())
            .args(scratch(args))
            .timeout(Duration::from_secs(60))
            .assert()
            .success();
    }
}

#[test]
fn the_emulator_command_injects_the_faults_it_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let installation_file = dir.path().join("emulator.json");
    let emulator = EmulatorProcess::spawn(
        &[
            "emulator",
            "--faults",
            "503=100%,seed=1",
            "--installation-out",
            installation_file.to_str().unwrap(),
        ],
        dir.path(),
    );
    let url = emulator.line_after("Operations API emulator listening on ");
    emulator.line_after("Installation written to ");

    jira_ops()
        .arg("--installation")
        .arg(&installation_file)
        .args(["--timeout", "2", "get", "incident", "INC-1"])
        .timeout(Duration::from_secs(30))
        .assert()
        .code(1)
        .stderr(contains(
            "jira is unavailable (503) while reading an incident",
        ));

    // The admin view is never faulted, and counts what was answered.
    let state: serde_json::Value = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async {
            reqwest::get(format!("{url}/__emulator/state"))
                .await?
                .json()
                .await
        })
        .unwrap();
    let answered_503 = state["requestsByStatus"]["503"].as_u64().unwrap_or(0);
    assert!(answered_503 >= 1, "{state}");
    assert_eq!(
        state["requestsByStatus"].as_object().unwrap().len(),
        1,
        "{state}"
    );
}

#[test]
fn site_flags_given_to_a_command_that_calls_no_site_are_usage_errors() {
    for (args, flag, command) in [
        (
            vec!["emulator", "--installation", "x.json"],
            "--installation",
            "emulator",
        ),
        (
            vec!["--base-url", "https://x.example", "demo"],
            "--base-url",
            "demo",
        ),
        (vec!["--timeout", "5", "spec", "rules"], "--timeout", "spec"),
    ] {
        jira_ops()
            .args(&args)
            .timeout(Duration::from_secs(20))
            .assert()
            .code(2)
            .stdout("")
            .stderr(format!(
                "jira-ops: {flag} is not used by `jira-ops {command}`\n"
            ));
    }
    // From the environment they are meant for every command, and ignored where unused.
    jira_ops()
        .env("JIRA_OPS_INSTALLATION", "x.json")
        .args(["spec", "rules"])
        .assert()
        .success();
}

#[test]
fn only_the_commands_that_call_a_site_list_the_site_flags_in_their_help() {
    let help = |args: &[&str]| {
        let output = jira_ops().args(args).arg("--help").output().unwrap();
        assert!(output.status.success(), "{args:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    for (args, calls_a_site) in [
        (&["submit"][..], true),
        (&["get"], true),
        (&["delete"], true),
        (&["delete-by-property"], true),
        (&["workspaces", "link"], true),
        (&["emulator"], false),
        (&["demo"], false),
        (&["generate"], false),
        (&["convert-postmortems"], false),
        (&["spec", "check"], false),
    ] {
        let text = help(args);
        for flag in [
            "--base-url",
            "--app-key",
            "--shared-secret",
            "--timeout",
            "Site (",
        ] {
            assert_eq!(
                text.contains(flag),
                calls_a_site,
                "{args:?} and {flag}:\n{text}"
            );
        }
    }
}

#[test]
fn the_emulator_command_refuses_a_taken_port_a_bad_fault_spec_and_an_unwritable_file_with_exit_2() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    jira_ops()
        .args(["emulator", "--port", &port])
        .timeout(Duration::from_secs(20))
        .assert()
        .code(2)
        .stderr(contains(format!("cannot listen on 127.0.0.1:{port}")));

    jira_ops()
        .args(["emulator", "--faults", "503=lots"])
        .timeout(Duration::from_secs(20))
        .assert()
        .code(2)
        .stderr(contains("--faults"));

    // An installation file it cannot write: it does not start.
    jira_ops()
        .args([
            "emulator",
            "--installation-out",
            "/nonexistent/dir/emulator.json",
        ])
        .timeout(Duration::from_secs(20))
        .assert()
        .code(2)
        .stdout("")
        .stderr(contains(
            "/nonexistent/dir/emulator.json: No such file or directory",
        ));
}

#[test]
fn the_demo_runs_to_the_end_and_what_is_left_is_what_it_expected() {
    let assert = jira_ops()
        .arg("demo")
        .timeout(Duration::from_secs(60))
        .assert()
        .success();
    let (stdout, stderr) = output(&assert);
    assert!(stderr.is_empty(), "{stderr}");

    let last = stdout.lines().rfind(|l| !l.is_empty()).unwrap();
    assert!(last.starts_with("done in "), "{stdout}");
    for step in 1..=7 {
        assert!(
            stdout.lines().any(|l| l.starts_with(&format!("{step}. "))),
            "step {step} is missing:\n{stdout}"
        );
    }
    assert!(stdout.contains("1. submitted 242 incidents: 242 accepted, 0 failed"));
    assert!(stdout.contains("3. confirmed stored by reading back: 484 of 484"));

    // "7. the emulator holds N incidents (expected N), M reviews (expected M), W workspaces"
    let seven = stdout.lines().find(|l| l.starts_with("7. ")).unwrap();
    let numbers: Vec<u64> = seven
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    let [
        _,
        incidents,
        expected_incidents,
        reviews,
        expected_reviews,
        workspaces,
        ..,
    ] = numbers[..]
    else {
        panic!("{seven}")
    };
    assert_eq!(incidents, expected_incidents, "{seven}");
    assert_eq!(reviews, expected_reviews, "{seven}");
    assert_eq!(
        incidents + 1,
        reviews,
        "one incident was deleted by ID: {seven}"
    );
    assert!(incidents > 0 && incidents < 242, "{seven}");
    assert!(workspaces > 1, "{seven}");
}

#[test]
fn generate_gives_the_same_bytes_for_the_same_seed_and_honours_the_count() {
    let dir = tempfile::tempdir().unwrap();
    let generate = |seed: &str, count: &str, name: &str| {
        let path = dir.path().join(name);
        jira_ops()
            .args(["generate", "--seed", seed, "--count", count, "-o"])
            .arg(&path)
            .assert()
            .success()
            .stdout("");
        std::fs::read(&path).unwrap()
    };

    let a = generate("11", "250", "a.ndjson");
    let b = generate("11", "250", "b.ndjson");
    let c = generate("12", "250", "c.ndjson");
    assert_eq!(a, b, "same seed, different bytes");
    assert_ne!(a, c, "the seed is not used");

    let text = String::from_utf8(a.clone()).unwrap();
    assert_eq!(text.lines().count(), 250);
    assert!(text.ends_with('\n'));
    let mut ids = std::collections::HashSet::new();
    for line in text.lines() {
        let incident: jira_operations::types::Incident = serde_json::from_str(line).unwrap();
        assert!(
            jira_operations::validate_incident(&incident).is_empty(),
            "{line}"
        );
        ids.insert(incident.id);
    }
    assert_eq!(ids.len(), 250, "IDs repeat");

    // Standard output gets the same bytes; a prefix of a longer run is the shorter run.
    let stdout = jira_ops()
        .args(["generate", "--seed", "11", "--count", "250"])
        .assert()
        .success();
    assert_eq!(stdout.get_output().stdout, a);
    let longer = generate("11", "300", "d.ndjson");
    assert!(longer.starts_with(&a));
    assert_eq!(generate("11", "0", "e.ndjson"), b"");
}

#[test]
fn generate_into_a_closed_pipe_stops_quietly() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_jira-ops"))
        .args(["generate", "--count", "1000000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.is_empty(), "{stderr}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn convert_postmortems_writes_the_two_committed_files() {
    let dir = tempfile::tempdir().unwrap();
    // A directory that does not exist yet is made.
    let out = dir.path().join("converted/data");
    let data = root().join("examples/data");
    jira_ops()
        .arg("convert-postmortems")
        .arg(data.join("public-postmortems.json"))
        .arg("--out-dir")
        .arg(&out)
        .assert()
        .success()
        .stdout(contains("postmortem-incidents.ndjson (242 records)"))
        .stdout(contains("postmortem-reviews.ndjson (242 records)"));

    for name in ["postmortem-incidents.ndjson", "postmortem-reviews.ndjson"] {
        let written = std::fs::read(out.join(name)).unwrap();
        let committed = std::fs::read(data.join(name)).unwrap();
        assert!(
            written == committed,
            "{name} differs from the committed file"
        );
    }
    assert_eq!(
        file_names(&out),
        ["postmortem-incidents.ndjson", "postmortem-reviews.ndjson"],
        "no temporary file is left behind"
    );
}

fn file_names(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn convert_postmortems_leaves_the_outputs_alone_when_no_record_converts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("data");
    std::fs::create_dir(&out).unwrap();
    for name in ["postmortem-incidents.ndjson", "postmortem-reviews.ndjson"] {
        std::fs::write(out.join(name), "{\"kept\":true}\n").unwrap();
    }
    let bad = dir.path().join("bad.json");

    for (input, reason) in [
        (r#"[{"foo":1}]"#, "its one record did not convert"),
        (
            r#"[{"foo":1},{"uuid":"x"}]"#,
            "none of its 2 records converted",
        ),
        ("[]", "it holds no records"),
    ] {
        std::fs::write(&bad, input).unwrap();
        jira_ops()
            .arg("convert-postmortems")
            .arg(&bad)
            .arg("--out-dir")
            .arg(&out)
            .assert()
            .code(2)
            .stdout("")
            .stderr(contains(format!(
                "jira-ops: {}: {reason}; nothing written to {}",
                bad.display(),
                out.display()
            )));
        for name in ["postmortem-incidents.ndjson", "postmortem-reviews.ndjson"] {
            let text = std::fs::read_to_string(out.join(name)).unwrap();
            assert_eq!(text, "{\"kept\":true}\n", "{input}: {name}");
        }
        assert_eq!(
            file_names(&out),
            ["postmortem-incidents.ndjson", "postmortem-reviews.ndjson"]
        );
    }
}

#[test]
fn convert_postmortems_replaces_each_output_whole_instead_of_rewriting_it_in_place() {
    // A file rewritten in place would show the new text through another link to it; one
    // replaced by a rename leaves the old file, whole, to that link.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("data");
    std::fs::create_dir(&out).unwrap();
    let old = dir.path().join("old-incidents.ndjson");
    std::fs::write(&old, "{\"old\":true}\n").unwrap();
    std::fs::hard_link(&old, out.join("postmortem-incidents.ndjson")).unwrap();

    jira_ops()
        .arg("convert-postmortems")
        .arg(root().join("examples/data/public-postmortems.json"))
        .arg("--out-dir")
        .arg(&out)
        .assert()
        .success();

    assert_eq!(std::fs::read_to_string(&old).unwrap(), "{\"old\":true}\n");
    let written = std::fs::read_to_string(out.join("postmortem-incidents.ndjson")).unwrap();
    assert_eq!(written.lines().count(), 242);
}

#[test]
fn convert_postmortems_names_an_input_it_cannot_read_or_parse() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    jira_ops()
        .arg("convert-postmortems")
        .arg(&missing)
        .arg("--out-dir")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains(missing.display().to_string()));

    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "[{").unwrap();
    jira_ops()
        .arg("convert-postmortems")
        .arg(&broken)
        .arg("--out-dir")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains(broken.display().to_string()));
    assert!(!dir.path().join("postmortem-incidents.ndjson").exists());
}

//! Shared by the CLI tests: an emulator served from a background runtime, `jira-ops` set up to
//! sign for it, and valid records to feed it.
//!
//! The tests run the real binary, as a user would, against an emulator started in the test
//! process: no child server to manage, and the test can read the emulator's state directly.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use jira_operations::emulator::{Emulator, EmulatorConfig, EmulatorState};
use serde_json::{Value, json};

/// The environment variables `jira-ops` reads; cleared so the caller's shell cannot leak in.
const ENV: &[&str] = &[
    "JIRA_OPS_INSTALLATION",
    "JIRA_OPS_BASE_URL",
    "JIRA_OPS_APP_KEY",
    "JIRA_OPS_CLIENT_KEY",
    "JIRA_OPS_SHARED_SECRET",
    "RUST_LOG",
];

/// `jira-ops`, with none of its environment variables set.
pub fn jira_ops() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_jira-ops"));
    for name in ENV {
        command.env_remove(name);
    }
    command
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// An emulator, a scratch directory and the installation file for the emulator in it.
pub struct Site {
    emulator: Option<Emulator>,
    runtime: tokio::runtime::Runtime,
    /// Scratch space for input files, removed at the end.
    pub dir: tempfile::TempDir,
    /// The installation JSON for the emulator's app.
    pub installation: PathBuf,
}

impl Site {
    /// An emulator with the default configuration.
    pub fn start() -> Self {
        Self::with(EmulatorConfig::default())
    }

    /// An emulator with `config`.
    pub fn with(config: EmulatorConfig) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let emulator = runtime.block_on(Emulator::start(config)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let installation = dir.path().join("installation.json");
        std::fs::write(
            &installation,
            serde_json::to_string_pretty(&emulator.installation()).unwrap(),
        )
        .unwrap();
        Self {
            emulator: Some(emulator),
            runtime,
            dir,
            installation,
        }
    }

    /// The emulator.
    pub fn emulator(&self) -> &Emulator {
        self.emulator.as_ref().unwrap()
    }

    /// `jira-ops --installation FILE`, for this emulator.
    pub fn cmd(&self) -> Command {
        let mut command = jira_ops();
        command.arg("--installation").arg(&self.installation);
        command
    }

    /// What the emulator holds now, with IDs.
    pub fn state(&self) -> EmulatorState {
        self.emulator().state_with_ids()
    }

    /// The shared secret the emulator's app signs with.
    pub fn secret(&self) -> String {
        self.emulator().installation().shared_secret
    }

    /// Writes `text` to `name` in the scratch directory.
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Writes `records` as NDJSON to `name`.
    pub fn ndjson(&self, name: &str, records: &[Value]) -> PathBuf {
        self.file(name, &ndjson(records))
    }

    /// Runs `future` on the emulator's runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        if let Some(emulator) = self.emulator.take() {
            self.runtime.block_on(emulator.shutdown());
        }
    }
}

/// One JSON object per line.
pub fn ndjson(records: &[Value]) -> String {
    records
        .iter()
        .map(|r| format!("{}\n", serde_json::to_string(r).unwrap()))
        .collect()
}

/// A complete, valid incident in project OPS.
pub fn incident(id: &str) -> Value {
    json!({
        "schemaVersion": "1.0",
        "id": id,
        "updateSequenceNumber": 1,
        "summary": format!("Checkout errors ({id})"),
        "description": "Checkout fails for some users.",
        "url": format!("https://ops.example/incidents/{id}"),
        "createdDate": "2024-01-15T10:00:00Z",
        "lastUpdated": "2024-01-15T10:05:00Z",
        "status": "open",
        "severity": {"level": "P2"},
        "affectedComponents": ["checkout"],
        "associations": [{"associationType": "issueIdOrKeys", "values": ["OPS-1"]}]
    })
}

/// A complete, valid post-incident review of incident `of`.
pub fn review(id: &str, of: &str) -> Value {
    json!({
        "schemaVersion": "1.0",
        "id": id,
        "updateSequenceNumber": 1,
        "summary": format!("Review of {of}"),
        "description": "What happened and what we change.",
        "url": format!("https://ops.example/reviews/{id}"),
        "createdDate": "2024-01-16T09:00:00Z",
        "lastUpdated": "2024-01-16T09:00:00Z",
        "status": "in progress",
        "reviews": [of]
    })
}

/// `count` incidents `{prefix}-0`, `{prefix}-1`, …
pub fn incidents(prefix: &str, count: usize) -> Vec<Value> {
    (0..count)
        .map(|i| incident(&format!("{prefix}-{i}")))
        .collect()
}

/// stdout and stderr of a finished command, as text.
pub fn output(assert: &assert_cmd::assert::Assert) -> (String, String) {
    let out = assert.get_output();
    (
        String::from_utf8(out.stdout.clone()).unwrap(),
        String::from_utf8(out.stderr.clone()).unwrap(),
    )
}

/// The `--json` report on stdout.
pub fn report(assert: &assert_cmd::assert::Assert) -> Value {
    let (stdout, stderr) = output(assert);
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{stdout}\n{stderr}"))
}

/// The IDs in one list of a `--json` report, in order.
pub fn ids(report: &Value, list: &str) -> Vec<String> {
    report[list]
        .as_array()
        .unwrap_or_else(|| panic!("no `{list}` list in {report}"))
        .iter()
        .map(|r| r["id"].as_str().unwrap_or("").to_string())
        .collect()
}

/// `file:line` as the report writes it.
pub fn at(path: &Path, line: usize) -> String {
    format!("{}:{line}", path.display())
}

//! `jira-ops emulator`: the Operations API emulator on this machine, until Ctrl-C.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use jira_operations::emulator::{self, EmulatorConfig, Faults};

use super::exit;

/// Serve an emulator of the Operations API on 127.0.0.1 and print how to sign for it.
#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// The port; a free one when 0.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The address to listen on. Anything but loopback exposes test data and a known secret.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub bind: IpAddr,
    /// Faults to inject, e.g. `429=5%,503=10%,reset=2%,latency=20ms,seed=42`
    ///
    /// Comma-separated KEY=VALUE pairs, each key at most once (`none`: no faults):
    ///   429=SHARE          answer 429 with a Retry-After (also rate-limit=, rate-limited=)
    ///   503=SHARE          answer 503 (also unavailable=)
    ///   reset=SHARE        drop the connection before processing: nothing changes
    ///   reset-after=SHARE  process, then drop the connection: the change made, the answer lost
    ///   latency=DURATION   delay every request; MIN..MAX draws each delay from the range
    ///   retry-after=SECS   the Retry-After of a 429, whole seconds: 0, 20 or 20s (default 1)
    ///   seed=N             seed of the fault generator: same seed, same faults (default random)
    /// A SHARE is a percentage (5%) or a fraction (0.05); the shares add up to at most 100%.
    /// A DURATION is a whole number with us, ms or s. Admin routes are never faulted.
    #[arg(long, value_name = "SPEC", verbatim_doc_comment)]
    pub faults: Option<Faults>,
    /// Milliseconds before a submit or delete becomes visible, as Jira applies them
    /// asynchronously.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub delay: u64,
    /// Project keys the emulated site knows (issue keys of other projects are reported as
    /// unknown). Repeat the flag for several.
    #[arg(long = "project-key", value_name = "KEY")]
    pub project_keys: Vec<String>,
    /// The largest request body accepted, in bytes; larger ones get 413.
    #[arg(long, value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Also write the installation JSON to this file, for `--installation`.
    #[arg(long, value_name = "FILE")]
    pub installation_out: Option<PathBuf>,
}

pub async fn run(args: EmulatorArgs) -> ExitCode {
    let mut config = EmulatorConfig::default()
        .with_bind(SocketAddr::new(args.bind, args.port))
        .with_visibility_delay(Duration::from_millis(args.delay));
    if let Some(faults) = args.faults {
        config = config.with_faults(faults);
    }
    if !args.project_keys.is_empty() {
        config = config.with_project_keys(args.project_keys.clone());
    }
    if let Some(bytes) = args.max_body_bytes {
        config = config.with_max_body_bytes(bytes);
    }

    // The file is opened before the emulator starts, so that a path it cannot write is a
    // usage error, not a server that a script waits on for a file that never comes.
    let out = match &args.installation_out {
        Some(path) => match open_private(path) {
            Ok(file) => Some((path.clone(), file)),
            Err(e) => return exit::usage(&format!("{}: {e}", path.display())),
        },
        None => None,
    };
    let bind = args.bind;
    let result = emulator::run(config, move |emu| {
        // `--help` says as much, but a flag copied from a script is not read with its help.
        if !bind.to_canonical().is_loopback() {
            eprintln!(
                "jira-ops: warning: the emulator listens on {bind}, so other machines can reach it: it serves test data to anyone who signs with the known shared secret printed below, and its /__emulator/* admin routes (state, reset) need no authentication. Use --bind 127.0.0.1 to keep it on this machine."
            );
        }
        let installation = emu.installation();
        let json = serde_json::to_string_pretty(&installation).expect("installations serialize");
        outln!("Operations API emulator listening on {}", emu.base_url());
        outln!("Sign with this installation (a throwaway local secret):\n{json}");
        if let Some((path, file)) = &out {
            match write_all(file, &format!("{json}\n")) {
                Ok(()) => outln!(
                    "Installation written to {}; use --installation {}",
                    path.display(),
                    path.display()
                ),
                Err(e) => eprintln!("jira-ops: {}: {e}", path.display()),
            }
        }
        outln!(
            "Admin view: {}/__emulator/state. Ctrl-C stops.",
            emu.base_url()
        );
    })
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => exit::usage(&e.to_string()),
    }
}

/// Opens `path` for writing, readable by its owner only (on Unix): it will hold a shared
/// secret, if only the emulator's.
fn open_private(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

fn write_all(mut file: &std::fs::File, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;

    file.write_all(text.as_bytes())
}

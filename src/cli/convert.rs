//! `jira-ops convert-postmortems`: the public post-incident dataset as NDJSON entities.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use jira_operations::demo::postmortems;

use super::exit;

/// Map public post-incident reports to incident and review NDJSON files.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// The dataset (a JSON array of report facts).
    pub input: PathBuf,
    /// Where `postmortem-incidents.ndjson` and `postmortem-reviews.ndjson` go.
    #[arg(long, default_value = "examples/data")]
    pub out_dir: PathBuf,
}

pub fn run(args: ConvertArgs) -> ExitCode {
    let text = match std::fs::read_to_string(&args.input) {
        Ok(text) => text,
        Err(e) => return exit::usage(&format!("{}: {e}", args.input.display())),
    };
    let (mapped, errors) = match postmortems::map_all(&text) {
        Ok(result) => result,
        Err(e) => return exit::usage(&format!("{}: {e}", args.input.display())),
    };
    for error in &errors {
        eprintln!("{}: {error}", args.input.display());
    }

    let (incidents, reviews) = postmortems::to_ndjson(&mapped);
    if let Err(e) = std::fs::create_dir_all(&args.out_dir) {
        return exit::usage(&format!("{}: {e}", args.out_dir.display()));
    }
    for (name, text) in [
        (postmortems::INCIDENTS_FILE, incidents),
        (postmortems::REVIEWS_FILE, reviews),
    ] {
        let path = args.out_dir.join(name);
        if let Err(e) = std::fs::write(&path, text) {
            return exit::usage(&format!("{}: {e}", path.display()));
        }
        outln!("wrote {} ({} records)", path.display(), mapped.len());
    }
    if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::PARTIAL)
    }
}

//! `jira-ops convert-postmortems`: the public post-incident dataset as NDJSON entities.

use std::io::Write as _;
use std::path::{Path, PathBuf};
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
    // Empty outputs would replace the shipped files with nothing: bad input must lose nothing.
    if mapped.is_empty() {
        let what = match errors.len() {
            0 => "it holds no records".to_string(),
            1 => "its one record did not convert".to_string(),
            n => format!("none of its {n} records converted"),
        };
        return exit::usage(&format!(
            "{}: {what}; nothing written to {}",
            args.input.display(),
            args.out_dir.display()
        ));
    }

    let (incidents, reviews) = postmortems::to_ndjson(&mapped);
    if let Err(e) = std::fs::create_dir_all(&args.out_dir) {
        return exit::usage(&format!("{}: {e}", args.out_dir.display()));
    }
    let outputs = [
        (args.out_dir.join(postmortems::INCIDENTS_FILE), incidents),
        (args.out_dir.join(postmortems::REVIEWS_FILE), reviews),
    ];
    // Both files are written in full before either replaces its output, so failing to write
    // the second leaves both old files in place.
    let mut temps = Vec::new();
    for (path, text) in &outputs {
        match write_beside(path, text) {
            Ok(temp) => temps.push(temp),
            Err(e) => {
                remove_all(&temps);
                return exit::usage(&format!("{}: {e}", path.display()));
            }
        }
    }
    for (i, ((path, _), temp)) in outputs.iter().zip(&temps).enumerate() {
        if let Err(e) = std::fs::rename(temp, path) {
            remove_all(&temps[i..]);
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

/// Writes `text` to a new file in the directory of `path` and returns its path. Renaming it
/// onto `path` then replaces the output in one step (the same file system), so an interrupted
/// run leaves the old file or the new one, never a part of one.
fn write_beside(path: &Path, text: &str) -> std::io::Result<PathBuf> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::File::create(&temp).and_then(|mut file| {
        file.write_all(text.as_bytes())?;
        file.sync_all()
    });
    match written {
        Ok(()) => Ok(temp),
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            Err(e)
        }
    }
}

fn remove_all(paths: &[PathBuf]) {
    for path in paths {
        let _ = std::fs::remove_file(path);
    }
}

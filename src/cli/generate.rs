//! `jira-ops generate`: synthetic incidents as NDJSON, for load tests and benchmarks.

use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use jira_operations::demo::synthetic::Generator;

use super::exit;

/// Write valid synthetic incidents (seeded, sized like real ones) as NDJSON.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// How many incidents.
    #[arg(long, default_value_t = 10_000)]
    pub count: u64,
    /// Seed; the same seed gives the same file.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output file; standard output when absent.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

pub fn run(args: GenerateArgs) -> ExitCode {
    let mut generator = Generator::new(args.seed);
    let result = match &args.output {
        Some(path) => std::fs::File::create(path)
            .and_then(|f| generator.write_ndjson(args.count, BufWriter::with_capacity(1 << 20, f))),
        None => generator.write_ndjson(args.count, BufWriter::new(std::io::stdout().lock())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The reader stopped reading (`| head`): not everything was written, nothing to say.
        Err(e) if args.output.is_none() && e.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::from(exit::PARTIAL)
        }
        Err(e) => exit::usage(&format!(
            "{}: {e}",
            args.output
                .as_ref()
                .map_or("<stdout>".into(), |p| p.display().to_string())
        )),
    }
}

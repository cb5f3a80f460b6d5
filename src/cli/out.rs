//! Standard output that survives a closed pipe.
//!
//! `jira-ops get incident X | head -c 100` closes the pipe before everything is written, and
//! `println!` panics when that happens. Output goes through here instead: once the reader is
//! gone, the rest of the output is dropped, and the command still finishes its work and exits
//! with its own code (a submit cut off mid-summary has still submitted).

use std::fmt;
use std::io::{ErrorKind, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `text` to standard output, unless it has been closed.
pub fn text(text: fmt::Arguments<'_>) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_fmt(text).and_then(|()| stdout.flush()) {
        CLOSED.store(true, Ordering::Relaxed);
        if e.kind() != ErrorKind::BrokenPipe {
            eprintln!("jira-ops: cannot write to standard output: {e}");
        }
    }
}

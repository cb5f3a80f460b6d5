//! `jira-ops`: the command line for Jira Software's Operations API.

fn main() {
    eprintln!("jira-ops: not built yet");
    std::process::exit(2);
}

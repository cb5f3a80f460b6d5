//! Links workspace IDs of the provider to the Jira site, then lists what is linked.
//!
//! Usage: `cargo run --example link_workspaces -- installed.json 111-222-333 444-555-666`, where
//! `installed.json` holds the body of the `installed` lifecycle callback Jira sent the app,
//! followed by the workspace IDs (sent in requests of at most 100).

use jira_operations::OperationsClient;
use jira_operations::auth::Installation;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: link_workspaces <installed.json> <workspace-id>...")?;
    let ids: Vec<String> = args.collect();

    let installation: Installation = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let client = OperationsClient::new(installation)?;

    let report = client.link_workspaces(&ids).await?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    for (id, reason) in &report.failed {
        eprintln!("{id}: {reason}");
    }

    let linked = client.workspaces().await?;
    println!("linked now: {}", linked.join(", "));
    if !report.failed.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}

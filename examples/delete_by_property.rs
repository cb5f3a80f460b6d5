//! Deletes every incident and review submitted with a property, then waits until the given
//! IDs are gone (Jira deletes asynchronously and cannot list what matched).
//!
//! Usage: `cargo run --example delete_by_property -- installed.json source=example EXAMPLE-1
//! EXAMPLE-2`, where `installed.json` holds the body of the `installed` lifecycle callback Jira
//! sent the app, then one `key=value` property, then the incident IDs submitted with it.

use jira_operations::auth::Installation;
use jira_operations::{OperationsClient, WaitPolicy};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let usage = "usage: delete_by_property <installed.json> <key=value> [incident-id...]";
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or(usage)?;
    let filter = args.next().ok_or(usage)?;
    let (key, value) = filter.split_once('=').ok_or(usage)?;
    let incident_ids: Vec<String> = args.collect();

    let installation: Installation = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let client = OperationsClient::new(installation)?;

    client.delete_by_properties(&[(key, value)]).await?;
    println!("Jira accepted the delete of everything with {key}={value}");

    let no_reviews: &[&str] = &[];
    match client
        .wait_until_all_deleted(&incident_ids, no_reviews, &WaitPolicy::default())
        .await
    {
        Ok(()) => println!("{} incident(s) gone", incident_ids.len()),
        Err(error) if error.is_wait_timeout() => {
            eprintln!("{error}");
            if let Some(state) = error.wait_state() {
                eprintln!("{}", serde_json::to_string_pretty(state)?);
            }
            std::process::exit(1);
        }
        Err(error) => return Err(error.into()),
    }
    Ok(())
}

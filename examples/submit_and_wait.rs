//! Submits two incidents, then waits until Jira stores them.
//!
//! Usage: `cargo run --example submit_and_wait -- installed.json`, where `installed.json` holds
//! the body of the `installed` lifecycle callback Jira sent the app (app key, client key,
//! shared secret and the site's base URL).

use std::collections::HashMap;

use jira_operations::auth::Installation;
use jira_operations::types::Incident;
use jira_operations::{OperationsClient, StoredTarget, SubmitOptions, WaitPolicy};
use serde_json::json;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: submit_and_wait <installed.json>")?;
    let installation: Installation = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let client = OperationsClient::new(installation)?;

    // Each ID gets a sequence number above any this client sent for it before.
    let mut numbers = HashMap::new();
    let mut incidents = Vec::new();
    for id in ["EXAMPLE-1", "EXAMPLE-2"] {
        let number = client.incident_sequence_numbers().next(id);
        numbers.insert(id.to_string(), number);
        let incident: Incident = serde_json::from_value(json!({
            "schemaVersion": "1.0", "id": id, "updateSequenceNumber": number,
            "summary": "VPN gateway down", "description": "Users cannot connect.",
            "url": format!("https://ops.example/{id}"), "status": "open",
            "createdDate": "2024-01-15T10:00:00Z", "lastUpdated": "2024-01-15T10:05:00Z",
            "affectedComponents": ["vpn-gateway"],
        }))?;
        incidents.push(incident);
    }

    let options = SubmitOptions::default().property("source", "example");
    let report = client.submit_incidents(incidents, &options).await;
    println!("{}", serde_json::to_string_pretty(&report)?);

    // Accepted or not named: wait for both; failed and rejected ones will never appear.
    let targets: Vec<StoredTarget> = (report.accepted.iter().chain(&report.unconfirmed))
        .map(|sent| StoredTarget::incident(&sent.id, numbers.get(&sent.id).copied()))
        .collect();
    client
        .wait_until_all_stored(&targets, &WaitPolicy::default())
        .await?;
    println!("{} incident(s) stored", targets.len());
    Ok(())
}

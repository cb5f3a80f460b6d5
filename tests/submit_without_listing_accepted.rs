//! With `list_accepted(false)`, accepted records are counted instead of listed, and every
//! other outcome is still listed record by record.

#![cfg(feature = "emulator")]

use jira_operations::emulator::{Emulator, EmulatorConfig};
use jira_operations::types::Incident;
use jira_operations::{OperationsClient, SubmitOptions};
use serde_json::json;

fn incident(id: &str, issue: &str) -> Incident {
    serde_json::from_value(json!({
        "schemaVersion": "1.0",
        "id": id,
        "updateSequenceNumber": 1,
        "summary": format!("Incident {id}"),
        "description": "Checkout fails for some users.",
        "url": format!("https://ops.example/incidents/{id}"),
        "createdDate": "2024-01-15T10:00:00Z",
        "lastUpdated": "2024-01-15T10:05:00Z",
        "status": "open",
        "affectedComponents": ["checkout"],
        "associations": [{"associationType": "issueIdOrKeys", "values": [issue]}]
    }))
    .unwrap()
}

#[tokio::test]
async fn accepted_records_are_counted_and_the_others_still_listed() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let client = OperationsClient::builder(emu.installation())
        .build()
        .unwrap();
    let mut invalid = incident("INC-BAD", "OPS-1");
    invalid.url = String::new();
    let input = vec![
        incident("INC-1", "OPS-1"),
        invalid,
        incident("INC-2", "OPS-2"),
        // The emulator stores no entity whose projects are all unknown, and names it nowhere.
        incident("INC-ELSEWHERE", "NOPE-1"),
    ];

    let listed = client
        .submit_incidents(input.clone(), &SubmitOptions::default())
        .await;
    let counted = client
        .submit_incidents(input, &SubmitOptions::default().list_accepted(false))
        .await;

    let ids = |list: &[jira_operations::Sent]| -> Vec<String> {
        list.iter().map(|s| s.id.clone()).collect()
    };
    assert_eq!(ids(&listed.accepted), ["INC-1", "INC-2"]);
    assert_eq!(listed.accepted_unlisted, 0);
    assert!(counted.accepted.is_empty(), "{counted:#?}");
    assert_eq!(counted.accepted_unlisted, 2);
    assert_eq!(counted.accepted_count(), listed.accepted_count());

    for report in [&listed, &counted] {
        assert_eq!(report.total(), 4);
        assert_eq!(report.rejected.len(), 1);
        assert_eq!(report.rejected[0].id.as_deref(), Some("INC-BAD"));
        assert_eq!(ids(&report.unconfirmed), ["INC-ELSEWHERE"]);
        assert_eq!(
            report.unknown_project_keys.iter().collect::<Vec<_>>(),
            ["NOPE"]
        );
        assert_eq!(report.requests_sent, 1);
    }

    // The count survives a JSON round trip and is left out when zero.
    let json = serde_json::to_value(&counted).unwrap();
    assert_eq!(json["accepted_unlisted"], 2);
    assert!(
        serde_json::to_value(&listed)
            .unwrap()
            .get("accepted_unlisted")
            .is_none()
    );
    let back: jira_operations::SubmitReport = serde_json::from_value(json).unwrap();
    assert_eq!(back, counted);
}

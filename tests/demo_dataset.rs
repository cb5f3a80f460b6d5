//! The committed demo data: the raw facts, their conversion, and the mapping's guarantees.

#![cfg(feature = "cli")]

use std::collections::HashSet;
use std::path::PathBuf;

use jira_operations::demo::postmortems::{self, DATASET};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/data")
}

#[test]
fn committed_ndjson_files_are_the_conversion_of_the_committed_dataset() {
    let (mapped, errors) = postmortems::map_all(DATASET).unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    let (incidents, reviews) = postmortems::to_ndjson(&mapped);
    let on_disk = |name| std::fs::read_to_string(data_dir().join(name)).unwrap();
    assert!(
        on_disk(postmortems::INCIDENTS_FILE) == incidents,
        "run `jira-ops convert-postmortems`"
    );
    assert!(
        on_disk(postmortems::REVIEWS_FILE) == reviews,
        "run `jira-ops convert-postmortems`"
    );
}

#[test]
fn committed_dataset_is_the_shared_one() {
    let shared =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/public-postmortems.json");
    let Ok(text) = std::fs::read_to_string(&shared) else {
        eprintln!("skipped: {} is absent", shared.display());
        return;
    };
    assert!(
        text == DATASET,
        "examples/data/public-postmortems.json differs from {}",
        shared.display()
    );
}

#[test]
fn every_report_maps_to_a_valid_incident_and_review_with_increasing_sequence_numbers() {
    let (mapped, _) = postmortems::map_all(DATASET).unwrap();
    assert_eq!(mapped.len(), 242);

    let mut ids = HashSet::new();
    let mut last = 0;
    for m in &mapped {
        assert!(
            ids.insert(m.incident.id.clone()),
            "duplicate {}",
            m.incident.id
        );
        assert!(m.incident.update_sequence_number > last);
        last = m.incident.update_sequence_number;
        assert_eq!(m.review.reviews, vec![m.incident.id.clone()]);
        assert!(!m.company.is_empty());
        assert!(m.incident.summary.chars().count() <= 255);
        assert!(m.incident.created_date <= m.incident.last_updated);
        chrono::DateTime::parse_from_rfc3339(&m.incident.created_date).unwrap();
        assert_eq!(
            jira_operations::validate_incident(&m.incident),
            Vec::<String>::new()
        );
        assert_eq!(
            jira_operations::validate_review(&m.review),
            Vec::<String>::new()
        );
    }
    for m in &mapped {
        assert!(
            m.review.update_sequence_number > last,
            "reviews come after incidents"
        );
        last = m.review.update_sequence_number;
    }
}

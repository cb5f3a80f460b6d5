//! The README's record examples are records the client sends as they are: they parse, pass
//! validation, and hold no field the types would drop.

use jira_operations::types::{Incident, Review};
use jira_operations::{validate_incident, validate_review};
use serde_json::Value;

/// The README's `json` blocks, in order.
fn json_blocks() -> Vec<Value> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match (&mut current, line) {
            (None, "```json") => current = Some(String::new()),
            (Some(text), "```") => {
                blocks.push(serde_json::from_str(text).expect("a README record is JSON"));
                current = None;
            }
            (Some(text), line) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn the_readme_shows_a_valid_incident_and_a_valid_review_of_it() {
    let blocks = json_blocks();
    assert_eq!(blocks.len(), 2, "an incident and a review");

    let incident: Incident = serde_json::from_value(blocks[0].clone()).unwrap();
    assert_eq!(validate_incident(&incident), Vec::<String>::new());
    assert_eq!(serde_json::to_value(&incident).unwrap(), blocks[0]);

    let review: Review = serde_json::from_value(blocks[1].clone()).unwrap();
    assert_eq!(validate_review(&review), Vec::<String>::new());
    assert_eq!(serde_json::to_value(&review).unwrap(), blocks[1]);
    assert_eq!(review.reviews, [incident.id]);
}

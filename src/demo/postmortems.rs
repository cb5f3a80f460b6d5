//! Real public post-incident reports turned into Operations API incidents and reviews.
//!
//! `examples/data/public-postmortems.json` holds facts about 242 published post-incident
//! reports (IDs, links, dates, companies, products, tags; no prose). Many lack a title, a
//! product or dates. The mapping below turns each report into one incident and one
//! post-incident review that points at it:
//!
//! | Incident field | From | Fallback |
//! |---|---|---|
//! | `id` | `pm-` + the report's UUID | — |
//! | `summary` | the title | "Incident at {company} ({product})", or without the product |
//! | `description` | Markdown list of company, product, window, categories, keywords, source link | — |
//! | `url` | the report's URL | the first of several (a few records hold a Markdown list of links) |
//! | `createdDate` | `start_time` | `source_published_at`, `end_time`, then 1970-01-01T00:00:00Z (said in the description) |
//! | `lastUpdated` | `end_time` | `source_published_at`, then `createdDate`; never before `createdDate` |
//! | `status` | always `resolved` (the report is published) | — |
//! | `severity` | `P1` for data loss or a breach, `P2` for an outage, `P3` for a degradation, found in categories or keywords | `unknown` |
//! | `affectedComponents` | one component: slug of company and product, e.g. `amazon-simpledb` | slug of the company |
//! | `updateSequenceNumber` | position in the file, from 1 | — |
//!
//! Each review: `id` `pm-review-` + UUID, `reviews` = the incident's ID, summary "Review: " +
//! the incident's summary, `url` the report, dates from `source_published_at` (else the
//! incident's `lastUpdated`), status `completed`, sequence number = 242 + position.
//!
//! Texts are cut to the spec's limits at a character boundary. Every record maps; a record
//! that cannot (no UUID or no URL) is returned as an error naming its position.

use serde::Deserialize;

use crate::model::{IncidentStatus, ReviewStatus, SchemaVersion, SeverityLevel};
use crate::spec_facts as limits;
use crate::types::{Incident, IncidentSeverity, Review};

/// The dataset as shipped with the crate.
pub const DATASET: &str = include_str!("../../examples/data/public-postmortems.json");

/// File name of the converted incidents, one JSON object per line.
pub const INCIDENTS_FILE: &str = "postmortem-incidents.ndjson";

/// File name of the converted reviews, one JSON object per line.
pub const REVIEWS_FILE: &str = "postmortem-reviews.ndjson";

/// The date used when a report publishes none.
pub const UNKNOWN_DATE: &str = "1970-01-01T00:00:00Z";

/// One record of the dataset.
#[derive(Debug, Clone, Deserialize)]
pub struct Report {
    /// Stable identifier.
    pub uuid: Option<String>,
    /// Link to the published report.
    pub url: Option<String>,
    /// Title, when the report has one.
    pub title: Option<String>,
    /// Company that had the incident.
    pub company: Option<String>,
    /// Product affected.
    pub product: Option<String>,
    /// When the incident began.
    pub start_time: Option<String>,
    /// When it ended.
    pub end_time: Option<String>,
    /// When the report was published.
    pub source_published_at: Option<String>,
    /// Broad categories (`cloud`, `security`, …).
    #[serde(default)]
    pub categories: Vec<String>,
    /// Tags; a few are numbers in the source, kept as text.
    #[serde(default)]
    pub keywords: Vec<serde_json::Value>,
}

/// One report mapped to an incident, its review, and the company used as a property.
#[derive(Debug, Clone)]
pub struct Mapped {
    /// The incident.
    pub incident: Incident,
    /// The post-incident review pointing at it.
    pub review: Review,
    /// Slug of the company, for `properties` and delete by property.
    pub company: String,
}

/// Parses the dataset text.
pub fn parse(text: &str) -> Result<Vec<Report>, serde_json::Error> {
    serde_json::from_str(text)
}

/// Lower-case ASCII letters and digits joined by `-`.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

fn cut(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => text[..end].to_string(),
        None => text.to_string(),
    }
}

fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The first link of a field that sometimes holds more than one
/// (`https://a/), [see also](https://b/`): up to the first space, without trailing `),`.
fn first_link(text: &str) -> &str {
    let first = text.split(char::is_whitespace).next().unwrap_or(text);
    first.trim_end_matches([')', ',', ']', '.'])
}

fn severity(report: &Report) -> SeverityLevel {
    let tags: Vec<String> = report
        .categories
        .iter()
        .cloned()
        .chain(report.keywords.iter().map(|k| match k {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        }))
        .map(|t| t.to_lowercase())
        .collect();
    let has = |needle: &str| tags.iter().any(|t| t.contains(needle));
    if has("data loss") || has("breach") {
        SeverityLevel::P1
    } else if has("outage") {
        SeverityLevel::P2
    } else if has("degradation") {
        SeverityLevel::P3
    } else {
        SeverityLevel::Unknown
    }
}

/// Maps the report at `position` (0-based) of a dataset of `total` reports.
pub fn map(report: &Report, position: usize, total: usize) -> Result<Mapped, String> {
    let line = position + 1;
    let uuid = present(&report.uuid).ok_or(format!("record {line}: no uuid"))?;
    let url = present(&report.url)
        .map(first_link)
        .ok_or(format!("record {line}: no url"))?;
    let company = present(&report.company).unwrap_or("unknown company");
    let product = present(&report.product);

    let summary = match (present(&report.title), product) {
        (Some(title), _) => title.to_string(),
        (None, Some(product)) => format!("Incident at {company} ({product})"),
        (None, None) => format!("Incident at {company}"),
    };
    let component = match product {
        Some(product) => slug(&format!("{company} {product}")),
        None => slug(company),
    };

    let start = present(&report.start_time);
    let end = present(&report.end_time);
    let published = present(&report.source_published_at);
    let created = start
        .or(published)
        .or(end)
        .unwrap_or(UNKNOWN_DATE)
        .to_string();
    let mut updated = end.or(published).unwrap_or(&created).to_string();
    // RFC 3339 UTC strings of one shape compare in time order.
    if updated < created {
        updated = created.clone();
    }

    let mut description = format!("Public post-incident report by **{company}**.\n\n");
    if let Some(product) = product {
        description.push_str(&format!("- Product: {product}\n"));
    }
    match (start, end) {
        (Some(s), Some(e)) => description.push_str(&format!("- Window: {s} to {e}\n")),
        (Some(s), None) => description.push_str(&format!("- Began: {s}\n")),
        (None, Some(e)) => description.push_str(&format!("- Ended: {e}\n")),
        (None, None) => description.push_str("- Window: not published\n"),
    }
    if created == UNKNOWN_DATE {
        description.push_str("- Dates: none published; 1970-01-01 stands in\n");
    }
    if !report.categories.is_empty() {
        description.push_str(&format!("- Categories: {}\n", report.categories.join(", ")));
    }
    if !report.keywords.is_empty() {
        let words: Vec<String> = report
            .keywords
            .iter()
            .map(|k| k.as_str().map_or_else(|| k.to_string(), str::to_string))
            .collect();
        description.push_str(&format!("- Keywords: {}\n", words.join(", ")));
    }
    description.push_str(&format!("\nSource: {url}\n"));

    let incident_id = format!("pm-{uuid}");
    let incident = Incident {
        schema_version: SchemaVersion::V1_0,
        id: incident_id.clone(),
        update_sequence_number: line as i64,
        summary: cut(&summary, limits::INCIDENT_SUMMARY_MAX_LENGTH),
        description: cut(&description, limits::INCIDENT_DESCRIPTION_MAX_LENGTH),
        url: url.to_string(),
        created_date: created.clone(),
        last_updated: updated.clone(),
        status: IncidentStatus::Resolved,
        severity: Some(IncidentSeverity {
            level: severity(report),
        }),
        affected_components: vec![component],
        associations: Vec::new(),
    };

    let review_date = published.unwrap_or(&updated).to_string();
    let review = Review {
        schema_version: SchemaVersion::V1_0,
        id: format!("pm-review-{uuid}"),
        update_sequence_number: (total + line) as i64,
        reviews: vec![incident_id],
        summary: cut(
            &format!("Review: {}", incident.summary),
            limits::REVIEW_SUMMARY_MAX_LENGTH,
        ),
        description: cut(
            &format!("Post-incident review published by **{company}**.\n\nSource: {url}\n"),
            limits::REVIEW_DESCRIPTION_MAX_LENGTH,
        ),
        url: url.to_string(),
        created_date: review_date.clone(),
        last_updated: review_date,
        status: ReviewStatus::Completed,
        associations: Vec::new(),
    };

    Ok(Mapped {
        incident,
        review,
        company: slug(company),
    })
}

/// Maps every report of `text`; the errors name the records that could not be mapped.
pub fn map_all(text: &str) -> Result<(Vec<Mapped>, Vec<String>), serde_json::Error> {
    let reports = parse(text)?;
    let total = reports.len();
    let mut mapped = Vec::with_capacity(total);
    let mut errors = Vec::new();
    for (position, report) in reports.iter().enumerate() {
        match map(report, position, total) {
            Ok(m) => mapped.push(m),
            Err(e) => errors.push(e),
        }
    }
    Ok((mapped, errors))
}

/// The mapped dataset as NDJSON: incidents, then reviews, one entity per line.
pub fn to_ndjson(mapped: &[Mapped]) -> (String, String) {
    let mut incidents = String::new();
    let mut reviews = String::new();
    for m in mapped {
        incidents.push_str(&serde_json::to_string(&m.incident).expect("incidents serialize"));
        incidents.push('\n');
        reviews.push_str(&serde_json::to_string(&m.review).expect("reviews serialize"));
        reviews.push('\n');
    }
    (incidents, reviews)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_keeps_ascii_words_joined_by_dashes() {
        assert_eq!(slug("Amazon SimpleDB"), "amazon-simpledb");
        assert_eq!(slug("  incident.io / Status "), "incident-io-status");
    }

    #[test]
    fn a_bare_report_gets_fallbacks_for_every_required_field() {
        let report: Report = serde_json::from_str(
            r#"{"uuid":"u-1","url":"https://example.com/pm","company":"rust-lang"}"#,
        )
        .unwrap();
        let m = map(&report, 0, 1).unwrap();
        assert_eq!(m.incident.summary, "Incident at rust-lang");
        assert_eq!(m.incident.created_date, UNKNOWN_DATE);
        assert_eq!(m.incident.last_updated, UNKNOWN_DATE);
        assert_eq!(m.incident.affected_components, vec!["rust-lang"]);
        assert_eq!(
            m.incident.severity.as_ref().unwrap().level,
            SeverityLevel::Unknown
        );
        assert_eq!(m.review.reviews, vec!["pm-u-1"]);
        assert_eq!(m.review.update_sequence_number, 2);
    }

    #[test]
    fn a_record_without_url_is_an_error_naming_it() {
        let report: Report = serde_json::from_str(r#"{"uuid":"u-1"}"#).unwrap();
        assert_eq!(map(&report, 4, 9).unwrap_err(), "record 5: no url");
    }

    #[test]
    fn a_url_field_holding_several_links_keeps_the_first() {
        assert_eq!(
            first_link("https://e.x/a/), [see also](https://e.x/b/"),
            "https://e.x/a/"
        );
        assert_eq!(first_link("https://e.x/a"), "https://e.x/a");
    }

    #[test]
    fn severity_follows_the_tags() {
        let report: Report = serde_json::from_str(
            r#"{"uuid":"u","url":"https://e.x/","keywords":["Network outage", 7]}"#,
        )
        .unwrap();
        assert_eq!(
            map(&report, 0, 1).unwrap().incident.severity.unwrap().level,
            SeverityLevel::P2
        );
    }
}

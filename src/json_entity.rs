//! Incidents and reviews checked in place in their JSON, and sent as that JSON.
//!
//! A backfill reads millions of records that are already JSON. Parsing each into owned strings
//! only to validate it and serialize it again would cost more than sending it, so a record
//! given as JSON is read through a view that borrows its strings from the bytes, checked by the
//! same rules as a typed entity (`crate::validate`), and sent as the bytes it came as.
//!
//! The view is stricter than the typed entity where the bytes would otherwise reach Jira
//! unchecked: an unknown top-level field, a `null` where the schema wants a value and an empty
//! `associations` list are refused, as Jira's schema refuses them; the typed entity drops or
//! omits those instead. Unknown keys inside nested objects are sent, as the schema allows them.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};

use crate::validate::{
    AssociationFields, EntityFields, IncidentFields, ReviewFields, check_incident, check_review,
};

/// A string borrowed from the JSON when it holds no escapes.
#[derive(Deserialize)]
#[serde(transparent)]
pub(crate) struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

impl Text<'_> {
    fn as_str(&self) -> &str {
        &self.0
    }
}

/// An optional field that may be left out but not given as `null`: the schema has no
/// nullable field, so Jira would refuse the `null`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

#[derive(Deserialize)]
#[serde(expecting = "an association object, with `associationType` and `values`")]
pub(crate) struct AssociationView<'a> {
    #[serde(
        rename = "associationType",
        default,
        borrow,
        deserialize_with = "present"
    )]
    association_type: Option<Text<'a>>,
    #[serde(default, borrow)]
    values: Vec<Text<'a>>,
}

#[derive(Deserialize)]
#[serde(expecting = "a severity object such as {\"level\": \"P1\"}")]
pub(crate) struct SeverityView<'a> {
    #[serde(borrow)]
    level: Text<'a>,
}

#[derive(Deserialize)]
#[serde(
    rename_all = "camelCase",
    deny_unknown_fields,
    expecting = "an incident object"
)]
pub(crate) struct IncidentView<'a> {
    #[serde(borrow)]
    schema_version: Text<'a>,
    #[serde(borrow)]
    id: Text<'a>,
    update_sequence_number: i64,
    #[serde(borrow)]
    summary: Text<'a>,
    #[serde(borrow)]
    description: Text<'a>,
    #[serde(borrow)]
    url: Text<'a>,
    #[serde(borrow)]
    created_date: Text<'a>,
    #[serde(borrow)]
    last_updated: Text<'a>,
    #[serde(borrow)]
    status: Text<'a>,
    #[serde(borrow)]
    affected_components: Vec<Text<'a>>,
    #[serde(default, borrow, deserialize_with = "present")]
    severity: Option<SeverityView<'a>>,
    #[serde(default, borrow, deserialize_with = "present")]
    associations: Option<Vec<AssociationView<'a>>>,
}

#[derive(Deserialize)]
#[serde(
    rename_all = "camelCase",
    deny_unknown_fields,
    expecting = "a review object"
)]
pub(crate) struct ReviewView<'a> {
    #[serde(borrow)]
    schema_version: Text<'a>,
    #[serde(borrow)]
    id: Text<'a>,
    update_sequence_number: i64,
    #[serde(borrow)]
    summary: Text<'a>,
    #[serde(borrow)]
    description: Text<'a>,
    #[serde(borrow)]
    url: Text<'a>,
    #[serde(borrow)]
    created_date: Text<'a>,
    #[serde(borrow)]
    last_updated: Text<'a>,
    #[serde(borrow)]
    status: Text<'a>,
    #[serde(borrow)]
    reviews: Vec<Text<'a>>,
    #[serde(default, borrow, deserialize_with = "present")]
    associations: Option<Vec<AssociationView<'a>>>,
}

macro_rules! view_fields {
    ($view:ident) => {
        impl<'a> EntityFields for $view<'a> {
            type Association = AssociationView<'a>;

            fn schema_version(&self) -> &str {
                self.schema_version.as_str()
            }
            fn id(&self) -> &str {
                self.id.as_str()
            }
            fn summary(&self) -> &str {
                self.summary.as_str()
            }
            fn description(&self) -> &str {
                self.description.as_str()
            }
            fn url(&self) -> &str {
                self.url.as_str()
            }
            fn created_date(&self) -> &str {
                self.created_date.as_str()
            }
            fn last_updated(&self) -> &str {
                self.last_updated.as_str()
            }
            fn status(&self) -> &str {
                self.status.as_str()
            }
            fn associations(&self) -> Option<&[AssociationView<'a>]> {
                self.associations.as_deref()
            }
        }
    };
}

view_fields!(IncidentView);
view_fields!(ReviewView);

impl IncidentFields for IncidentView<'_> {
    fn severity_level(&self) -> Option<&str> {
        self.severity.as_ref().map(|s| s.level.as_str())
    }
    fn affected_components(&self) -> impl ExactSizeIterator<Item = &str> {
        self.affected_components.iter().map(Text::as_str)
    }
}

impl ReviewFields for ReviewView<'_> {
    fn reviews(&self) -> impl ExactSizeIterator<Item = &str> {
        self.reviews.iter().map(Text::as_str)
    }
}

impl AssociationFields for AssociationView<'_> {
    fn association_type(&self) -> Option<&str> {
        self.association_type.as_ref().map(Text::as_str)
    }
    fn values(&self) -> impl ExactSizeIterator<Item = &str> {
        self.values.iter().map(Text::as_str)
    }
}

/// A view of one kind of entity: what the batching layer reads of it.
pub(crate) trait View<'a>: Deserialize<'a> {
    /// The top-level fields the schema allows.
    const FIELDS: &'static [&'static str];
    fn id(&self) -> &str;
    fn sequence(&self) -> i64;
    fn check(&self) -> Vec<String>;
}

impl<'a> View<'a> for IncidentView<'a> {
    const FIELDS: &'static [&'static str] = &[
        "schemaVersion",
        "id",
        "updateSequenceNumber",
        "summary",
        "description",
        "url",
        "createdDate",
        "lastUpdated",
        "status",
        "affectedComponents",
        "severity",
        "associations",
    ];
    fn id(&self) -> &str {
        self.id.as_str()
    }
    fn sequence(&self) -> i64 {
        self.update_sequence_number
    }
    fn check(&self) -> Vec<String> {
        check_incident(self)
    }
}

impl<'a> View<'a> for ReviewView<'a> {
    const FIELDS: &'static [&'static str] = &[
        "schemaVersion",
        "id",
        "updateSequenceNumber",
        "summary",
        "description",
        "url",
        "createdDate",
        "lastUpdated",
        "status",
        "reviews",
        "associations",
    ];
    fn id(&self) -> &str {
        self.id.as_str()
    }
    fn sequence(&self) -> i64 {
        self.update_sequence_number
    }
    fn check(&self) -> Vec<String> {
        check_review(self)
    }
}

/// An entity that passed every check, with what the batching layer keeps of it.
pub(crate) struct Checked {
    pub(crate) id: String,
    pub(crate) sequence: i64,
}

/// Why an entity given as JSON is refused, with its ID when one could be read.
pub(crate) struct Refusal {
    pub(crate) id: Option<String>,
    pub(crate) reasons: Vec<String>,
}

/// Reads `json` (one JSON object, surrounding white space allowed) as a `V` and checks it.
pub(crate) fn check<'a, V: View<'a>>(json: &'a [u8]) -> Result<Checked, Refusal> {
    // One UTF-8 check of the whole record is cheaper than one per string; bytes that are not
    // UTF-8 are left to the byte parser, whose error says where.
    let read = match std::str::from_utf8(json) {
        Ok(text) => serde_json::from_str::<V>(text),
        Err(_) => serde_json::from_slice::<V>(json),
    };
    let view = match read {
        Ok(view) => view,
        Err(e) => return Err(refusal_of_unreadable::<V>(json, &e)),
    };

    let reasons = view.check();
    if reasons.is_empty() {
        Ok(Checked {
            id: view.id().to_string(),
            sequence: view.sequence(),
        })
    } else {
        let id = view.id();
        Err(Refusal {
            id: (!id.is_empty()).then(|| id.to_string()),
            reasons,
        })
    }
}

/// The refusal of JSON that could not be read as a `V`: its `id` if it has a string one, and
/// why. The parser stops at the first problem; when the JSON is an object with fields the
/// schema does not allow, they are all named, as they are what the user has to fix.
fn refusal_of_unreadable<'a, V: View<'a>>(json: &[u8], error: &serde_json::Error) -> Refusal {
    if let Some((id, reason)) = crate::input::not_utf8(json) {
        return Refusal {
            id,
            reasons: vec![reason],
        };
    }
    let value = serde_json::from_slice::<serde_json::Value>(json).ok();
    let id = value
        .as_ref()
        .and_then(|v| v.get("id"))
        .and_then(|id| id.as_str())
        .filter(|id| !id.is_empty())
        .map(str::to_string);
    let unknown: Vec<String> = value
        .as_ref()
        .and_then(serde_json::Value::as_object)
        .map(|object| {
            object
                .keys()
                .filter(|key| !V::FIELDS.contains(&key.as_str()))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let reason = if !unknown.is_empty() {
        crate::input::unknown_fields(&unknown)
    } else if let Some(what) = value.as_ref().and_then(crate::input::not_an_object) {
        what
    } else {
        format!("malformed record: {}", crate::input::describe(error))
    };
    Refusal {
        id,
        reasons: vec![reason],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Incident;
    use crate::validate::validate_incident;

    const INCIDENT: &str = r#"{"schemaVersion":"1.0","id":"INC-1","updateSequenceNumber":7,
        "summary":"VPN down","description":"","url":"https://ops.example/inc/1",
        "createdDate":"2024-01-15T10:00:00Z","lastUpdated":"2024-01-15T10:05:00Z",
        "status":"open","affectedComponents":["vpn"],"severity":{"level":"P2"},
        "associations":[{"associationType":"issueIdOrKeys","values":["OPS-1"]}]}"#;

    fn edited(edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
        let mut value: serde_json::Value = serde_json::from_str(INCIDENT).unwrap();
        edit(&mut value);
        serde_json::to_vec(&value).unwrap()
    }

    fn reasons(json: &[u8]) -> Vec<String> {
        match check::<IncidentView<'_>>(json) {
            Ok(_) => Vec::new(),
            Err(refusal) => refusal.reasons,
        }
    }

    /// `INCIDENT` with `from` replaced by `to`, whose `@` becomes the byte 0xe9, which is not
    /// UTF-8 on its own.
    fn not_utf8(from: &str, to: &str) -> Vec<u8> {
        let json = INCIDENT.replace(from, to).into_bytes();
        json.into_iter()
            .map(|b| if b == b'@' { 0xe9 } else { b })
            .collect()
    }

    fn refused(json: &[u8]) -> Refusal {
        match check::<IncidentView<'_>>(json) {
            Ok(_) => panic!("accepted: {}", String::from_utf8_lossy(json)),
            Err(refusal) => refusal,
        }
    }

    #[test]
    fn a_record_with_bytes_that_are_not_utf8_is_refused_and_named_by_a_readable_id() {
        let refusal = refused(&not_utf8("VPN down", "VPN caf@"));
        assert_eq!(refusal.id.as_deref(), Some("INC-1"));
        assert!(
            refusal.reasons[0].starts_with("malformed record: the byte at column 27 is not UTF-8"),
            "{:?}",
            refusal.reasons
        );

        let refusal = refused(&not_utf8("INC-1", "INC-@"));
        assert_eq!(refusal.id, None, "an id that cannot be read is not guessed");
    }

    #[test]
    fn the_fields_named_are_those_of_the_typed_entities() {
        let incident: serde_json::Value = serde_json::from_str(INCIDENT).unwrap();
        let mut keys: Vec<&str> = incident
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        let mut fields = IncidentView::FIELDS.to_vec();
        keys.sort_unstable();
        fields.sort_unstable();
        assert_eq!(keys, fields);

        let review = crate::types::Review {
            associations: vec![crate::types::Association {
                association_type: None,
                values: vec!["x".into()],
            }],
            created_date: String::new(),
            description: String::new(),
            id: String::new(),
            last_updated: String::new(),
            reviews: vec![],
            schema_version: Default::default(),
            status: crate::model::ReviewStatus::Completed,
            summary: String::new(),
            update_sequence_number: 0,
            url: String::new(),
        };
        let review = serde_json::to_value(review).unwrap();
        let mut keys: Vec<&str> = review
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        let mut fields = ReviewView::FIELDS.to_vec();
        keys.sort_unstable();
        fields.sort_unstable();
        assert_eq!(keys, fields);
    }

    #[test]
    fn a_valid_incident_passes_with_its_id_and_sequence() {
        let checked = check::<IncidentView<'_>>(INCIDENT.as_bytes()).ok().unwrap();
        assert_eq!((checked.id.as_str(), checked.sequence), ("INC-1", 7));
    }

    #[test]
    fn the_view_and_the_typed_incident_give_the_same_reasons() {
        let bad = edited(|v| {
            v["summary"] = "".into();
            v["url"] = "not a url".into();
            v["status"] = "closed".into();
            v["affectedComponents"] = serde_json::json!([]);
            v["severity"]["level"] = "P0".into();
            v["associations"][0]["values"] = serde_json::json!([""]);
        });
        let typed: Incident = serde_json::from_slice(&bad).unwrap();
        let expected = validate_incident(&typed);
        assert_eq!(expected.len(), 6, "{expected:?}");
        assert_eq!(reasons(&bad), expected);
    }

    #[test]
    fn what_the_typed_incident_would_drop_is_refused() {
        let unknown = edited(|v| v["owner"] = "me".into());
        assert!(reasons(&unknown)[0].starts_with("unknown field `owner`"));

        let null = edited(|v| v["severity"] = serde_json::Value::Null);
        assert_eq!(
            reasons(&null),
            [
                "malformed record: invalid type: null, expected a severity object such as \
              {\"level\": \"P1\"} at column 243"
            ]
        );

        let empty = edited(|v| v["associations"] = serde_json::json!([]));
        assert_eq!(
            reasons(&empty),
            ["associations is empty: leave it out, or give 1 to 100"]
        );
    }

    #[test]
    fn unreadable_json_is_refused_with_its_id_when_it_has_one() {
        let wrong_type = edited(|v| v["updateSequenceNumber"] = "7".into());
        let refusal = check::<IncidentView<'_>>(&wrong_type).err().unwrap();
        assert_eq!(refusal.id.as_deref(), Some("INC-1"));
        assert!(refusal.reasons[0].starts_with("malformed record: invalid type: string"));

        let array = check::<IncidentView<'_>>(b"[1, 2]").err().unwrap();
        assert_eq!(
            array.reasons,
            ["a record is a JSON object with the entity's fields, not an array"]
        );
        let cut = check::<IncidentView<'_>>(b"{\"id\": \"X\",").err().unwrap();
        assert_eq!(cut.id, None);
        assert!(cut.reasons[0].starts_with("malformed record: EOF"));
    }

    mod agreement {
        use proptest::prelude::*;
        use serde_json::{Value, json};

        use super::super::*;
        use crate::types::{Incident, Review};
        use crate::validate::{validate_incident, validate_review};

        fn text() -> impl Strategy<Value = String> {
            prop_oneof![
                Just(String::new()),
                Just("  ".to_string()),
                Just("VPN \"down\"\n".to_string()),
                "[a-z]{1,20}",
                Just("\u{e9}".repeat(200)),
                Just("x".repeat(256)),
                Just("y".repeat(5001)),
            ]
        }

        fn url() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("https://ops.example/inc/1".to_string()),
                Just(String::new()),
                Just("not a url".to_string()),
                Just("https://ops.example/a b".to_string()),
                Just("ftp://ops.example/x".to_string()),
                Just(format!("https://ops.example/{}", "p".repeat(2000))),
            ]
        }

        fn date() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("2024-01-15T10:00:00Z".to_string()),
                Just("2024-01-15T10:00:00.123+01:00".to_string()),
                Just("2024-01-15".to_string()),
                Just("2024-13-01T00:00:00Z".to_string()),
                Just(String::new()),
            ]
        }

        fn words(values: &'static [&'static str]) -> impl Strategy<Value = String> {
            prop::sample::select(values).prop_map(str::to_string)
        }

        fn associations() -> impl Strategy<Value = Option<Value>> {
            let one = (
                prop::option::of(words(&["issueIdOrKeys", "serviceIdOrKeys", "other"])),
                prop::collection::vec(words(&["OPS-1", "", "svc"]), 0..3),
            )
                .prop_map(|(kind, values)| match kind {
                    Some(kind) => json!({"associationType": kind, "values": values}),
                    None => json!({"values": values}),
                });
            prop::option::of(prop::collection::vec(one, 1..4).prop_map(Value::from))
        }

        fn common() -> impl Strategy<Value = Value> {
            (
                words(&["1.0", "2.0"]),
                text(),
                text(),
                text(),
                url(),
                date(),
                date(),
                associations(),
            )
                .prop_map(
                    |(version, id, summary, description, url, created, updated, assoc)| {
                        let mut value = json!({
                            "schemaVersion": version, "id": id, "updateSequenceNumber": 3,
                            "summary": summary, "description": description, "url": url,
                            "createdDate": created, "lastUpdated": updated,
                        });
                        if let Some(assoc) = assoc {
                            value["associations"] = assoc;
                        }
                        value
                    },
                )
        }

        fn reasons<'a, V: View<'a>>(json: &'a [u8]) -> Vec<String> {
            check::<V>(json)
                .err()
                .map(|r| r.reasons)
                .unwrap_or_default()
        }

        proptest! {
            #[test]
            fn an_incident_read_in_place_gets_the_reasons_of_the_typed_one(
                mut value in common(),
                status in words(&["open", "resolved", "unknown", "closed"]),
                components in prop::collection::vec(words(&["vpn", ""]), 0..3),
                level in prop::option::of(words(&["P1", "P5", "P0", "unknown"])),
            ) {
                value["status"] = json!(status);
                value["affectedComponents"] = json!(components);
                if let Some(level) = level {
                    value["severity"] = json!({"level": level});
                }
                let json = serde_json::to_vec(&value).unwrap();
                let typed: Incident = serde_json::from_value(value).unwrap();

                prop_assert_eq!(reasons::<IncidentView<'_>>(&json), validate_incident(&typed));
            }

            #[test]
            fn a_review_read_in_place_gets_the_reasons_of_the_typed_one(
                mut value in common(),
                status in words(&["in progress", "completed", "open"]),
                reviews in prop::collection::vec(words(&["INC-1", ""]), 0..3),
            ) {
                value["status"] = json!(status);
                value["reviews"] = json!(reviews);
                let json = serde_json::to_vec(&value).unwrap();
                let typed: Review = serde_json::from_value(value).unwrap();

                prop_assert_eq!(reasons::<ReviewView<'_>>(&json), validate_review(&typed));
            }
        }
    }

    #[test]
    fn strings_without_escapes_are_borrowed_from_the_json() {
        let json = INCIDENT.as_bytes();
        let view: IncidentView<'_> = serde_json::from_slice(json).unwrap();
        assert!(matches!(view.summary.0, Cow::Borrowed(_)));
        assert!(matches!(view.affected_components[0].0, Cow::Borrowed(_)));

        let escaped = br#"{"a": "tab\there"}"#;
        #[derive(Deserialize)]
        struct One<'a> {
            #[serde(borrow)]
            a: Text<'a>,
        }
        let one: One<'_> = serde_json::from_slice(escaped).unwrap();
        assert_eq!(one.a.as_str(), "tab\there");
    }
}

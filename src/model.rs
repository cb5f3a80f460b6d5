//! Hand-written types the generated code uses in place of its own: the spec's closed value
//! sets made open, and the submit answer made to keep what it does not know.
//!
//! The spec lists the values Jira accepts today (`open`, `resolved`, `P1`…). A client that
//! rejects a value Jira adds tomorrow would fail to read a whole response, so each enum here
//! keeps any other string in an `Other` variant. The generated types use these in place of the
//! closed enums progenitor would emit; sending an `Other` value is caught by validation before
//! it leaves the client.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident => $wire:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this version of the crate does not know.
            Other(String),
        }

        impl $name {
            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Other(value) => value,
                }
            }

            /// Whether the spec lists this value.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Other(_))
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($wire => Self::$variant,)+
                    other => Self::Other(other.to_string()),
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
                Ok(Self::from(value.as_ref()))
            }
        }
    };
}

open_enum! {
    /// Where an incident stands.
    IncidentStatus {
        /// Still going on.
        Open => "open",
        /// Over.
        Resolved => "resolved",
        /// Not known to the provider.
        Unknown => "unknown",
    }
}

open_enum! {
    /// Where a post-incident review stands.
    ReviewStatus {
        /// Being written.
        InProgress => "in progress",
        /// Written, with follow-up actions still open.
        OutstandingActions => "outstanding actions",
        /// Done.
        Completed => "completed",
        /// Not known to the provider.
        Unknown => "unknown",
    }
}

open_enum! {
    /// How severe an incident is; `P1` is the most severe.
    SeverityLevel {
        /// Most severe.
        P1 => "P1",
        /// Second level.
        P2 => "P2",
        /// Third level.
        P3 => "P3",
        /// Fourth level.
        P4 => "P4",
        /// Least severe.
        P5 => "P5",
        /// Not known to the provider.
        Unknown => "unknown",
    }
}

open_enum! {
    /// What the values of an association name.
    AssociationType {
        /// Jira issue IDs or keys; their project keys must exist on the site.
        IssueIdOrKeys => "issueIdOrKeys",
        /// Service IDs or keys.
        ServiceIdOrKeys => "serviceIdOrKeys",
        /// Compass event sources.
        CompassEventSource => "ati:cloud:compass:event-source",
    }
}

open_enum! {
    /// The version of the entity schema; the spec knows only `1.0`.
    #[derive(Default)]
    SchemaVersion {
        /// Version 1.0.
        #[default]
        V1_0 => "1.0",
    }
}

/// Jira's answer to a submit (`202`): which incidents it accepted, which failed and why, and
/// the project keys it does not know.
///
/// Fields the spec does not name are kept in `extra` rather than dropped: the 202 schema has no
/// review fields today, and a field Jira adds (an account of reviews, say) should reach the
/// caller, who may act on it before this crate knows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmitEntityResponse {
    /// IDs of the incidents accepted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accepted_incidents: Vec<String>,
    /// Incidents refused, by ID, with Jira's messages.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub failed_incidents: BTreeMap<String, Vec<crate::generated::types::ErrorMessage>>,
    /// Project keys named by associations that the site does not have.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown_project_keys: Vec<String>,
    /// Every other field of the answer, as received.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

// By hand rather than with `#[serde(flatten)]`, which would buffer the whole answer (a
// thousand IDs, often) before reading it.
impl<'de> Deserialize<'de> for SubmitEntityResponse {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;

        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = SubmitEntityResponse;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a submit answer (an object)")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut answer = SubmitEntityResponse::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "acceptedIncidents" => answer.accepted_incidents = map.next_value()?,
                        "failedIncidents" => answer.failed_incidents = map.next_value()?,
                        "unknownProjectKeys" => answer.unknown_project_keys = map.next_value()?,
                        _ => {
                            answer.extra.insert(key, map.next_value()?);
                        }
                    }
                }
                Ok(answer)
            }
        }

        deserializer.deserialize_map(Fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_submit_answer_keeps_what_the_spec_does_not_name_and_writes_it_back() {
        let text = r#"{"acceptedIncidents":["A"],"failedIncidents":{"B":[{"message":"no"}]},
            "unknownProjectKeys":["UTF"],"acceptedReviews":["R"],"note":{"x":1}}"#;
        let answer: SubmitEntityResponse = serde_json::from_str(text).unwrap();

        assert_eq!(answer.accepted_incidents, ["A"]);
        assert_eq!(answer.failed_incidents["B"][0].message, "no");
        assert_eq!(answer.unknown_project_keys, ["UTF"]);
        assert_eq!(
            answer.extra.keys().collect::<Vec<_>>(),
            ["acceptedReviews", "note"]
        );
        let written = serde_json::to_value(&answer).unwrap();
        assert_eq!(
            written,
            serde_json::from_str::<serde_json::Value>(text).unwrap()
        );

        let empty: SubmitEntityResponse = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, SubmitEntityResponse::default());
        assert!(serde_json::from_str::<SubmitEntityResponse>("[]").is_err());
    }
}

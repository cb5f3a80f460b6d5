//! Hand-written enums for the spec's closed value sets, made open.
//!
//! The spec lists the values Jira accepts today (`open`, `resolved`, `P1`…). A client that
//! rejects a value Jira adds tomorrow would fail to read a whole response, so each enum here
//! keeps any other string in an `Other` variant. The generated types use these in place of the
//! closed enums progenitor would emit; sending an `Other` value is caught by validation before
//! it leaves the client.

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
    SchemaVersion {
        /// Version 1.0.
        V1_0 => "1.0",
    }
}

// The variants come from a macro, which cannot carry `#[default]`.
#[allow(clippy::derivable_impls)]
impl Default for SchemaVersion {
    fn default() -> Self {
        Self::V1_0
    }
}

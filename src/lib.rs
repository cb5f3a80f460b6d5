#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]

pub mod auth;
pub mod batch;
pub mod client;
#[cfg(feature = "cli")]
pub mod demo;
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod error;
mod generated;
pub mod input;
mod json_entity;
pub mod model;
pub mod provider;
pub mod retry;
pub mod sequence;
pub mod spec;
mod telemetry;
pub mod validate;
pub mod waiter;

/// The spec's limits, enum values and per-operation scopes, read from the fragment at build time.
#[allow(dead_code)]
pub(crate) mod spec_facts {
    include!(concat!(env!("OUT_DIR"), "/spec_facts.rs"));
}

/// The types of the Operations API, generated from the vendored fragment.
pub mod types {
    pub use crate::generated::types::*;
    pub use crate::model::*;
}

pub use auth::Installation;
pub use batch::{
    EntityJson, Failed, Incomplete, Record, Rejected, Sent, SubmitOptions, SubmitReport,
};
pub use client::{ClientBuilder, EntityKind, LinkReport, OperationsClient};
pub use error::{Error, Result};
pub use retry::{Jitter, RetryPolicy};
pub use sequence::SequenceNumbers;
pub use validate::{validate_incident, validate_review};
pub use waiter::{ItemKind, PendingItem, Seen, StoredTarget, WaitPolicy, WaitState};

pub use generated::{
    Client as GeneratedClient, Error as GeneratedError, MAX_PROPERTY_FILTERS, ResponseValue,
};

/// `jira-operations/<version>`, sent as `User-Agent`.
pub(crate) fn user_agent() -> reqwest::header::HeaderValue {
    reqwest::header::HeaderValue::from_static(concat!(
        "jira-operations/",
        env!("CARGO_PKG_VERSION")
    ))
}

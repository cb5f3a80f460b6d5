#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]

pub mod auth;
#[cfg(feature = "emulator")]
pub mod emulator;
mod generated;
pub mod model;
pub mod spec;
mod telemetry;

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

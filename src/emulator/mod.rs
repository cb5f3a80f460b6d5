//! A local emulator of Jira Cloud's Operations API, for tests and demos without a Jira site.
//!
//! Testing an Operations client against real Jira needs a site, an installed Connect app and
//! patience with eventual consistency; testing it against a hand-written mock proves only that
//! the client agrees with the mock. The emulator sits between the two: it serves the nine
//! operations on `127.0.0.1` (by default), verifies every Connect JWT as Jira does, validates
//! what is submitted against the vendored OpenAPI fragment, stores it with Jira's ordering
//! rules, and can be told to be slow, eventually consistent or unreliable.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use jira_operations::emulator::{Emulator, EmulatorConfig};
//!
//! let emu = Emulator::start(EmulatorConfig::default()).await?;
//! let client = emu.client()?; // a GeneratedClient signing as the emulator's app
//! let workspaces = client.get_workspaces(None).await; // 404: nothing linked yet
//! # let _ = workspaces;
//! emu.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Behaviour
//!
//! * **Authentication.** `Authorization: JWT <token>` is required (a `jwt` query parameter is
//!   not read: the spec declares the header). The token is checked by [`crate::auth::Verifier`]
//!   against the installed apps, keyed by app key (the `iss` of app-to-Jira tokens), with `qsh`
//!   computed over the raw path relative to [`Emulator::base_url`] (no decoded-path fallback).
//!   A missing header, another scheme, a bad signature, an expired token (beyond the leeway),
//!   an unknown issuer, a wrong `qsh` or a context token (`qsh` = `context-qsh`) give 401. An
//!   app without the Operations module, or without the scope the operation needs (READ for
//!   GETs, WRITE for POSTs, DELETE for DELETEs, with the Connect hierarchy), gets 403. Neither
//!   has a body; the reason is logged (never the token).
//! * **Submits** (`POST /bulk`). A body that is not a JSON object, or has neither a non-empty
//!   `incidents` nor a non-empty `reviews` array, gets 400; more than 1000 incidents or reviews,
//!   or a body over [`EmulatorConfig::max_body_bytes`], gets 413; bad `properties` or
//!   `providerMetadata` get 400, all with `ErrorMessages` bodies. A body with a `Content-Type`
//!   other than JSON gets 415 (`ErrorMessages`, the spec's `default`). Each entity is then
//!   validated on its own against the fragment's item schema, plus what Jira checks beyond it:
//!   association `values` non-empty and without empty strings, `url` and `id` non-empty,
//!   `updateSequenceNumber` within `i64`. Failed incidents are listed in `failedIncidents`
//!   under their `id`, or under `<index N>` (their position in `incidents`) when they have no
//!   usable `id`; the request still gets 202.
//! * **Reviews.** The 202 body has no review fields, so valid reviews are stored and not
//!   listed anywhere; invalid reviews are not stored and the reason is logged. Confirm a
//!   review with `GET /post-incident-reviews/{id}`.
//! * **Storage.** Upsert by ID; a stored entity is replaced only by a higher
//!   `updateSequenceNumber`. An equal or lower one is still listed in `acceptedIncidents`.
//!   `issueIdOrKeys` association values are resolved to project keys (the part before the
//!   last `-`, or the whole value), compared with [`EmulatorConfig::project_keys`] ignoring
//!   ASCII case. Unknown keys are listed in `unknownProjectKeys` (only those matching the
//!   spec's `^\w{1,255}$`; others are logged). An entity whose issue associations are all
//!   unknown is not stored and not listed as accepted; one with at least one known key, or
//!   with no issue association, is stored whole. Reviews follow the same rule. An emulator
//!   started without retention ([`EmulatorConfig::with_retention`], for benchmarks) answers
//!   submits the same way but counts what it would store instead of storing it.
//! * **Asynchrony.** Submits become visible after [`EmulatorConfig::submit_delay`], deletes
//!   after [`EmulatorConfig::delete_delay`] (tokio time; zero means at once). GETs answer what
//!   is stored now: 200 with the entity exactly as submitted, or 404 without a body. A delete
//!   by properties matches against what is stored when it takes effect.
//! * **Deletes.** `DELETE /incidents/{id}` and `/post-incident-reviews/{id}` answer 202 even
//!   when nothing is stored. IDs in paths are percent-decoded, so any ID round-trips when the
//!   client encodes it. `DELETE /bulkByProperties?k=v&...` deletes incidents and reviews whose
//!   request-level `properties` contain every pair (AND); no pair, more than 5, or a key Jira
//!   would not accept gives 400.
//! * **Workspaces.** `POST /linkedWorkspaces/bulk` takes 1 to 100 IDs (more: 413; none,
//!   malformed or empty strings: 400) and lists every distinct submitted ID in
//!   `acceptedWorkspaceIds`, already linked ones included (they stay linked, as an
//!   out-of-order incident update counts as accepted). `GET /linkedWorkspaces` lists the linked
//!   IDs, sorted, and answers 404 when none is linked: the 200 schema requires at least one ID
//!   and the operation declares 404 for "no data". `?workspaceId=X` answers `{"workspaceIds":
//!   ["X"]}` or 404. `DELETE /linkedWorkspaces/bulk?workspaceIds=a,b,c` takes a comma-joined
//!   value (literal or `%2C`) or repeated parameters; without IDs, 400. The spec ties no data
//!   to workspaces, so unlinking a workspace deletes no incident or review.
//! * **Faults** ([`Faults`]): shares of 429 (with `Retry-After` and `X-RateLimit-*`), 503 and
//!   dropped connections, plus latency, from a seeded generator; decided before a request is
//!   processed, never applied to admin routes. A connection is dropped either before the
//!   request is processed (`reset`: nothing changes) or after (`reset-after`: the change is
//!   made and the answer lost), as a real network can do both. The faults can be replaced
//!   while the emulator runs ([`Emulator::set_faults`]).
//! * **Admin view**, outside `/rest/`: `GET /__emulator/state` (counts; `?ids=true` adds the
//!   stored IDs) and `POST /__emulator/reset` (clears all data, pending changes and counters).
//!   They need no authentication: the emulator binds to loopback by default and holds only
//!   test data.
//! * Unknown paths give 404 and known paths with another method 405, without authentication.

mod api;
mod config;
mod faults;
mod schema;
mod server;
mod store;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use config::{
    AppConfig, ConfigError, DEFAULT_APP_KEY, DEFAULT_MAX_BODY_BYTES, DEFAULT_PROJECT_KEYS,
    EmulatorConfig, Scope, UnknownScope,
};
pub use faults::{FaultSpecError, Faults};

use crate::auth::{Clock, Installation, InstallationStore, SignError, Signer, Verifier};
use faults::FaultPlan;
use schema::Schemas;
use store::Store;

/// Why an emulator could not start or run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmulatorError {
    /// The configuration cannot be served.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the system said.
        source: std::io::Error,
    },
    /// The vendored schemas could not be compiled (a build defect).
    #[error("cannot compile the vendored schemas: {0}")]
    Schema(String),
    /// Waiting for Ctrl-C failed.
    #[error("cannot wait for Ctrl-C: {0}")]
    Signal(std::io::Error),
}

/// A snapshot of what an emulator holds and has served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct EmulatorState {
    /// Stored incidents.
    pub incidents: usize,
    /// Stored reviews.
    pub reviews: usize,
    /// Linked workspaces.
    pub workspaces: usize,
    /// Accepted submits and deletes not yet visible (one per request, whatever its size).
    pub pending_operations: usize,
    /// Responses of the emulated API (not the admin routes) by status code, injected faults
    /// included.
    pub requests_by_status: BTreeMap<u16, u64>,
    /// Connections dropped by fault injection, of either kind (`reset` and `reset-after`).
    pub connection_resets: u64,
    /// Of those, requests processed in full before their connection was dropped
    /// (`reset-after`): the change was made, the answer lost. Their statuses are not in
    /// `requests_by_status`.
    #[serde(default)]
    pub answers_lost: u64,
    /// The seed of the fault generator, when faults are configured.
    pub fault_seed: Option<u64>,
    /// Incidents and reviews accepted but not stored, because the emulator was started without
    /// retention ([`EmulatorConfig::with_retention`]); always 0 otherwise, and then left out
    /// of the JSON.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub discarded_entities: u64,
    /// The stored IDs, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ids: Option<StoredIds>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The IDs an emulator stores, each list sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StoredIds {
    /// Incident IDs.
    pub incidents: Vec<String>,
    /// Review IDs.
    pub reviews: Vec<String>,
    /// Linked workspace IDs.
    pub workspaces: Vec<String>,
}

/// A running emulator. Stops when shut down or dropped.
pub struct Emulator {
    base_url: String,
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Starts an emulator on the current tokio runtime; returns once it is listening.
    pub async fn start(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        config.validate()?;
        let schemas = schema::schemas().map_err(EmulatorError::Schema)?;
        let listener =
            TcpListener::bind(config.bind)
                .await
                .map_err(|source| EmulatorError::Bind {
                    addr: config.bind,
                    source,
                })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| EmulatorError::Bind {
                addr: config.bind,
                source,
            })?;
        let base_url = format!("http://{local_addr}");

        let shared = Arc::new(Shared::new(&config, &base_url, schemas));
        let router = api::router(Arc::clone(&shared));
        let (shutdown, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(server::serve(
            listener,
            router,
            Arc::clone(&shared),
            shutdown_rx,
        ));
        tracing::info!(%base_url, apps = config.apps.len(), "Operations API emulator listening");

        Ok(Self {
            base_url,
            local_addr,
            shared,
            shutdown,
            task: Some(task),
        })
    }

    /// The site's base URL: `http://` and the address the emulator listens on, with the port
    /// the system picked when the configured one is 0, without a trailing `/`; by default
    /// `http://127.0.0.1:PORT`. An unspecified bind address (`0.0.0.0`, `::`) stays as it is
    /// here (`http://0.0.0.0:PORT`): a client on another machine uses this machine's name or
    /// address instead.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The address the emulator listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The installation of the first configured app: what a client signs with.
    pub fn installation(&self) -> Installation {
        self.shared.apps.installation(&self.shared.apps.order[0])
    }

    /// The installation of the app with key `app_key`, if installed.
    pub fn installation_for(&self, app_key: &str) -> Option<Installation> {
        self.shared
            .apps
            .by_key
            .contains_key(app_key)
            .then(|| self.shared.apps.installation(app_key))
    }

    /// The installations of every configured app, in configuration order.
    pub fn installations(&self) -> Vec<Installation> {
        self.shared
            .apps
            .order
            .iter()
            .map(|key| self.shared.apps.installation(key))
            .collect()
    }

    /// A signer for the first app, on the emulator's clock.
    pub fn signer(&self) -> Result<Signer, SignError> {
        Signer::new(&self.installation(), Arc::clone(&self.shared.clock))
    }

    /// A generated client for this emulator, signing as the first app.
    pub fn client(&self) -> Result<crate::GeneratedClient, SignError> {
        Ok(crate::GeneratedClient::new(&self.base_url, self.signer()?))
    }

    /// Counts of what is stored and served (without the stored IDs).
    pub fn state(&self) -> EmulatorState {
        self.shared.state(false)
    }

    /// As [`Emulator::state`], with the stored IDs.
    pub fn state_with_ids(&self) -> EmulatorState {
        self.shared.state(true)
    }

    /// Clears all data, pending changes and counters. Apps and faults stay as configured.
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Injects `faults` from the next request on, in place of the configured ones, from a
    /// generator seeded afresh (with `faults.seed`, or at random). For tests that need a
    /// phase of trouble and then a calm one, e.g. to confirm with GETs what a broken
    /// connection left unknown. Refuses faults that do not validate.
    pub fn set_faults(&self, faults: Faults) -> Result<(), FaultSpecError> {
        faults.validate()?;
        self.shared.faults.replace(faults);
        Ok(())
    }

    /// Stops accepting connections and waits (up to 5 s) for open ones to finish.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take()
            && let Err(error) = task.await
        {
            tracing::warn!(%error, "the emulator's server task failed");
        }
        tracing::info!(base_url = %self.base_url, "Operations API emulator stopped");
    }

    /// Serves until Ctrl-C, then shuts down.
    pub async fn serve_until_ctrl_c(self) -> Result<(), EmulatorError> {
        let waited = tokio::signal::ctrl_c().await;
        self.shutdown().await;
        waited.map_err(EmulatorError::Signal)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Starts an emulator, hands it to `ready` (to print its base URL and credentials, say) and
/// serves until Ctrl-C.
pub async fn run(
    config: EmulatorConfig,
    ready: impl FnOnce(&Emulator),
) -> Result<(), EmulatorError> {
    let emulator = Emulator::start(config).await?;
    ready(&emulator);
    emulator.serve_until_ctrl_c().await
}

/// The installed apps, by key: the emulator's [`InstallationStore`].
#[derive(Debug, Clone)]
struct Apps {
    by_key: Arc<HashMap<String, AppConfig>>,
    order: Arc<Vec<String>>,
    base_url: String,
}

impl Apps {
    fn get(&self, key: &str) -> Option<&AppConfig> {
        self.by_key.get(key)
    }

    fn installation(&self, key: &str) -> Installation {
        let app = &self.by_key[key];
        Installation::new(
            app.key.clone(),
            app.client_key.clone(),
            app.shared_secret.clone(),
            self.base_url.clone(),
        )
    }
}

impl InstallationStore for Apps {
    fn find(&self, issuer: &str) -> Option<Installation> {
        self.by_key
            .contains_key(issuer)
            .then(|| self.installation(issuer))
    }
}

#[derive(Debug, Default)]
struct Stats {
    by_status: BTreeMap<u16, u64>,
    resets: u64,
    answers_lost: u64,
    discarded: u64,
}

/// Everything the handlers of one emulator share.
struct Shared {
    verifier: Verifier<Apps>,
    apps: Apps,
    projects: HashSet<String>,
    schemas: &'static Schemas,
    store: Mutex<Store>,
    stats: Mutex<Stats>,
    faults: FaultPlan,
    clock: Arc<dyn Clock>,
    submit_delay: Duration,
    delete_delay: Duration,
    max_body_bytes: usize,
    retain_entities: bool,
}

impl Shared {
    fn new(config: &EmulatorConfig, base_url: &str, schemas: &'static Schemas) -> Self {
        let apps = Apps {
            by_key: Arc::new(
                config
                    .apps
                    .iter()
                    .map(|app| (app.key.clone(), app.clone()))
                    .collect(),
            ),
            order: Arc::new(config.apps.iter().map(|app| app.key.clone()).collect()),
            base_url: base_url.to_string(),
        };
        let verifier = Verifier::new(apps.clone(), base_url)
            .leeway_secs(config.token_leeway_secs)
            .clock(Arc::clone(&config.clock))
            .decoded_path_fallback(false);
        Self {
            verifier,
            apps,
            projects: config
                .project_keys
                .iter()
                .map(|key| key.to_ascii_uppercase())
                .collect(),
            schemas,
            store: Mutex::new(Store::default()),
            stats: Mutex::new(Stats::default()),
            faults: FaultPlan::new(config.faults.clone()),
            clock: Arc::clone(&config.clock),
            submit_delay: config.submit_delay,
            delete_delay: config.delete_delay,
            max_body_bytes: config.max_body_bytes,
            retain_entities: config.retain_entities,
        }
    }

    /// The store; a panic elsewhere while it was held leaves it usable.
    fn lock_store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_stats(&self) -> MutexGuard<'_, Stats> {
        self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn count_status(&self, status: StatusCode) {
        *self
            .lock_stats()
            .by_status
            .entry(status.as_u16())
            .or_default() += 1;
    }

    /// Counts a dropped connection; `processed` when the request was applied first.
    fn count_reset(&self, processed: bool) {
        let mut stats = self.lock_stats();
        stats.resets += 1;
        stats.answers_lost += u64::from(processed);
    }

    fn count_discarded(&self, entities: usize) {
        self.lock_stats().discarded += entities as u64;
    }

    fn state(&self, with_ids: bool) -> EmulatorState {
        let (counts, ids) = {
            let mut store = self.lock_store();
            store.apply_due(tokio::time::Instant::now());
            let ids = with_ids.then(|| {
                let (incidents, reviews) = store.ids();
                StoredIds {
                    incidents,
                    reviews,
                    workspaces: store.workspaces().iter().cloned().collect(),
                }
            });
            (store.counts(), ids)
        };
        let (requests_by_status, connection_resets, answers_lost, discarded_entities) = {
            let stats = self.lock_stats();
            (
                stats.by_status.clone(),
                stats.resets,
                stats.answers_lost,
                stats.discarded,
            )
        };
        let (incidents, reviews, workspaces, pending_operations) = counts;
        EmulatorState {
            incidents,
            reviews,
            workspaces,
            pending_operations,
            requests_by_status,
            connection_resets,
            answers_lost,
            fault_seed: self.faults.seed(),
            discarded_entities,
            ids,
        }
    }

    fn reset(&self) {
        self.lock_store().clear();
        *self.lock_stats() = Stats::default();
    }
}

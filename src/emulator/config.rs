//! What an emulator is started with: the address, the installed apps and their scopes, the
//! site's projects, the timing of asynchronous effects, limits and faults.

use std::collections::HashSet;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng as _;

use super::faults::Faults;
use crate::auth::{Clock, DEFAULT_LEEWAY_SECS, clock};

/// The app key of the app an emulator installs unless told otherwise.
pub const DEFAULT_APP_KEY: &str = "com.example.jira-ops-emulator";

/// The project keys an emulated site has unless told otherwise.
///
/// Issue associations (`issueIdOrKeys`) naming other projects are reported in
/// `unknownProjectKeys`.
pub const DEFAULT_PROJECT_KEYS: &[&str] = &["OPS", "INC", "SRE"];

/// The request body size above which an emulator answers 413, unless told otherwise: 10 MiB.
///
/// Atlassian documents no byte limit; this one is large enough for 1000 ordinary incidents.
pub const DEFAULT_MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// A Connect scope an app declares in its descriptor.
///
/// Scopes are hierarchical: `WRITE` implies `READ`; `DELETE` implies `WRITE`; `PROJECT_ADMIN`
/// implies `DELETE`; `ADMIN` implies `PROJECT_ADMIN`. See [`Scope::implies`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Scope {
    /// `READ`: the Operations GETs.
    Read,
    /// `WRITE`: the Operations POSTs.
    Write,
    /// `DELETE`: the Operations DELETEs.
    Delete,
    /// `PROJECT_ADMIN`.
    ProjectAdmin,
    /// `ADMIN`.
    Admin,
}

impl Scope {
    /// Every scope, weakest first.
    pub const ALL: [Scope; 5] = [
        Scope::Read,
        Scope::Write,
        Scope::Delete,
        Scope::ProjectAdmin,
        Scope::Admin,
    ];

    /// The name used in Connect descriptors (`READ`, `PROJECT_ADMIN`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "READ",
            Scope::Write => "WRITE",
            Scope::Delete => "DELETE",
            Scope::ProjectAdmin => "PROJECT_ADMIN",
            Scope::Admin => "ADMIN",
        }
    }

    /// Whether an app holding `self` may do what `needed` allows.
    ///
    /// The Connect scopes form a chain, so this is "at least as strong as".
    pub fn implies(self, needed: Scope) -> bool {
        self >= needed
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scope name that is not one of `READ`, `WRITE`, `DELETE`, `PROJECT_ADMIN`, `ADMIN`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope `{0}` (expected READ, WRITE, DELETE, PROJECT_ADMIN or ADMIN)")]
pub struct UnknownScope(pub String);

impl FromStr for Scope {
    type Err = UnknownScope;

    /// Parses a descriptor scope name, ignoring case; `-` may stand for `_`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normalized = s.trim().to_ascii_uppercase().replace('-', "_");
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == normalized)
            .ok_or_else(|| UnknownScope(s.to_string()))
    }
}

/// One Connect app installed on the emulated site.
///
/// `Debug` never shows the shared secret.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppConfig {
    /// The app key: the `iss` of the tokens the app signs.
    pub key: String,
    /// The site's identifier for this installation.
    pub client_key: String,
    /// The HS256 secret the app signs with.
    pub shared_secret: String,
    /// The scopes the app's descriptor declares.
    pub scopes: Vec<Scope>,
    /// Whether the app's descriptor declares the `jiraOperationsInfoProvider` module; without
    /// it every Operations call is refused with 403.
    pub operations_module: bool,
}

impl AppConfig {
    /// An app with key `key`, a random client key, a random 256-bit shared secret, the scopes
    /// `READ`, `WRITE` and `DELETE`, and the Operations module.
    pub fn new(key: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            client_key: random_client_key(),
            shared_secret: random_secret(),
            scopes: vec![Scope::Read, Scope::Write, Scope::Delete],
            operations_module: true,
        }
    }

    /// Fixes the client key.
    pub fn with_client_key(mut self, client_key: impl Into<String>) -> Self {
        self.client_key = client_key.into();
        self
    }

    /// Fixes the shared secret.
    pub fn with_shared_secret(mut self, shared_secret: impl Into<String>) -> Self {
        self.shared_secret = shared_secret.into();
        self
    }

    /// Replaces the declared scopes.
    pub fn with_scopes(mut self, scopes: impl IntoIterator<Item = Scope>) -> Self {
        self.scopes = scopes.into_iter().collect();
        self
    }

    /// Sets whether the app declares the Operations module.
    pub fn with_operations_module(mut self, declared: bool) -> Self {
        self.operations_module = declared;
        self
    }

    /// Whether one of the app's scopes implies `needed`.
    pub fn allows(&self, needed: Scope) -> bool {
        self.scopes.iter().any(|scope| scope.implies(needed))
    }
}

impl Default for AppConfig {
    /// [`AppConfig::new`] with [`DEFAULT_APP_KEY`].
    fn default() -> Self {
        Self::new(DEFAULT_APP_KEY)
    }
}

impl fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppConfig")
            .field("key", &self.key)
            .field("client_key", &self.client_key)
            .field("shared_secret", &"<redacted>")
            .field("scopes", &self.scopes)
            .field("operations_module", &self.operations_module)
            .finish()
    }
}

/// How an emulator is started.
///
/// Every field has a default ([`EmulatorConfig::default`]); change the ones you need, through
/// the fields or the `with_*` methods:
///
/// ```
/// # use std::time::Duration;
/// # use jira_operations::emulator::{EmulatorConfig, Faults};
/// let config = EmulatorConfig::default()
///     .with_visibility_delay(Duration::from_millis(200))
///     .with_faults("429=5%,seed=7".parse::<Faults>().unwrap());
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EmulatorConfig {
    /// Where to listen. Default `127.0.0.1:0`: loopback, a free port.
    pub bind: SocketAddr,
    /// The installed apps. Default: one [`AppConfig::default`].
    pub apps: Vec<AppConfig>,
    /// The site's project keys, compared without regard to ASCII case. Default
    /// [`DEFAULT_PROJECT_KEYS`].
    pub project_keys: Vec<String>,
    /// How long after a submit (`POST /bulk`, `POST /linkedWorkspaces/bulk`) its effect becomes
    /// visible. Default zero: visible to the next request.
    pub submit_delay: Duration,
    /// How long after a delete its effect becomes visible. Default zero.
    pub delete_delay: Duration,
    /// Request bodies larger than this are answered 413. Default [`DEFAULT_MAX_BODY_BYTES`].
    pub max_body_bytes: usize,
    /// How far past `exp` a token is still accepted, in seconds. Default 30, as Jira.
    pub token_leeway_secs: u64,
    /// Where token time checks read the time. Default: the system clock.
    pub clock: Arc<dyn Clock>,
    /// Faults injected into the emulated API. Default: none.
    pub faults: Faults,
    /// Whether accepted incidents and reviews are stored. Default `true`.
    ///
    /// A benchmarking option: with `false`, submits are authenticated, validated and answered
    /// exactly as usual, but the accepted entities are counted
    /// ([`EmulatorState::discarded_entities`](super::EmulatorState::discarded_entities)) instead
    /// of stored, so GETs answer 404 and the emulator's memory does not grow with what is sent.
    /// That lets a process measure its own memory while submitting millions of entities to an
    /// emulator it runs in-process.
    pub retain_entities: bool,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            apps: vec![AppConfig::default()],
            project_keys: DEFAULT_PROJECT_KEYS
                .iter()
                .map(|key| (*key).to_string())
                .collect(),
            submit_delay: Duration::ZERO,
            delete_delay: Duration::ZERO,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            token_leeway_secs: DEFAULT_LEEWAY_SECS,
            clock: clock::system(),
            faults: Faults::default(),
            retain_entities: true,
        }
    }
}

impl EmulatorConfig {
    /// Listens on `bind` instead of `127.0.0.1:0`.
    pub fn with_bind(mut self, bind: SocketAddr) -> Self {
        self.bind = bind;
        self
    }

    /// Replaces the installed apps.
    pub fn with_apps(mut self, apps: impl IntoIterator<Item = AppConfig>) -> Self {
        self.apps = apps.into_iter().collect();
        self
    }

    /// Installs one more app.
    pub fn with_app(mut self, app: AppConfig) -> Self {
        self.apps.push(app);
        self
    }

    /// Replaces the site's project keys.
    pub fn with_project_keys<I, K>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = K>,
        K: Into<String>,
    {
        self.project_keys = keys.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the same visibility delay for submits and deletes.
    pub fn with_visibility_delay(mut self, delay: Duration) -> Self {
        self.submit_delay = delay;
        self.delete_delay = delay;
        self
    }

    /// Sets the visibility delay of submits.
    pub fn with_submit_delay(mut self, delay: Duration) -> Self {
        self.submit_delay = delay;
        self
    }

    /// Sets the visibility delay of deletes.
    pub fn with_delete_delay(mut self, delay: Duration) -> Self {
        self.delete_delay = delay;
        self
    }

    /// Sets the body size limit.
    pub fn with_max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Sets the leeway on `exp`.
    pub fn with_token_leeway_secs(mut self, secs: u64) -> Self {
        self.token_leeway_secs = secs;
        self
    }

    /// Reads token times from `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Injects `faults`.
    pub fn with_faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Sets [`retain_entities`](Self::retain_entities): `false` validates and counts accepted
    /// entities without storing them (for benchmarks).
    pub fn with_retention(mut self, retain: bool) -> Self {
        self.retain_entities = retain;
        self
    }

    /// Checks that the configuration can be served.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.apps.is_empty() {
            return Err(ConfigError("at least one app must be installed".into()));
        }
        let mut keys = HashSet::new();
        for app in &self.apps {
            if app.key.is_empty() {
                return Err(ConfigError("an app key is empty".into()));
            }
            if app.shared_secret.is_empty() {
                return Err(ConfigError(format!(
                    "the shared secret of app `{}` is empty",
                    app.key
                )));
            }
            if !keys.insert(app.key.as_str()) {
                return Err(ConfigError(format!("app `{}` is installed twice", app.key)));
            }
        }
        if self.max_body_bytes == 0 {
            return Err(ConfigError("the body size limit must be positive".into()));
        }
        self.faults
            .validate()
            .map_err(|e| ConfigError(e.to_string()))
    }
}

/// A configuration that cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid emulator configuration: {0}")]
pub struct ConfigError(pub String);

/// A random client key shaped like the UUIDs Jira uses.
fn random_client_key() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A random 256-bit secret, hex-encoded.
fn random_secret() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_hierarchy_follows_the_connect_chain() {
        assert!(Scope::Write.implies(Scope::Read));
        assert!(!Scope::Read.implies(Scope::Write));
        assert!(Scope::Delete.implies(Scope::Write));
        assert!(Scope::Delete.implies(Scope::Read));
        assert!(!Scope::Write.implies(Scope::Delete));
        assert!(Scope::ProjectAdmin.implies(Scope::Delete));
        assert!(Scope::Admin.implies(Scope::Delete));
        assert!(Scope::Admin.implies(Scope::ProjectAdmin));
        assert!(!Scope::ProjectAdmin.implies(Scope::Admin));
    }

    #[test]
    fn scope_names_parse_in_any_case() {
        assert_eq!("project_admin".parse(), Ok(Scope::ProjectAdmin));
        assert_eq!("Project-Admin".parse(), Ok(Scope::ProjectAdmin));
        assert_eq!("READ".parse(), Ok(Scope::Read));
        assert!("ACT_AS_USER".parse::<Scope>().is_err());
    }

    #[test]
    fn app_debug_hides_the_secret() {
        let app = AppConfig::default().with_shared_secret("s3cr3t-value");
        let shown = format!("{app:?}");
        assert!(!shown.contains("s3cr3t-value"), "{shown}");
        assert!(shown.contains(DEFAULT_APP_KEY));
    }

    #[test]
    fn generated_credentials_differ_between_apps() {
        let a = AppConfig::default();
        let b = AppConfig::default();
        assert_ne!(a.shared_secret, b.shared_secret);
        assert_ne!(a.client_key, b.client_key);
        assert_eq!(a.shared_secret.len(), 64);
        assert_eq!(a.client_key.len(), 36);
    }

    #[test]
    fn validation_refuses_duplicate_apps_and_no_apps() {
        let twice = EmulatorConfig::default().with_app(AppConfig::default());
        assert!(twice.validate().is_err());
        let none = EmulatorConfig::default().with_apps([]);
        assert!(none.validate().is_err());
        assert!(EmulatorConfig::default().validate().is_ok());
    }
}

//! Verifying an incoming Connect JWT, as Jira does for calls from an app and as an app must
//! for calls from Jira.
//!
//! The checks, in order: the `Authorization: JWT <token>` form; the header's algorithm pinned
//! to HS256 (so `none`, HS512 or an RS256 token on this symmetric path are refused before any
//! key is used); the issuer found in an [`InstallationStore`]; the signature over the bytes
//! received; `exp` and `iat` present and `exp` not past beyond the leeway; and `qsh` equal to
//! the hash of the request received, relative to the given base URL. A `context-qsh` token is
//! accepted only where the caller allows it. Every refusal is a distinct [`Rejection`].

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::canonical::{CanonicalRequest, context_path};
use super::clock::{self, Clock};
use super::installation::Installation;

/// The fixed `qsh` of context tokens, which are not bound to a request.
pub const CONTEXT_QSH: &str = "context-qsh";

/// Looks up the installation that issued a token.
pub trait InstallationStore: Send + Sync {
    /// The installation whose tokens carry `issuer` as `iss`.
    fn find(&self, issuer: &str) -> Option<Installation>;
}

/// An in-memory [`InstallationStore`] keyed by issuer.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    by_issuer: Arc<RwLock<HashMap<String, Installation>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores `installation` under `issuer`, replacing any earlier one.
    pub fn insert(&self, issuer: impl Into<String>, installation: Installation) {
        self.by_issuer
            .write()
            .expect("store lock")
            .insert(issuer.into(), installation);
    }

    /// Removes the installation stored under `issuer`.
    pub fn remove(&self, issuer: &str) -> Option<Installation> {
        self.by_issuer.write().expect("store lock").remove(issuer)
    }
}

impl InstallationStore for MemoryStore {
    fn find(&self, issuer: &str) -> Option<Installation> {
        self.by_issuer
            .read()
            .expect("store lock")
            .get(issuer)
            .cloned()
    }
}

impl<S: InstallationStore + ?Sized> InstallationStore for Arc<S> {
    fn find(&self, issuer: &str) -> Option<Installation> {
        (**self).find(issuer)
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// No token in the request.
    #[error("no Connect JWT in the request")]
    Missing,
    /// An `Authorization` header with another scheme than `JWT`.
    #[error("the Authorization header does not use the JWT scheme")]
    WrongScheme,
    /// Not a compact JWS, or its parts do not decode.
    #[error("the token is malformed")]
    Malformed,
    /// The header names another algorithm than HS256.
    #[error("the token's algorithm is `{0}`, only HS256 is accepted")]
    Algorithm(String),
    /// No installation is known for the `iss` claim.
    #[error("unknown issuer `{0}`")]
    UnknownIssuer(String),
    /// The signature does not match the shared secret.
    #[error("the signature does not verify")]
    BadSignature,
    /// `exp` is in the past beyond the leeway.
    #[error("the token has expired")]
    Expired,
    /// `nbf` is in the future beyond the leeway.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// A required claim is missing.
    #[error("the token has no `{0}` claim")]
    MissingClaim(String),
    /// `qsh` does not match the request.
    #[error("the qsh claim does not match the request")]
    WrongQsh,
    /// A context token on a route that does not accept them.
    #[error("a context token (qsh `context-qsh`) is not accepted here")]
    ContextToken,
}

/// What a verified token says.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The installation that issued the token.
    pub installation: Installation,
    /// The `iss` claim.
    pub issuer: String,
    /// The `sub` claim: the Atlassian account ID of the user, when there is one.
    pub account_id: Option<String>,
    /// Whether the token was a context token.
    pub context_token: bool,
}

#[derive(Deserialize)]
struct Claims {
    iss: Option<String>,
    sub: Option<String>,
    qsh: Option<String>,
}

/// The request being verified, as received. Its `Debug` shows the scheme of the
/// `Authorization` header but never the token, and hides a `jwt` query parameter's value.
#[derive(Clone, Copy)]
pub struct Incoming<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Path as received, percent-encoded.
    pub path: &'a str,
    /// Query as received, without `?`.
    pub query: Option<&'a str>,
    /// The `Authorization` header, if any.
    pub authorization: Option<&'a str>,
}

impl fmt::Debug for Incoming<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let query = self.query.map(|query| {
            form_urlencoded::parse(query.as_bytes())
                .map(|(name, value)| match name.as_ref() {
                    "jwt" => format!("{name}=<redacted>"),
                    _ => format!("{name}={value}"),
                })
                .collect::<Vec<_>>()
                .join("&")
        });
        let authorization = self
            .authorization
            .map(|header| match header.split_once(' ') {
                Some((scheme, _)) => format!("<redacted, scheme {scheme}>"),
                None => "<redacted>".to_string(),
            });
        f.debug_struct("Incoming")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &query)
            .field("authorization", &authorization)
            .finish()
    }
}

impl Incoming<'_> {
    /// The token: from the `Authorization: JWT` header, else from a `jwt` query parameter.
    pub fn token(&self) -> Result<String, Rejection> {
        if let Some(header) = self.authorization {
            return match header.strip_prefix("JWT ") {
                Some(token) if !token.trim().is_empty() => Ok(token.trim().to_string()),
                Some(_) => Err(Rejection::Malformed),
                None => Err(Rejection::WrongScheme),
            };
        }
        let query = self.query.unwrap_or("");
        form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "jwt")
            .map(|(_, value)| value.into_owned())
            .ok_or(Rejection::Missing)
    }
}

/// Checks Connect JWTs against an installation store.
pub struct Verifier<S> {
    store: S,
    context_path: String,
    leeway_secs: u64,
    clock: Arc<dyn Clock>,
    decoded_path_fallback: bool,
}

impl<S> fmt::Debug for Verifier<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("context_path", &self.context_path)
            .field("leeway_secs", &self.leeway_secs)
            .finish_non_exhaustive()
    }
}

/// Jira's leeway on `exp`, in seconds.
pub const DEFAULT_LEEWAY_SECS: u64 = 30;

impl<S: InstallationStore> Verifier<S> {
    /// A verifier for requests relative to `base_url` (a Jira site's URL when emulating Jira,
    /// the app's own base URL when receiving Jira's calls), with a 30 s leeway.
    pub fn new(store: S, base_url: &str) -> Self {
        Self {
            store,
            context_path: context_path(base_url),
            leeway_secs: DEFAULT_LEEWAY_SECS,
            clock: clock::system(),
            decoded_path_fallback: false,
        }
    }

    /// Sets the leeway on `exp` and `nbf`.
    pub fn leeway_secs(mut self, secs: u64) -> Self {
        self.leeway_secs = secs;
        self
    }

    /// Reads the time from `clock`.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Also accepts a `qsh` computed over the percent-decoded path, as Jira computes it for
    /// its calls to apps.
    pub fn decoded_path_fallback(mut self, on: bool) -> Self {
        self.decoded_path_fallback = on;
        self
    }

    /// The store tokens are checked against.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Verifies the token of `request`; `allow_context` admits `context-qsh` tokens.
    pub fn verify(
        &self,
        request: &Incoming<'_>,
        allow_context: bool,
    ) -> Result<Verified, Rejection> {
        let token = request.token()?;
        self.verify_token(&token, request, allow_context)
    }

    /// Verifies `token` for `request`.
    pub fn verify_token(
        &self,
        token: &str,
        request: &Incoming<'_>,
        allow_context: bool,
    ) -> Result<Verified, Rejection> {
        if token.split('.').count() != 3 {
            return Err(Rejection::Malformed);
        }
        // A header the library cannot read is either malformed or names an algorithm it does
        // not know (`none`); say which.
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| header_alg(token).map_or(Rejection::Malformed, Rejection::Algorithm))?;
        if header.alg != Algorithm::HS256 {
            return Err(Rejection::Algorithm(format!("{:?}", header.alg)));
        }

        let unverified: Claims = jsonwebtoken::dangerous::insecure_decode::<Claims>(token)
            .map_err(|_| Rejection::Malformed)?
            .claims;
        let issuer = unverified
            .iss
            .ok_or_else(|| Rejection::MissingClaim("iss".into()))?;
        let installation = self
            .store
            .find(&issuer)
            .ok_or_else(|| Rejection::UnknownIssuer(issuer.clone()))?;

        // The library checks the signature and that `exp` is present; it ignores `iat` in
        // `required_spec_claims`, so `iat` is checked below with the times.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = self.leeway_secs;
        validation.validate_aud = false;
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp"]);
        let key = DecodingKey::from_secret(installation.shared_secret.as_bytes())
            .map_err(|_| Rejection::BadSignature)?;
        let claims = jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => Rejection::BadSignature,
                ErrorKind::ExpiredSignature => Rejection::Expired,
                ErrorKind::ImmatureSignature => Rejection::NotYetValid,
                ErrorKind::MissingRequiredClaim(claim) => Rejection::MissingClaim(claim.clone()),
                ErrorKind::InvalidAlgorithm => Rejection::Algorithm(format!("{:?}", header.alg)),
                _ => Rejection::Malformed,
            })?
            .claims;

        // Jira requires both `exp` and `iat`, as whole seconds. Time checks use the injected
        // clock, not the library's.
        let exp = time_claim(&claims, "exp")?;
        time_claim(&claims, "iat")?;
        let now = self.clock.now_secs();
        if now > exp.saturating_add(self.leeway_secs) {
            return Err(Rejection::Expired);
        }
        if let Some(nbf) = claims.get("nbf").and_then(serde_json::Value::as_u64)
            && nbf > now.saturating_add(self.leeway_secs)
        {
            return Err(Rejection::NotYetValid);
        }

        let qsh = unverified
            .qsh
            .ok_or_else(|| Rejection::MissingClaim("qsh".into()))?;
        let context_token = qsh == CONTEXT_QSH;
        if context_token {
            if !allow_context {
                return Err(Rejection::ContextToken);
            }
        } else if !self.qsh_matches(&qsh, request) {
            return Err(Rejection::WrongQsh);
        }

        Ok(Verified {
            installation,
            issuer,
            account_id: unverified.sub,
            context_token,
        })
    }

    fn qsh_matches(&self, qsh: &str, request: &Incoming<'_>) -> bool {
        let raw = CanonicalRequest::new(
            request.method,
            request.path,
            request.query,
            &self.context_path,
        );
        if raw.qsh() == qsh {
            return true;
        }
        if !self.decoded_path_fallback {
            return false;
        }
        let decoded = percent_encoding::percent_decode_str(request.path).decode_utf8_lossy();
        decoded != request.path
            && CanonicalRequest::new(request.method, &decoded, request.query, &self.context_path)
                .qsh()
                == qsh
    }
}

/// A required time claim in whole seconds: absent is [`Rejection::MissingClaim`], anything
/// but a non-negative integer is [`Rejection::Malformed`].
fn time_claim(claims: &serde_json::Value, name: &str) -> Result<u64, Rejection> {
    match claims.get(name) {
        None | Some(serde_json::Value::Null) => Err(Rejection::MissingClaim(name.to_string())),
        Some(value) => value.as_u64().ok_or(Rejection::Malformed),
    }
}

/// The `alg` of a token's header, read without the JWT library (which knows no `none`).
fn header_alg(token: &str) -> Option<String> {
    use base64::Engine as _;
    let header = token.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.get("alg")?.as_str().map(str::to_string)
}

//! Verifying the signed `installed` and `uninstalled` callbacks (RS256 "signed install").
//!
//! The installed callback carries the site's shared secret, the key to every later call. If
//! the app stored whatever was posted, anyone could register a fake site, or replace a real
//! site's secret with their own. With `apiMigrations: {"signed-install": true}` in the
//! descriptor, Jira signs these callbacks with an RS256 key Atlassian publishes by key ID, so
//! the app can check, before storing anything:
//!
//! - the header's algorithm is RS256 (a legacy HS256 token, signed with the secret in the
//!   very body it vouches for, proves nothing) and it names a `kid`;
//! - the signature verifies with the public key fetched as `<key server>/<kid>` (cached per
//!   `kid`; a rotated key gets a new `kid`);
//! - `exp` and `iat` are present and `exp` is not past beyond the leeway;
//! - `aud` is the app's base URL (one trailing `/` ignored on either side);
//! - `iss` is the body's `clientKey`;
//! - `qsh` hashes the callback request, relative to the app's base URL.
//!
//! Keys are cached only once fetched: a callback naming an unknown `kid` costs one request to
//! each key server, signed or not.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use crate::auth::canonical::{CanonicalRequest, context_path};
use crate::auth::{Clock, DEFAULT_LEEWAY_SECS, Incoming, Installation, Rejection, SystemClock};

/// Where Atlassian publishes the public keys of signed installs.
pub const PRODUCTION_KEY_SERVER: &str = "https://connect-install-keys.atlassian.com";

/// Why an install callback was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InstallRejection {
    /// No usable `Authorization: JWT` header.
    #[error(transparent)]
    Token(Rejection),
    /// The token is not RS256 (for instance a legacy HS256 install token).
    #[error("the install token's algorithm is `{0}`, only RS256 is accepted")]
    Algorithm(String),
    /// The token's header has no `kid`.
    #[error("the install token's header names no key (`kid`)")]
    MissingKid,
    /// The public key could not be fetched or read.
    #[error("cannot get the install key `{kid}`: {reason}")]
    KeyUnavailable {
        /// The key ID asked for.
        kid: String,
        /// What went wrong.
        reason: String,
    },
    /// The signature does not verify with the published key.
    #[error("the install token's signature does not verify")]
    BadSignature,
    /// `exp` is past beyond the leeway.
    #[error("the install token has expired")]
    Expired,
    /// `nbf` is in the future beyond the leeway.
    #[error("the install token is not valid yet")]
    NotYetValid,
    /// A required claim is missing or not of the right type.
    #[error("the install token has no valid `{0}` claim")]
    MissingClaim(String),
    /// `aud` is not the app's base URL.
    #[error("the install token is for {found}, not for this app ({expected})")]
    Audience {
        /// The `aud` claim, as JSON.
        found: String,
        /// The app's base URL.
        expected: String,
    },
    /// `iss` differs from the body's `clientKey`.
    #[error("the install token was issued by `{issuer}` but the body is for `{client_key}`")]
    IssuerMismatch {
        /// The `iss` claim.
        issuer: String,
        /// The body's `clientKey`.
        client_key: String,
    },
    /// `qsh` does not hash this request.
    #[error("the install token's qsh does not match the request")]
    WrongQsh,
    /// The body is not an installation payload.
    #[error("the install body is not valid: {0}")]
    Body(String),
}

impl From<Rejection> for InstallRejection {
    fn from(rejection: Rejection) -> Self {
        Self::Token(rejection)
    }
}

/// The install callback as received.
#[derive(Clone, Copy)]
pub struct InstallRequest<'a> {
    /// HTTP method (`POST`).
    pub method: &'a str,
    /// Path as received, e.g. `/connect/installed`.
    pub path: &'a str,
    /// Query as received, without `?`.
    pub query: Option<&'a str>,
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
    /// The body, as received.
    pub body: &'a [u8],
}

impl fmt::Debug for InstallRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InstallRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// Checks signed install and uninstall callbacks for one app.
pub struct InstallVerifier {
    app_base_url: String,
    key_servers: Vec<url::Url>,
    http: reqwest::Client,
    keys: Mutex<HashMap<String, DecodingKey>>,
    clock: Arc<dyn Clock>,
    leeway_secs: u64,
}

impl fmt::Debug for InstallVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InstallVerifier")
            .field("app_base_url", &self.app_base_url)
            .field(
                "key_servers",
                &self
                    .key_servers
                    .iter()
                    .map(url::Url::as_str)
                    .collect::<Vec<_>>(),
            )
            .field("leeway_secs", &self.leeway_secs)
            .finish_non_exhaustive()
    }
}

impl InstallVerifier {
    /// A verifier for the app at `app_base_url` (exactly as in its descriptor), fetching keys
    /// from Atlassian's production key server, on the system clock with a 30 s leeway.
    pub fn new(app_base_url: &str) -> Self {
        Self {
            app_base_url: app_base_url.to_string(),
            key_servers: vec![url::Url::parse(PRODUCTION_KEY_SERVER).expect("a valid URL")],
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            keys: Mutex::new(HashMap::new()),
            clock: Arc::new(SystemClock),
            leeway_secs: DEFAULT_LEEWAY_SECS,
        }
    }

    /// Fetches keys from these servers instead, tried in order (`<server>/<kid>`).
    pub fn key_servers(mut self, servers: &[&str]) -> Result<Self, url::ParseError> {
        self.key_servers = servers
            .iter()
            .map(|s| url::Url::parse(s))
            .collect::<Result<_, _>>()?;
        Ok(self)
    }

    /// Reads the time from `clock`.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Sets the leeway on `exp` and `nbf`.
    pub fn leeway_secs(mut self, secs: u64) -> Self {
        self.leeway_secs = secs;
        self
    }

    /// The app's base URL tokens must be addressed to.
    pub fn app_base_url(&self) -> &str {
        &self.app_base_url
    }

    /// Checks `request` and returns the installation it carries.
    pub async fn verify(
        &self,
        request: &InstallRequest<'_>,
    ) -> Result<Installation, InstallRejection> {
        let token = Incoming {
            method: request.method,
            path: request.path,
            query: request.query,
            authorization: request.authorization,
        }
        .token()?;
        let header = jsonwebtoken::decode_header(&token).map_err(|_| Rejection::Malformed)?;
        if header.alg != Algorithm::RS256 {
            return Err(InstallRejection::Algorithm(format!("{:?}", header.alg)));
        }
        let kid = header
            .kid
            .filter(|kid| !kid.is_empty())
            .ok_or(InstallRejection::MissingKid)?;
        if kid == "." || kid == ".." {
            return Err(InstallRejection::KeyUnavailable {
                kid,
                reason: "not a key ID".into(),
            });
        }

        let key = self.key(&kid).await?;
        let claims = self.claims(&token, &key)?;

        let installation: Installation =
            serde_json::from_slice(request.body).map_err(body_error)?;
        self.check_audience(&claims)?;
        let issuer = claim_str(&claims, "iss")?;
        if issuer != installation.client_key {
            return Err(InstallRejection::IssuerMismatch {
                issuer: issuer.to_string(),
                client_key: installation.client_key,
            });
        }
        let expected = CanonicalRequest::new(
            request.method,
            request.path,
            request.query,
            &context_path(&self.app_base_url),
        );
        if claim_str(&claims, "qsh")? != expected.qsh() {
            return Err(InstallRejection::WrongQsh);
        }
        Ok(installation)
    }

    fn claims(&self, token: &str, key: &DecodingKey) -> Result<Value, InstallRejection> {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "iat"]);
        let claims = jsonwebtoken::decode::<Value>(token, key, &validation)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => InstallRejection::BadSignature,
                ErrorKind::MissingRequiredClaim(claim) => {
                    InstallRejection::MissingClaim(claim.clone())
                }
                ErrorKind::InvalidAlgorithm => InstallRejection::Algorithm("RS256 expected".into()),
                _ => InstallRejection::Token(Rejection::Malformed),
            })?
            .claims;

        // Time checks against the injected clock.
        let now = self.clock.now_secs();
        let exp = claims
            .get("exp")
            .and_then(Value::as_u64)
            .ok_or_else(|| InstallRejection::MissingClaim("exp".into()))?;
        if now > exp + self.leeway_secs {
            return Err(InstallRejection::Expired);
        }
        if let Some(nbf) = claims.get("nbf").and_then(Value::as_u64)
            && nbf > now + self.leeway_secs
        {
            return Err(InstallRejection::NotYetValid);
        }
        Ok(claims)
    }

    fn check_audience(&self, claims: &Value) -> Result<(), InstallRejection> {
        let expected = self
            .app_base_url
            .strip_suffix('/')
            .unwrap_or(&self.app_base_url);
        let matches = |aud: &str| aud.strip_suffix('/').unwrap_or(aud) == expected;
        let ok = match claims.get("aud") {
            Some(Value::String(aud)) => matches(aud),
            Some(Value::Array(auds)) => auds.iter().filter_map(Value::as_str).any(matches),
            _ => return Err(InstallRejection::MissingClaim("aud".into())),
        };
        if ok {
            Ok(())
        } else {
            Err(InstallRejection::Audience {
                found: claims["aud"].to_string(),
                expected: self.app_base_url.clone(),
            })
        }
    }

    /// The public key for `kid`, from the cache or the first key server that has it.
    async fn key(&self, kid: &str) -> Result<DecodingKey, InstallRejection> {
        if let Some(key) = self.keys.lock().expect("key cache lock").get(kid) {
            return Ok(key.clone());
        }

        let mut last_error = String::from("no key server configured");
        for server in &self.key_servers {
            let mut url = server.clone();
            // The kid becomes one path segment: a `/` or `..` in it cannot leave the server's path.
            match url.path_segments_mut() {
                Ok(mut segments) => {
                    segments.pop_if_empty().push(kid);
                }
                Err(()) => {
                    last_error = format!("{server} cannot take a path");
                    continue;
                }
            }
            match self.fetch_pem(url).await {
                Ok(pem) => {
                    let key = public_key_from_pem(&pem).map_err(|reason| {
                        InstallRejection::KeyUnavailable {
                            kid: kid.to_string(),
                            reason: reason.to_string(),
                        }
                    })?;
                    self.keys
                        .lock()
                        .expect("key cache lock")
                        .insert(kid.to_string(), key.clone());
                    return Ok(key);
                }
                Err(e) => last_error = e,
            }
        }
        Err(InstallRejection::KeyUnavailable {
            kid: kid.to_string(),
            reason: last_error,
        })
    }

    async fn fetch_pem(&self, url: url::Url) -> Result<String, String> {
        let shown = url.to_string();
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| format!("GET {shown}: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("GET {shown}: status {}", response.status()));
        }
        response
            .text()
            .await
            .map_err(|e| format!("GET {shown}: {e}"))
    }
}

/// An RSA public key from PEM (`PUBLIC KEY`, as published, or `RSA PUBLIC KEY`).
///
/// Only the armour is removed here; the DER inside (SubjectPublicKeyInfo or PKCS#1) is parsed
/// and checked by the crypto backend when the signature is verified.
fn public_key_from_pem(pem: &str) -> Result<DecodingKey, &'static str> {
    use base64::Engine as _;

    let pem = pem.trim();
    let body = ["PUBLIC KEY", "RSA PUBLIC KEY"]
        .iter()
        .find_map(|label| {
            pem.strip_prefix(&format!("-----BEGIN {label}-----"))?
                .strip_suffix(&format!("-----END {label}-----"))
        })
        .ok_or("not a PEM public key")?;
    let base64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(base64)
        .map_err(|_| "the PEM body is not base64")?;
    if der.is_empty() {
        return Err("the PEM body is empty");
    }
    Ok(DecodingKey::from_rsa_der(&der))
}

/// Where the body fails to parse, without serde's text, which may quote a value (the secret).
fn body_error(e: serde_json::Error) -> InstallRejection {
    use serde_json::error::Category;

    let kind = match e.classify() {
        Category::Io => "unreadable",
        Category::Syntax => "not JSON",
        Category::Data => "not an installation payload",
        Category::Eof => "cut short",
    };
    InstallRejection::Body(format!("{kind} (line {}, column {})", e.line(), e.column()))
}

fn claim_str<'a>(claims: &'a Value, name: &str) -> Result<&'a str, InstallRejection> {
    claims
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| InstallRejection::MissingClaim(name.to_string()))
}

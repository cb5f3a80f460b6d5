//! Signing app-to-Jira requests with a fresh Connect JWT.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde::Serialize;

use super::canonical::{CanonicalRequest, context_path};
use super::clock::{self, Clock};
use super::installation::Installation;

/// How long a token lives unless configured otherwise: Atlassian's recommended three minutes.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(180);

/// Why a request could not be signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The JWT library refused the claims or the key.
    #[error("cannot create the Connect JWT: {0}")]
    Token(#[from] jsonwebtoken::errors::Error),
    /// The installation cannot sign anything.
    #[error("cannot sign with this installation: {0}")]
    Installation(&'static str),
    /// The token is not a valid header value (never expected).
    #[error("the Connect JWT is not a valid header value")]
    Header,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    iat: u64,
    exp: u64,
    qsh: &'a str,
}

/// Signs requests for one installation: `iss` = app key, `iat` = now, `exp` = `iat` + lifetime,
/// `qsh` = hash of the request as it will be sent.
///
/// Cheap to clone. `Debug` shows the app key only.
#[derive(Clone)]
pub struct Signer {
    inner: Arc<Inner>,
}

struct Inner {
    app_key: String,
    key: EncodingKey,
    context_path: String,
    lifetime: Duration,
    clock: Arc<dyn Clock>,
}

impl Signer {
    /// A signer for `installation`, reading the time from `clock`.
    pub fn new(installation: &Installation, clock: Arc<dyn Clock>) -> Result<Self, SignError> {
        Self::with_lifetime(installation, clock, DEFAULT_LIFETIME)
    }

    /// As [`Signer::new`], with a token lifetime other than three minutes.
    pub fn with_lifetime(
        installation: &Installation,
        clock: Arc<dyn Clock>,
        lifetime: Duration,
    ) -> Result<Self, SignError> {
        if installation.key.is_empty() {
            return Err(SignError::Installation("the app key is empty"));
        }
        if installation.shared_secret.is_empty() {
            return Err(SignError::Installation("the shared secret is empty"));
        }
        Ok(Self {
            inner: Arc::new(Inner {
                app_key: installation.key.clone(),
                key: EncodingKey::from_secret(installation.shared_secret.as_bytes())?,
                context_path: context_path(&installation.base_url),
                lifetime,
                clock,
            }),
        })
    }

    /// A signer on the system clock.
    pub fn system(installation: &Installation) -> Result<Self, SignError> {
        Self::new(installation, clock::system())
    }

    /// The token for one request, given as method, raw path and raw query.
    pub fn token(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
    ) -> Result<String, SignError> {
        let qsh = CanonicalRequest::new(method, path, query, &self.inner.context_path).qsh();
        let iat = self.inner.clock.now_secs();
        let claims = Claims {
            iss: &self.inner.app_key,
            iat,
            exp: iat + self.inner.lifetime.as_secs(),
            qsh: &qsh,
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.inner.key,
        )?)
    }

    /// Sets `Authorization: JWT <token>` on `request`, replacing any earlier value.
    ///
    /// Call it last, after every change to the URL: the token hashes the final method, path
    /// and query.
    pub fn sign(&self, request: &mut reqwest::Request) -> Result<(), SignError> {
        let url = request.url();
        let token = self.token(request.method().as_str(), url.path(), url.query())?;
        let mut value =
            HeaderValue::try_from(format!("JWT {token}")).map_err(|_| SignError::Header)?;
        value.set_sensitive(true);
        request.headers_mut().insert(AUTHORIZATION, value);
        Ok(())
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("app_key", &self.inner.app_key)
            .field("context_path", &self.inner.context_path)
            .field("lifetime", &self.inner.lifetime)
            .finish_non_exhaustive()
    }
}

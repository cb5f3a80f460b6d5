//! Signing app-to-Jira requests with a fresh Connect JWT.
//!
//! Every request gets its own token, so making one is on the path of every call. The parts
//! that never change for an installation (the encoded header, the start of the payload with
//! the app key, the HMAC key) are prepared once in [`Signer::new`]; per request only the
//! canonical request, the times and the signature are computed, into one buffer. The HMAC is
//! the one jsonwebtoken uses (aws-lc), keyed once instead of on every token.

use std::fmt::{self, Write as _};
use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, Header};
use reqwest::header::{AUTHORIZATION, HeaderValue};

use super::canonical::{CanonicalRequest, context_path};
use super::clock::{self, Clock};
use super::installation::Installation;

/// Room for a token with a typical app key, so it is written without growing its buffer.
const TOKEN_CAPACITY: usize = 320;

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
    /// HMAC-SHA256 keyed with the shared secret.
    key: hmac::Key,
    /// `base64url({"typ":"JWT","alg":"HS256"})`, as jsonwebtoken writes it.
    header_b64: String,
    /// `{"iss":<app key as JSON>,"iat":`, the start of every payload.
    payload_start: String,
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
        let header = serde_json::to_vec(&Header::new(Algorithm::HS256))
            .map_err(|e| SignError::Token(e.into()))?;
        let iss =
            serde_json::to_string(&installation.key).map_err(|e| SignError::Token(e.into()))?;
        Ok(Self {
            inner: Arc::new(Inner {
                app_key: installation.key.clone(),
                key: hmac::Key::new(hmac::HMAC_SHA256, installation.shared_secret.as_bytes()),
                header_b64: URL_SAFE_NO_PAD.encode(header),
                payload_start: format!(r#"{{"iss":{iss},"iat":"#),
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
    ///
    /// The claims are `iss`, `iat`, `exp` and `qsh`, in that order, under the header
    /// `{"typ":"JWT","alg":"HS256"}`: the bytes Atlassian's own JavaScript library produces for
    /// the same claims.
    pub fn token(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
    ) -> Result<String, SignError> {
        let mut token = String::with_capacity(TOKEN_CAPACITY);
        self.write_token(&mut token, method, path, query)?;
        Ok(token)
    }

    /// Appends the token for one request to `out`.
    fn write_token(
        &self,
        out: &mut String,
        method: &str,
        path: &str,
        query: Option<&str>,
    ) -> Result<(), SignError> {
        let inner = &*self.inner;
        let mut qsh = [0; 64];
        let qsh =
            CanonicalRequest::new(method, path, query, &inner.context_path).qsh_into(&mut qsh);
        let iat = inner.clock.now_secs();
        let exp = iat.saturating_add(inner.lifetime.as_secs());

        // The claims as serde_json writes them: `iss` was escaped once, the rest are numbers
        // and hex digits.
        let mut payload = String::with_capacity(inner.payload_start.len() + 120);
        payload.push_str(&inner.payload_start);
        write!(payload, r#"{iat},"exp":{exp},"qsh":"{qsh}"}}"#).expect("writing to a String");

        let start = out.len();
        out.push_str(&inner.header_b64);
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(payload, out);
        let signature = hmac::sign(&inner.key, &out.as_bytes()[start..]);
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, out);
        Ok(())
    }

    /// Sets `Authorization: JWT <token>` on `request`, replacing any earlier value.
    ///
    /// Call it last, after every change to the URL: the token hashes the final method, path
    /// and query.
    pub fn sign(&self, request: &mut reqwest::Request) -> Result<(), SignError> {
        let url = request.url();
        let mut authorization = String::with_capacity(TOKEN_CAPACITY + 4);
        authorization.push_str("JWT ");
        self.write_token(
            &mut authorization,
            request.method().as_str(),
            url.path(),
            url.query(),
        )?;
        let mut value = HeaderValue::try_from(authorization).map_err(|_| SignError::Header)?;
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

#[cfg(test)]
mod tests {
    use jsonwebtoken::EncodingKey;

    use super::*;
    use crate::auth::FixedClock;

    /// The claims as a struct, serialized by jsonwebtoken itself.
    #[derive(serde::Serialize)]
    struct Claims<'a> {
        iss: &'a str,
        iat: u64,
        exp: u64,
        qsh: &'a str,
    }

    #[test]
    fn tokens_are_byte_identical_to_jsonwebtoken_encoding_the_same_claims() {
        // App keys that need JSON escaping, or none.
        for app_key in [
            "com.example.app",
            r#"com."quoted"\back"#,
            "clé-ü-\u{1F600}",
            "tab\there",
        ] {
            let installation =
                Installation::new(app_key, "client", "s3cret", "https://x.atlassian.net/wiki");
            let signer = Signer::with_lifetime(
                &installation,
                FixedClock::at(1_700_000_000),
                Duration::from_secs(180),
            )
            .unwrap();
            let ours = signer
                .token("get", "/wiki/rest/api/space", Some("b=2&a=1 2"))
                .unwrap();

            let qsh = CanonicalRequest::new("GET", "/rest/api/space", Some("a=1 2&b=2"), "").qsh();
            let claims = Claims {
                iss: app_key,
                iat: 1_700_000_000,
                exp: 1_700_000_180,
                qsh: &qsh,
            };
            let key = EncodingKey::from_secret(b"s3cret").unwrap();
            let theirs =
                jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap();
            assert_eq!(ours, theirs, "{app_key:?}");
        }
    }

    #[test]
    fn sign_sets_a_sensitive_jwt_authorization_header_for_the_final_url() {
        let installation = Installation::new("app", "client", "s3cret", "https://x.atlassian.net");
        let signer = Signer::new(&installation, FixedClock::at(1_700_000_000)).unwrap();
        let mut request = reqwest::Client::new()
            .delete("https://x.atlassian.net/rest/operations/1.0/bulkByProperties?a=1")
            .header(AUTHORIZATION, "JWT stale")
            .build()
            .unwrap();
        signer.sign(&mut request).unwrap();

        let values: Vec<_> = request.headers().get_all(AUTHORIZATION).iter().collect();
        assert_eq!(values.len(), 1, "the old value is replaced");
        assert!(values[0].is_sensitive());
        let expected = signer
            .token(
                "DELETE",
                "/rest/operations/1.0/bulkByProperties",
                Some("a=1"),
            )
            .unwrap();
        assert_eq!(values[0].to_str().unwrap(), format!("JWT {expected}"));
    }
}

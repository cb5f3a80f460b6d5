//! The signed-install check as a tower layer, for the app's `installed` and `uninstalled`
//! routes.
//!
//! The layer reads the body (at most [`MAX_INSTALL_BODY`] bytes), verifies the callback with
//! an [`InstallVerifier`], and hands the handler a [`VerifiedInstall`]; the body is passed on
//! unchanged. Refusals are 401, except a body that is not an installation payload (400) and
//! an install key that cannot be fetched (503). They are logged with their reason, never
//! with the body, which holds the shared secret.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use tower::{Layer, Service};

use super::install::{InstallRejection, InstallRequest, InstallVerifier};
use super::layer::NotVerified;
use crate::auth::Installation;

/// The largest install body read, in bytes.
pub const MAX_INSTALL_BODY: usize = 64 * 1024;

/// A tower layer that lets through only install callbacks signed by Atlassian for this app.
#[derive(Clone, Debug)]
pub struct SignedInstallLayer {
    verifier: Arc<InstallVerifier>,
}

impl SignedInstallLayer {
    /// A layer checking callbacks with `verifier`.
    pub fn new(verifier: impl Into<Arc<InstallVerifier>>) -> Self {
        Self {
            verifier: verifier.into(),
        }
    }
}

impl<I> Layer<I> for SignedInstallLayer {
    type Service = SignedInstall<I>;

    fn layer(&self, inner: I) -> Self::Service {
        SignedInstall {
            inner,
            verifier: Arc::clone(&self.verifier),
        }
    }
}

/// The service made by [`SignedInstallLayer`].
#[derive(Clone)]
pub struct SignedInstall<I> {
    inner: I,
    verifier: Arc<InstallVerifier>,
}

impl<I> fmt::Debug for SignedInstall<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedInstall")
            .field("verifier", &self.verifier)
            .finish_non_exhaustive()
    }
}

impl<I> Service<Request<Body>> for SignedInstall<I>
where
    I: Service<Request<Body>, Response = Response> + Clone + Send + 'static,
    I::Future: Send,
{
    type Response = Response;
    type Error = I::Error;
    type Future = BoxFuture<'static, Result<Response, I::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        // The ready service goes into the future; a fresh clone stays for the next call.
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let verifier = Arc::clone(&self.verifier);

        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            let uri = parts
                .extensions
                .get::<OriginalUri>()
                .map_or_else(|| parts.uri.clone(), |original| original.0.clone());
            let Ok(bytes) = axum::body::to_bytes(body, MAX_INSTALL_BODY).await else {
                let refusal =
                    InstallRejection::Body(format!("longer than {MAX_INSTALL_BODY} bytes"));
                return Ok(refuse(&parts.method, uri.path(), refusal));
            };

            let request = InstallRequest {
                method: parts.method.as_str(),
                path: uri.path(),
                query: uri.query(),
                authorization: parts
                    .headers
                    .get(AUTHORIZATION)
                    .and_then(|v| v.to_str().ok()),
                body: &bytes,
            };
            match verifier.verify(&request).await {
                Ok(installation) => {
                    tracing::info!(
                        client_key = %installation.client_key,
                        site = %installation.base_url,
                        url.path = uri.path(),
                        "verified a signed install callback"
                    );
                    parts.extensions.insert(VerifiedInstall(installation));
                    inner
                        .call(Request::from_parts(parts, Body::from(bytes)))
                        .await
                }
                Err(refusal) => Ok(refuse(&parts.method, uri.path(), refusal)),
            }
        })
    }
}

fn refuse(method: &Method, path: &str, refusal: InstallRejection) -> Response {
    tracing::warn!(
        http.request.method = method.as_str(),
        url.path = path,
        reason = %refusal,
        "refused an install callback"
    );
    refusal.into_response()
}

impl IntoResponse for InstallRejection {
    fn into_response(self) -> Response {
        let status = match self {
            Self::Body(_) => StatusCode::BAD_REQUEST,
            Self::KeyUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::UNAUTHORIZED,
        };
        let mut response = (status, "the install callback was refused").into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// An install callback whose signature verified: the installation it carries.
///
/// Present only behind [`SignedInstallLayer`]; extracting it elsewhere answers 500.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifiedInstall(pub Installation);

impl fmt::Debug for VerifiedInstall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("VerifiedInstall").field(&self.0).finish()
    }
}

impl<St: Send + Sync> FromRequestParts<St> for VerifiedInstall {
    type Rejection = NotVerified;

    async fn from_request_parts(parts: &mut Parts, _state: &St) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<VerifiedInstall>()
            .cloned()
            .ok_or(NotVerified::install())
    }
}

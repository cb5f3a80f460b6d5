//! Verifying Jira's calls to the app, as a tower layer for axum.
//!
//! Jira signs every call it makes to an app (action calls, webhooks, iframe loads) with a
//! Connect JWT: `iss` is the site's client key, the key is that site's shared secret, and
//! `qsh` hashes the request relative to the app's own base URL, path included. The layer
//! finds the token (the `Authorization: JWT` header, or the `jwt` query parameter of page
//! loads), checks it with a [`Verifier`] and either refuses the call with 401 or hands the
//! handler a [`VerifiedCall`].
//!
//! Behind `Router::nest` the layer sees a shortened path; it hashes the path the client sent
//! (axum's `OriginalUri`), so one base URL works wherever the routes are mounted. A path
//! already stripped of the base URL's path by a proxy hashes the same way.
//!
//! Context tokens (`qsh = "context-qsh"`, from `AP.context.getToken()`) are bound to no
//! request, so they are refused unless the layer was built with
//! [`allow_context_tokens`](ConnectAuthLayer::allow_context_tokens): apply that variant only
//! to the routes the app's own front end calls.
//!
//! A `jwt` field in a form-encoded POST body (some iframe loads) is not read: such a call has
//! no token here and is refused. JSON bodies never enter the `qsh`.
//!
//! A refusal is logged at `warn` with its reason, the method and the path; never the query
//! (which may hold the token) nor the header.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::future::{Either, Ready, ready};
use tower::{Layer, Service};

use crate::auth::{Incoming, Installation, InstallationStore, Rejection, Verified, Verifier};

/// A tower layer that lets through only calls carrying a valid Connect JWT from Jira.
///
/// ```no_run
/// # use std::sync::Arc;
/// use axum::{Router, routing::post};
/// use jira_operations::auth::{MemoryStore, Verifier};
/// use jira_operations::provider::{ConnectAuthLayer, VerifiedCall};
///
/// async fn fetch_workspaces(call: VerifiedCall) -> String {
///     call.installation.client_key
/// }
///
/// let store = MemoryStore::new();
/// let verifier = Verifier::new(store, "https://app.example.com/connect")
///     .decoded_path_fallback(true);
/// let app: Router = Router::new()
///     .route("/workspaces", post(fetch_workspaces))
///     .layer(ConnectAuthLayer::new(verifier));
/// ```
pub struct ConnectAuthLayer<S> {
    verifier: Arc<Verifier<S>>,
    allow_context: bool,
}

impl<S: InstallationStore> ConnectAuthLayer<S> {
    /// A layer checking tokens with `verifier`, whose base URL must be the app's own.
    ///
    /// Build the verifier with [`Verifier::decoded_path_fallback`] on: Jira hashes the
    /// percent-decoded path of its calls to apps.
    pub fn new(verifier: impl Into<Arc<Verifier<S>>>) -> Self {
        Self {
            verifier: verifier.into(),
            allow_context: false,
        }
    }

    /// A layer for an app at `app_base_url` whose installations are in `store`: system
    /// clock, 30 s leeway, decoded-path fallback on.
    pub fn for_app(store: S, app_base_url: &str) -> Self {
        Self::new(Verifier::new(store, app_base_url).decoded_path_fallback(true))
    }

    /// Also accepts context tokens (`qsh = "context-qsh"`) on the routes this layer wraps.
    pub fn allow_context_tokens(mut self) -> Self {
        self.allow_context = true;
        self
    }

    /// The verifier, shared by every service this layer makes.
    pub fn verifier(&self) -> &Arc<Verifier<S>> {
        &self.verifier
    }
}

impl<S> Clone for ConnectAuthLayer<S> {
    fn clone(&self) -> Self {
        Self {
            verifier: Arc::clone(&self.verifier),
            allow_context: self.allow_context,
        }
    }
}

impl<S> fmt::Debug for ConnectAuthLayer<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectAuthLayer")
            .field("verifier", &self.verifier)
            .field("allow_context", &self.allow_context)
            .finish()
    }
}

impl<S, I> Layer<I> for ConnectAuthLayer<S> {
    type Service = ConnectAuth<S, I>;

    fn layer(&self, inner: I) -> Self::Service {
        ConnectAuth {
            inner,
            verifier: Arc::clone(&self.verifier),
            allow_context: self.allow_context,
        }
    }
}

/// The service made by [`ConnectAuthLayer`].
pub struct ConnectAuth<S, I> {
    inner: I,
    verifier: Arc<Verifier<S>>,
    allow_context: bool,
}

impl<S, I: Clone> Clone for ConnectAuth<S, I> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            verifier: Arc::clone(&self.verifier),
            allow_context: self.allow_context,
        }
    }
}

impl<S, I> fmt::Debug for ConnectAuth<S, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectAuth")
            .field("allow_context", &self.allow_context)
            .finish_non_exhaustive()
    }
}

impl<S, I, B> Service<Request<B>> for ConnectAuth<S, I>
where
    S: InstallationStore + 'static,
    I: Service<Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = I::Error;
    type Future = Either<Ready<Result<Response, I::Error>>, I::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let uri = request
            .extensions()
            .get::<OriginalUri>()
            .map_or_else(|| request.uri().clone(), |original| original.0.clone());
        let method = request.method().as_str();

        let checked = authenticate(
            &self.verifier,
            self.allow_context,
            method,
            uri.path(),
            uri.query(),
            request.headers(),
        );
        match checked {
            Ok(call) => {
                tracing::debug!(
                    http.request.method = method,
                    url.path = uri.path(),
                    client_key = %call.installation.client_key,
                    context_token = call.context_token,
                    "verified a call from Jira"
                );
                request.extensions_mut().insert(call);
                Either::Right(self.inner.call(request))
            }
            Err(refusal) => {
                tracing::warn!(
                    http.request.method = method,
                    url.path = uri.path(),
                    reason = %refusal,
                    "refused a call to the app"
                );
                Either::Left(ready(Ok(refusal.into_response())))
            }
        }
    }
}

fn authenticate<S: InstallationStore>(
    verifier: &Verifier<S>,
    allow_context: bool,
    method: &str,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<VerifiedCall, Refusal> {
    let token = extract_token(headers, query)?;
    let request = Incoming {
        method,
        path,
        query,
        authorization: None,
    };
    Ok(verifier
        .verify_token(&token, &request, allow_context)?
        .into())
}

/// Mounts `routes` at the path of the app's base URL (`https://app.example.com/connect` →
/// `/connect`), so the descriptor's relative URLs (`/installed`, `/workspaces`) resolve there.
///
/// A base URL without a path (or one that does not parse) leaves the routes at the root.
pub fn at_base_path<St>(app_base_url: &str, routes: axum::Router<St>) -> axum::Router<St>
where
    St: Clone + Send + Sync + 'static,
{
    let path = url::Url::parse(app_base_url)
        .map(|url| url.path().trim_end_matches('/').to_string())
        .unwrap_or_default();
    if path.is_empty() {
        routes
    } else {
        axum::Router::new().nest(&path, routes)
    }
}

/// The token from exactly one place: one `Authorization: JWT` header or one `jwt` parameter.
fn extract_token(headers: &HeaderMap, query: Option<&str>) -> Result<String, Refusal> {
    let mut headers = headers.get_all(AUTHORIZATION).iter();
    let header = headers.next();
    if headers.next().is_some() {
        return Err(Refusal::Ambiguous);
    }

    let mut in_query = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .filter(|(name, _)| name == "jwt")
        .map(|(_, value)| value.into_owned());
    let from_query = in_query.next();
    if in_query.next().is_some() {
        return Err(Refusal::Ambiguous);
    }

    match (header, from_query) {
        (Some(_), Some(_)) => Err(Refusal::Ambiguous),
        (Some(header), None) => {
            let header = header
                .to_str()
                .map_err(|_| Refusal::Token(Rejection::Malformed))?;
            let incoming = Incoming {
                method: "",
                path: "",
                query: None,
                authorization: Some(header),
            };
            Ok(incoming.token()?)
        }
        (None, Some(token)) if token.trim().is_empty() => Err(Refusal::Token(Rejection::Missing)),
        (None, Some(token)) => Ok(token),
        (None, None) => Err(Refusal::Token(Rejection::Missing)),
    }
}

/// Why the layer refused a call. Also put in the 401 response's extensions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The token is missing or did not verify.
    #[error(transparent)]
    Token(#[from] Rejection),
    /// Tokens in more than one place: header and query, or either one repeated.
    #[error("more than one Connect JWT in the request (header and query, or repeated)")]
    Ambiguous,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut response = (
            StatusCode::UNAUTHORIZED,
            "the request's Connect JWT is missing or not valid",
        )
            .into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// A call whose Connect JWT verified: who made it. Taken by handlers as an argument.
///
/// Present only behind [`ConnectAuthLayer`]; extracting it elsewhere is a programming error,
/// answered with 500.
#[derive(Debug, Clone)]
pub struct VerifiedCall {
    /// The installation (Jira site) that signed the call.
    pub installation: Installation,
    /// The Atlassian account ID of the user behind the call (`sub`), if any.
    pub account_id: Option<String>,
    /// Whether the call carried a context token.
    pub context_token: bool,
}

impl From<Verified> for VerifiedCall {
    fn from(verified: Verified) -> Self {
        Self {
            installation: verified.installation,
            account_id: verified.account_id,
            context_token: verified.context_token,
        }
    }
}

impl<St: Send + Sync> FromRequestParts<St> for VerifiedCall {
    type Rejection = NotVerified;

    async fn from_request_parts(parts: &mut Parts, _state: &St) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<VerifiedCall>()
            .cloned()
            .ok_or(NotVerified::call())
    }
}

/// A handler took [`VerifiedCall`] or `VerifiedInstall` on a route its layer does not cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotVerified {
    extractor: &'static str,
    layer: &'static str,
}

impl NotVerified {
    fn call() -> Self {
        Self {
            extractor: "VerifiedCall",
            layer: "ConnectAuthLayer",
        }
    }

    pub(super) fn install() -> Self {
        Self {
            extractor: "VerifiedInstall",
            layer: "SignedInstallLayer",
        }
    }
}

impl fmt::Display for NotVerified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "this route takes a {} but is not behind {}",
            self.extractor, self.layer
        )
    }
}

impl std::error::Error for NotVerified {}

impl IntoResponse for NotVerified {
    fn into_response(self) -> Response {
        tracing::error!("{self}");
        (StatusCode::INTERNAL_SERVER_ERROR, self.to_string()).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn token_comes_from_the_header_or_the_query() {
        assert_eq!(
            extract_token(&headers(&["JWT a.b.c"]), Some("x=1")).unwrap(),
            "a.b.c"
        );
        assert_eq!(
            extract_token(&headers(&[]), Some("x=1&jwt=a.b.c")).unwrap(),
            "a.b.c"
        );
    }

    #[test]
    fn token_in_two_places_is_ambiguous() {
        let both = extract_token(&headers(&["JWT a.b.c"]), Some("jwt=a.b.c"));
        assert_eq!(both, Err(Refusal::Ambiguous));
        let twice_in_query = extract_token(&headers(&[]), Some("jwt=a&jwt=b"));
        assert_eq!(twice_in_query, Err(Refusal::Ambiguous));
        let two_headers = extract_token(&headers(&["JWT a", "JWT b"]), None);
        assert_eq!(two_headers, Err(Refusal::Ambiguous));
    }

    #[test]
    fn other_schemes_and_empty_tokens_are_refused() {
        let bearer = extract_token(&headers(&["Bearer a.b.c"]), None);
        assert_eq!(bearer, Err(Refusal::Token(Rejection::WrongScheme)));
        let empty = extract_token(&headers(&[]), Some("jwt="));
        assert_eq!(empty, Err(Refusal::Token(Rejection::Missing)));
        let none = extract_token(&headers(&[]), None);
        assert_eq!(none, Err(Refusal::Token(Rejection::Missing)));
    }
}

//! Serving connections by hand with hyper-util, so a fault can drop a connection.
//!
//! An axum `Router` cannot fail, so it cannot make hyper close a connection without a
//! response. Each connection is therefore served by a wrapper service that decides the fault
//! of every request before the router sees it: a dropped connection is an `Err` from the
//! wrapper, which makes hyper close the connection before any status line is written; 429 and
//! 503 are answered by the wrapper itself. For a reset after processing, the wrapper lets the
//! router answer and then drops that answer with the connection. The wrapper also counts
//! responses by status.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, Request, Response, StatusCode};
use axum::response::IntoResponse as _;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt as _;

use super::Shared;
use super::api::ADMIN_PREFIX;
use super::faults::Outcome;

/// How long a shutdown waits for open connections to finish.
const GRACE: Duration = Duration::from_secs(5);

/// The per-minute limit announced in `X-RateLimit-Limit` on an injected 429.
pub(crate) const ANNOUNCED_RATE_LIMIT: u32 = 100;

/// The error that makes hyper drop a connection: an injected reset.
#[derive(Debug, thiserror::Error)]
#[error("connection reset by fault injection")]
struct InjectedReset;

/// Accepts connections until `shutdown` turns true (or its sender is dropped), then lets open
/// connections finish for up to [`GRACE`].
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let builder = auto::Builder::new(TokioExecutor::new());
    let graceful = GracefulShutdown::new();

    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let _ = stream.set_nodelay(true);
                    let router = router.clone();
                    let shared = Arc::clone(&shared);
                    let service = tower::service_fn(move |request: Request<Incoming>| {
                        handle(router.clone(), Arc::clone(&shared), request)
                    });
                    let connection = builder
                        .serve_connection_with_upgrades(
                            TokioIo::new(stream),
                            TowerToHyperService::new(service),
                        )
                        .into_owned();
                    let connection = graceful.watch(connection);
                    tokio::spawn(async move {
                        if let Err(error) = connection.await {
                            tracing::debug!(%error, "connection closed with an error");
                        }
                    });
                }
                Err(error) => {
                    // Out of file descriptors and the like: wait a little, keep serving.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
            }
        }
    }

    drop(listener);
    if tokio::time::timeout(GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the shutdown grace period");
    }
}

/// One request: admin routes go straight to the router; API requests get their fault first.
async fn handle(
    router: Router,
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Body>, InjectedReset> {
    if request.uri().path().starts_with(ADMIN_PREFIX) {
        return Ok(route(router, request).await);
    }

    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    let (latency, outcome) = shared.faults.decide();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let response = match outcome {
        Outcome::Reset => {
            shared.count_reset(false);
            tracing::info!(%method, path, "fault: connection reset");
            return Err(InjectedReset);
        }
        Outcome::ResetAfter => {
            let lost = route(router, request).await;
            shared.count_reset(true);
            tracing::info!(%method, path, status = lost.status().as_u16(), "fault: connection reset after processing; the answer is lost");
            return Err(InjectedReset);
        }
        Outcome::RateLimited => {
            tracing::info!(%method, path, "fault: 429");
            rate_limited(&shared)
        }
        Outcome::Unavailable => {
            tracing::info!(%method, path, "fault: 503");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
        Outcome::Pass => route(router, request).await,
    };
    shared.count_status(response.status());
    tracing::debug!(%method, path, status = response.status().as_u16(), "answered");
    Ok(response)
}

async fn route(router: Router, request: Request<Incoming>) -> Response<Body> {
    match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// A 429 without a body (as the spec declares it), with the headers Jira's DevOps APIs
/// document: `Retry-After` (seconds), `X-RateLimit-Limit`, `X-RateLimit-Remaining` (0) and
/// `X-RateLimit-Reset` (ISO 8601, from the emulator's clock).
fn rate_limited(shared: &Shared) -> Response<Body> {
    let retry_after = shared.faults.retry_after_secs();
    let reset_at = shared.clock.now_secs().saturating_add(retry_after);
    let reset = i64::try_from(reset_at)
        .ok()
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default();

    let mut response = StatusCode::TOO_MANY_REQUESTS.into_response();
    let headers = response.headers_mut();
    headers.insert(RETRY_AFTER, HeaderValue::from(retry_after));
    headers.insert("x-ratelimit-limit", HeaderValue::from(ANNOUNCED_RATE_LIMIT));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(0u32));
    if let Ok(value) = HeaderValue::try_from(reset) {
        headers.insert("x-ratelimit-reset", value);
    }
    response
}

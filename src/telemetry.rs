//! Tracing: the one place requests are logged.
//!
//! Spans use OpenTelemetry's field names. The `Authorization` header is never recorded, nor is
//! any token or secret; request bodies only at TRACE level and truncated.

use std::time::Instant;

use tracing::{Instrument as _, Level, field};

tokio::task_local! {
    /// The number of the attempt being sent, from 1, set by the client's retry loop around
    /// each attempt; a request sent outside it is attempt 1.
    pub(crate) static ATTEMPT: u32;
}

/// How much of a body is ever written to a log.
pub(crate) const BODY_LOG_LIMIT: usize = 1024;

/// Sends one attempt inside an `http.attempt` span, numbered by [`ATTEMPT`].
pub(crate) async fn exec(
    client: &reqwest::Client,
    request: reqwest::Request,
    operation: &'static str,
) -> reqwest::Result<reqwest::Response> {
    let span = tracing::debug_span!(
        "http.attempt",
        operation,
        attempt = ATTEMPT.try_with(|attempt| *attempt).unwrap_or(1),
        http.request.method = %request.method(),
        url.path = request.url().path(),
        http.response.status_code = field::Empty,
        duration_ms = field::Empty,
    );
    if tracing::enabled!(Level::TRACE)
        && let Some(body) = request.body().and_then(reqwest::Body::as_bytes)
    {
        tracing::trace!(parent: &span, body = %truncate(body), "request body");
    }

    let started = Instant::now();
    let result = client.execute(request).instrument(span.clone()).await;
    span.record("duration_ms", started.elapsed().as_millis() as u64);
    match &result {
        Ok(response) => {
            span.record("http.response.status_code", response.status().as_u16());
            tracing::debug!(parent: &span, status = response.status().as_u16(), "response");
        }
        Err(error) => tracing::debug!(parent: &span, error = %error, "transport error"),
    }
    result
}

/// At most [`BODY_LOG_LIMIT`] bytes of `body`, lossily as text.
pub(crate) fn truncate(body: &[u8]) -> String {
    let cut = &body[..body.len().min(BODY_LOG_LIMIT)];
    let mut text = String::from_utf8_lossy(cut).into_owned();
    if body.len() > BODY_LOG_LIMIT {
        text.push_str(&format!("… ({} bytes)", body.len()));
    }
    text
}

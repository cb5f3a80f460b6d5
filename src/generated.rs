//! The client progenitor generates from the vendored fragment, and the one place every
//! request passes through before it leaves: [`ClientHooks`].
//!
//! `pre` signs (after every change to the URL, so the `qsh` hashes what is sent) and `exec`
//! opens the per-attempt tracing span. Hand-written operations build a `reqwest::Request` and
//! call [`send`], which runs the same two hooks.

#![allow(
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    clippy::all,
    clippy::pedantic,
    rustdoc::all
)]

include!(concat!(env!("OUT_DIR"), "/codegen.rs"));

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use tracing::Instrument as _;

/// Bytes escaped in a path parameter.
///
/// progenitor's own set (controls, space, `"` `#` `<` `>` `?` `` ` `` `{` `}`, `/`, `%`), plus:
/// `\`, which URL parsing turns into `/` in `http(s)` URLs (an ID `a\b` would otherwise reach
/// `.../a/b`, and `..\x` another endpoint); `[` `]` `^` `|`, which servlet containers refuse bare
/// in a path; and `;`, which they cut off as a path parameter. Every other ASCII byte stays
/// bare: the path is hashed as sent, and a byte sent bare reads the same to a verifier that
/// hashes the path as received and to one that decodes it first. Non-ASCII is always escaped.
const PATH_SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%')
    .add(b'\\')
    .add(b'[')
    .add(b']')
    .add(b'^')
    .add(b'|')
    .add(b';');

/// One path parameter as exactly one path segment. The generated methods call this in place
/// of progenitor's `encode_path` (build.rs removes that import).
///
/// `""`, `.` and `..` cannot be a segment of their own: URL parsing drops or resolves them.
/// The empty segment they leave behind makes [`ClientHooks::pre`] refuse the request.
pub(crate) fn encode_path(segment: &str) -> String {
    utf8_percent_encode(segment, PATH_SEGMENT).to_string()
}

impl ClientHooks<crate::auth::Signer> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        // A path parameter that was empty, `.` or `..` leaves an empty segment once the URL is
        // parsed, and the request would reach another resource than the one named.
        if request.url().path().split('/').skip(1).any(str::is_empty) {
            return Err(Error::InvalidRequest(format!(
                "refusing to send {} {}: a path parameter is empty, `.` or `..`, \
                 which cannot name one resource",
                request.method(),
                request.url().path()
            )));
        }

        // progenitor adds the spec's `info.version`; Jira has no use for it.
        request.headers_mut().remove("api-version");
        request
            .headers_mut()
            .insert(reqwest::header::USER_AGENT, crate::user_agent());

        self.inner()
            .sign(request)
            .map_err(|e| Error::Custom(e.to_string()))
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        crate::telemetry::exec(self.client(), request, info.operation_id).await
    }
}

/// Sends a hand-written request through the same hooks as the generated methods: signed by
/// `pre`, traced by `exec`.
pub(crate) async fn send(
    client: &Client,
    mut request: reqwest::Request,
    operation_id: &'static str,
) -> Result<reqwest::Response, Error<()>> {
    let info = OperationInfo { operation_id };
    <Client as ClientHooks<crate::auth::Signer>>::pre::<()>(client, &mut request, &info).await?;
    <Client as ClientHooks<crate::auth::Signer>>::exec(client, request, &info)
        .await
        .map_err(Error::CommunicationError)
}

/// How many property filters Jira accepts on one delete.
pub const MAX_PROPERTY_FILTERS: usize =
    crate::spec_facts::SUBMIT_ENTITY_REQUEST_PROPERTIES_MAX_PROPERTIES;

impl Client {
    /// Deletes every incident and review whose submitted `properties` match all of `filters`
    /// (`DELETE /rest/operations/1.0/bulkByProperties?key=value&...`), asynchronously.
    ///
    /// The spec cannot declare these free-form query parameters, so this method is written by
    /// hand; it is signed and traced by the same hooks as the generated ones. It takes 1 to
    /// [`MAX_PROPERTY_FILTERS`] pairs; keys may not contain `:` or start with `_`.
    pub async fn delete_entity_by_properties(
        &self,
        filters: &[(&str, &str)],
    ) -> Result<ResponseValue<()>, Error<()>> {
        if filters.is_empty() || filters.len() > MAX_PROPERTY_FILTERS {
            return Err(Error::InvalidRequest(format!(
                "a delete by properties takes 1 to {MAX_PROPERTY_FILTERS} key=value filters, got {}",
                filters.len()
            )));
        }
        if let Some((key, _)) = filters
            .iter()
            .find(|(k, _)| k.is_empty() || k.contains(':') || k.starts_with('_'))
        {
            return Err(Error::InvalidRequest(format!(
                "property key `{key}` is not allowed: keys are non-empty, without `:`, and do not start with `_`"
            )));
        }
        let value_max = crate::spec_facts::SUBMIT_ENTITY_REQUEST_PROPERTIES_VALUE_MAX_LENGTH;
        if let Some((key, value)) = filters.iter().find(|(_, v)| v.chars().count() > value_max) {
            return Err(Error::InvalidRequest(format!(
                "the value of property `{key}` is {} characters long, more than {value_max}: no submitted property can match it",
                value.chars().count()
            )));
        }

        let mut url = reqwest::Url::parse(&format!(
            "{}/rest/operations/1.0/bulkByProperties",
            self.baseurl
        ))
        .map_err(|e| Error::InvalidRequest(format!("bad base URL: {e}")))?;
        url.query_pairs_mut().extend_pairs(filters.iter().copied());
        let request = self.client.delete(url).build()?;

        let response = send(self, request, "delete_entity_by_property").await?;
        match response.status().as_u16() {
            200..=299 => Ok(ResponseValue::empty(response)),
            _ => Err(Error::UnexpectedResponse(response)),
        }
    }
}

impl Client {
    /// `submit_entity` with a body already serialized: the JSON of a `SubmitEntityRequest`.
    /// Lets a caller that serialized each entity once (to size its requests) send the bytes
    /// as they are, and resend them on a retry without serializing again. Signed and traced
    /// by the same hooks; answered as the generated method answers.
    pub(crate) async fn submit_entity_json(
        &self,
        body: bytes::Bytes,
    ) -> Result<ResponseValue<crate::model::SubmitEntityResponse>, Error<()>> {
        let request = self
            .client
            .post(format!("{}/rest/operations/1.0/bulk", self.baseurl))
            .header(
                reqwest::header::ACCEPT,
                reqwest::header::HeaderValue::from_static("application/json"),
            )
            .header(
                reqwest::header::CONTENT_TYPE,
                reqwest::header::HeaderValue::from_static("application/json"),
            )
            .body(body)
            .build()?;

        let response = send(self, request, "submit_entity").await?;
        match response.status().as_u16() {
            200..=299 => ResponseValue::from_response(response).await,
            _ => Err(Error::UnexpectedResponse(response)),
        }
    }
}

#[allow(dead_code)]
fn _hooks_are_send(client: &Client) {
    fn is_send<T: Send>(_: T) {}
    is_send(
        client
            .get_workspaces(None)
            .instrument(tracing::Span::none()),
    );
}

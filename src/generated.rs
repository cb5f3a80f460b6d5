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

use tracing::Instrument as _;

impl ClientHooks<crate::auth::Signer> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), Error<E>> {
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

#[allow(dead_code)]
fn _hooks_are_send(client: &Client) {
    fn is_send<T: Send>(_: T) {}
    is_send(
        client
            .get_workspaces(None)
            .instrument(tracing::Span::none()),
    );
}

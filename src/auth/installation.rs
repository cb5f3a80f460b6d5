//! The record a Connect app keeps per Jira site: what Jira sends in the `installed` callback.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// One installation of a Connect app on one Jira site.
///
/// Deserializes the body of the `installed` lifecycle callback; fields this crate does not
/// use are kept in [`Installation::extra`] so the record can be stored and written back whole.
/// `Debug` never shows the shared secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Installation {
    /// The app key from the app's descriptor: the `iss` of tokens the app sends to Jira.
    pub key: String,
    /// The site's identifier for this installation: the `iss` of tokens Jira sends.
    pub client_key: String,
    /// The HS256 key shared by the app and this site.
    pub shared_secret: String,
    /// The site's base URL, e.g. `https://your-domain.atlassian.net`.
    pub base_url: String,
    /// Every other field of the payload, as received.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl Installation {
    /// An installation from its four essential fields.
    pub fn new(
        key: impl Into<String>,
        client_key: impl Into<String>,
        shared_secret: impl Into<String>,
        base_url: impl Into<String>,
    ) -> Self {
        Self {
            key: key.into(),
            client_key: client_key.into(),
            shared_secret: shared_secret.into(),
            base_url: base_url.into(),
            extra: BTreeMap::new(),
        }
    }
}

impl fmt::Debug for Installation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Installation")
            .field("key", &self.key)
            .field("client_key", &self.client_key)
            .field("shared_secret", &"<redacted>")
            .field("base_url", &self.base_url)
            .field("extra", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

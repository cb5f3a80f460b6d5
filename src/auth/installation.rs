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

#[cfg(test)]
mod tests {
    use super::*;

    /// An `installed` payload as Jira sends it (values made up).
    const INSTALLED: &str = r#"{
        "key": "com.example.ops-provider",
        "clientKey": "0a1b2c3d-4e5f-6789-abcd-ef0123456789",
        "sharedSecret": "an-example-shared-secret",
        "baseUrl": "https://example.atlassian.net",
        "displayUrl": "https://ops.example.com",
        "productType": "jira",
        "description": "Atlassian JIRA at https://example.atlassian.net",
        "eventType": "installed",
        "cloudId": "c0ffee00-0000-4000-8000-000000000000",
        "serverVersion": "100275",
        "pluginsVersion": "1001.0.0-SNAPSHOT"
    }"#;

    #[test]
    fn the_installed_payload_is_read_and_the_fields_it_does_not_use_are_kept() {
        let installation: Installation = serde_json::from_str(INSTALLED).unwrap();

        assert_eq!(installation.key, "com.example.ops-provider");
        assert_eq!(
            installation.client_key,
            "0a1b2c3d-4e5f-6789-abcd-ef0123456789"
        );
        assert_eq!(installation.shared_secret, "an-example-shared-secret");
        assert_eq!(installation.base_url, "https://example.atlassian.net");
        assert_eq!(
            installation.extra.keys().collect::<Vec<_>>(),
            [
                "cloudId",
                "description",
                "displayUrl",
                "eventType",
                "pluginsVersion",
                "productType",
                "serverVersion"
            ]
        );

        // Written back, it is the payload it came from.
        let written = serde_json::to_value(&installation).unwrap();
        let original: serde_json::Value = serde_json::from_str(INSTALLED).unwrap();
        assert_eq!(written, original);
    }

    #[test]
    fn a_payload_without_a_shared_secret_is_refused_with_the_field_named() {
        let error = serde_json::from_str::<Installation>(
            r#"{"key": "k", "clientKey": "c", "baseUrl": "https://example.atlassian.net"}"#,
        )
        .unwrap_err();

        assert!(error.to_string().contains("sharedSecret"), "{error}");
    }

    #[test]
    fn debug_names_the_kept_fields_but_not_the_secret() {
        let installation: Installation = serde_json::from_str(INSTALLED).unwrap();

        let shown = format!("{installation:?}");

        assert!(!shown.contains("an-example-shared-secret"), "{shown}");
        assert!(shown.contains("cloudId"), "{shown}");
    }
}

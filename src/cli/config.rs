//! Where the CLI finds the installation to sign with: a file, flags, environment variables.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use jira_operations::{Installation, OperationsClient};

/// How to reach and sign for a Jira site: flags override the installation file, which
/// overrides the environment. Its `Debug` leaves the shared secret out.
#[derive(Clone, Args)]
#[command(next_help_heading = "Site (where to send, how to sign)")]
pub struct SiteArgs {
    /// The installation: the JSON body of the app's `installed` callback (`key`, `clientKey`,
    /// `sharedSecret`, `baseUrl`). The flags below override it; it overrides their variables.
    #[arg(
        long,
        global = true,
        env = "JIRA_OPS_INSTALLATION",
        value_name = "FILE"
    )]
    pub installation: Option<PathBuf>,
    /// The site's base URL, e.g. `https://your-domain.atlassian.net`.
    #[arg(long, global = true, env = "JIRA_OPS_BASE_URL")]
    pub base_url: Option<String>,
    /// The app key from the app's descriptor (the JWT issuer).
    #[arg(long, global = true, env = "JIRA_OPS_APP_KEY")]
    pub app_key: Option<String>,
    /// The installation's client key.
    #[arg(long, global = true, env = "JIRA_OPS_CLIENT_KEY")]
    pub client_key: Option<String>,
    /// The shared secret. Prefer the environment variable or the file: flags show in `ps`.
    #[arg(
        long,
        global = true,
        env = "JIRA_OPS_SHARED_SECRET",
        hide_env_values = true
    )]
    pub shared_secret: Option<String>,
    /// Give up on any one API call after this many seconds, retries included (at least 1); a
    /// call also stops after 5 attempts.
    #[arg(
        long,
        global = true,
        default_value_t = 120,
        value_name = "SECONDS",
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub timeout: u64,
    /// The site flags whose values came from their environment variables, by argument ID:
    /// an installation file given as well wins over those.
    #[arg(skip)]
    pub from_environment: Vec<&'static str>,
}

impl std::fmt::Debug for SiteArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiteArgs")
            .field("installation", &self.installation)
            .field("base_url", &self.base_url)
            .field("app_key", &self.app_key)
            .field("client_key", &self.client_key)
            .field(
                "shared_secret",
                &self.shared_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("timeout", &self.timeout)
            .field("from_environment", &self.from_environment)
            .finish()
    }
}

impl SiteArgs {
    /// The installation: flags first, then the installation file, then the `JIRA_OPS_*`
    /// variables for what neither gives. A variable that the file overrides is named in a
    /// warning, since it may be left over from another site.
    pub fn installation(&self) -> Result<Installation, String> {
        let mut installation = match &self.installation {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                // A field the file leaves out may come from a flag: read it as empty here,
                // and name it below if nothing fills it.
                let mut value = serde_json::from_str::<serde_json::Value>(&text);
                if let Ok(serde_json::Value::Object(fields)) = &mut value {
                    for key in ["key", "clientKey", "sharedSecret", "baseUrl"] {
                        fields.entry(key).or_insert_with(|| "".into());
                    }
                }
                value
                    .and_then(serde_json::from_value::<Installation>)
                    .map_err(|e| {
                        format!(
                            "{}: not an installation (key, clientKey, sharedSecret, baseUrl): {e}",
                            path.display()
                        )
                    })?
            }
            None => Installation::new("", "", "", ""),
        };
        let overrides = [
            (
                "base_url",
                "JIRA_OPS_BASE_URL",
                "baseUrl",
                &self.base_url,
                &mut installation.base_url,
            ),
            (
                "app_key",
                "JIRA_OPS_APP_KEY",
                "key",
                &self.app_key,
                &mut installation.key,
            ),
            (
                "client_key",
                "JIRA_OPS_CLIENT_KEY",
                "clientKey",
                &self.client_key,
                &mut installation.client_key,
            ),
            (
                "shared_secret",
                "JIRA_OPS_SHARED_SECRET",
                "sharedSecret",
                &self.shared_secret,
                &mut installation.shared_secret,
            ),
        ];
        for (id, variable, key, value, field) in overrides {
            let Some(value) = value else { continue };
            if self.from_environment.contains(&id)
                && let Some(path) = &self.installation
                && !field.is_empty()
            {
                if value != field {
                    eprintln!(
                        "jira-ops: warning: {variable} is set but not used: {} gives `{key}`",
                        path.display()
                    );
                }
                continue;
            }
            *field = value.clone();
        }

        // A value given but empty is named as such: "give --shared-secret" would read as if
        // the flag had been left out.
        let given_empty = [
            ("--base-url", &self.base_url),
            ("--app-key", &self.app_key),
            ("--shared-secret", &self.shared_secret),
        ]
        .into_iter()
        .find(|(_, value)| value.as_deref().is_some_and(|v| v.trim().is_empty()));
        if let Some((name, _)) = given_empty {
            return Err(format!("{name} is empty"));
        }
        let missing: Vec<(&str, &str)> = [
            (
                "--base-url",
                "baseUrl",
                installation.base_url.trim().is_empty(),
            ),
            ("--app-key", "key", installation.key.trim().is_empty()),
            (
                "--shared-secret",
                "sharedSecret",
                installation.shared_secret.trim().is_empty(),
            ),
        ]
        .into_iter()
        .filter_map(|(flag, key, missing)| missing.then_some((flag, key)))
        .collect();
        let flags: Vec<&str> = missing.iter().map(|(flag, _)| *flag).collect();
        let keys: Vec<&str> = missing.iter().map(|(_, key)| *key).collect();
        match &self.installation {
            Some(path) if !missing.is_empty() => {
                return Err(format!(
                    "{}: no {} (put it in the file, or give {}, or their JIRA_OPS_* variables)",
                    path.display(),
                    keys.join(", "),
                    flags.join(", ")
                ));
            }
            None if !missing.is_empty() => {
                return Err(format!(
                    "no installation to sign with: give --installation FILE, or {} (or their JIRA_OPS_* variables)",
                    flags.join(", ")
                ));
            }
            _ => {}
        }
        Ok(installation)
    }

    /// A client for the installation.
    pub fn client(&self) -> Result<OperationsClient, String> {
        let installation = self.installation()?;
        OperationsClient::builder(installation)
            .overall_timeout(Duration::from_secs(self.timeout))
            .build()
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_leaves_the_shared_secret_out() {
        let args = SiteArgs {
            installation: None,
            base_url: Some("https://example.atlassian.net".into()),
            app_key: Some("com.example.app".into()),
            client_key: Some("client-1".into()),
            shared_secret: Some("s3cr3t-value".into()),
            timeout: 120,
            from_environment: Vec::new(),
        };

        let shown = format!("{args:?} {args:#?}");

        assert!(!shown.contains("s3cr3t-value"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
        assert!(shown.contains("com.example.app"), "{shown}");
    }
}

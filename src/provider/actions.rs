//! The bodies of Jira's calls to the provider's actions, and of the provider's answers.
//!
//! Jira documents these payloads by example only, so the types are lenient where the docs
//! are silent: fields that are not known to be required are optional, and any field this
//! crate does not know is kept in `extra` (and written back) rather than refused. The one
//! documented constraint, the shape of a container ID, is enforced by [`ContainerId`].
//!
//! The container fields other than `id` are not shown on the operations page; `name`, `url`,
//! `avatarUrl` and `lastUpdatedDate` are those of the same action on the Security module,
//! whose wording the operations page shares.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The body Jira POSTs to the `fetchWorkspaces` action.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FetchWorkspacesRequest {
    /// The workspace IDs Jira wants details of.
    pub ids: Vec<String>,
    /// Fields this crate does not know, as received.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// The provider's answer to `fetchWorkspaces`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FetchWorkspacesResponse {
    /// The workspaces found; IDs the provider does not know are left out.
    pub workspaces: Vec<Workspace>,
    /// Fields this crate does not know, as received.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl From<Vec<Workspace>> for FetchWorkspacesResponse {
    fn from(workspaces: Vec<Workspace>) -> Self {
        Self {
            workspaces,
            extra: BTreeMap::new(),
        }
    }
}

impl FromIterator<Workspace> for FetchWorkspacesResponse {
    fn from_iter<T: IntoIterator<Item = Workspace>>(workspaces: T) -> Self {
        Vec::from_iter(workspaces).into()
    }
}

/// An operations workspace, as the provider describes it to Jira.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workspace {
    /// The workspace ID Jira asked about.
    pub id: String,
    /// A human-readable name.
    pub name: String,
    /// A link to the workspace in the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The workspace's avatar image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    /// Fields this crate does not know, as received.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Workspace {
    /// A workspace with its ID and name.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            ..Self::default()
        }
    }
}

/// The query of Jira's GET on the `searchContainers` action: `?searchQuery=...`.
///
/// Other query parameters (such as the `jwt` of the call) are ignored, never kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchContainersQuery {
    /// The text to match, fully or partly, against container names.
    #[serde(rename = "searchQuery")]
    pub search_query: String,
}

/// The provider's answer to `searchContainers`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchContainersResponse {
    /// The matching containers.
    pub containers: Vec<Container>,
    /// Fields this crate does not know, as received.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl From<Vec<Container>> for SearchContainersResponse {
    fn from(containers: Vec<Container>) -> Self {
        Self {
            containers,
            extra: BTreeMap::new(),
        }
    }
}

impl FromIterator<Container> for SearchContainersResponse {
    fn from_iter<T: IntoIterator<Item = Container>>(containers: T) -> Self {
        Vec::from_iter(containers).into()
    }
}

/// An operations container (Jira also calls it a component).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    /// Its ID, in the documented form.
    pub id: ContainerId,
    /// A human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A link to the container in the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The container's avatar image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    /// When the container was last updated (ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated_date: Option<String>,
    /// Fields this crate does not know, as received.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Container {
    /// A container with only its ID.
    pub fn new(id: ContainerId) -> Self {
        Self {
            id,
            name: None,
            url: None,
            avatar_url: None,
            last_updated_date: None,
            extra: BTreeMap::new(),
        }
    }
}

/// A container ID: one or more `/`-separated segments of `A-Z a-z 0-9 - _ . ~ @ : { } =`.
///
/// That is the pattern `[a-zA-Z0-9\-_.~@:{}=]+(/[a-zA-Z0-9\-_.~@:{}=]+)*`, matched against the
/// whole ID. Deserializing checks it too.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ContainerId(String);

impl ContainerId {
    /// Checks `id` and wraps it.
    pub fn new(id: impl Into<String>) -> Result<Self, InvalidContainerId> {
        let id = id.into();
        match container_id_problem(&id) {
            None => Ok(Self(id)),
            Some(reason) => Err(InvalidContainerId { id, reason }),
        }
    }

    /// The ID as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ID, unwrapped.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Whether `id` has the documented container ID form.
pub fn is_valid_container_id(id: &str) -> bool {
    container_id_problem(id).is_none()
}

fn is_container_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '@' | ':' | '{' | '}' | '=')
}

fn container_id_problem(id: &str) -> Option<String> {
    if id.is_empty() {
        return Some("it is empty".into());
    }
    if let Some(c) = id.chars().find(|c| *c != '/' && !is_container_id_char(*c)) {
        return Some(format!("{c:?} is not allowed"));
    }
    if id.split('/').any(str::is_empty) {
        return Some("a `/` must separate two non-empty segments".into());
    }
    None
}

impl fmt::Display for ContainerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ContainerId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ContainerId {
    type Error = InvalidContainerId;

    fn try_from(id: String) -> Result<Self, Self::Error> {
        Self::new(id)
    }
}

impl TryFrom<&str> for ContainerId {
    type Error = InvalidContainerId;

    fn try_from(id: &str) -> Result<Self, Self::Error> {
        Self::new(id)
    }
}

impl std::str::FromStr for ContainerId {
    type Err = InvalidContainerId;

    fn from_str(id: &str) -> Result<Self, Self::Err> {
        Self::new(id)
    }
}

impl From<ContainerId> for String {
    fn from(id: ContainerId) -> Self {
        id.0
    }
}

/// A string that is not a valid container ID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{id}` is not a valid container ID ({reason}); IDs are `/`-separated segments of A-Z a-z 0-9 - _ . ~ @ : {{ }} ="
)]
pub struct InvalidContainerId {
    id: String,
    reason: String,
}

impl InvalidContainerId {
    /// The string refused.
    pub fn id(&self) -> &str {
        &self.id
    }
}

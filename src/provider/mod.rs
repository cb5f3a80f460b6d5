//! The provider side of the Operations module: what a Connect app that pushes incidents
//! serves to Jira.
//!
//! Jira learns about the app from its descriptor, whose `jiraOperationsInfoProvider` module
//! ([`descriptor`]) names the actions Jira will call; the bodies of those calls and of the
//! app's answers are in [`actions`]. With the `server` feature, `ConnectAuthLayer` checks
//! that each call really comes from an installed Jira site before a handler sees it, and
//! `SignedInstallLayer` that an `installed` callback really comes from Atlassian
//! ([`install`]) before the app stores the shared secret it carries.

pub mod actions;
pub mod descriptor;
pub mod install;
#[cfg(feature = "server")]
mod install_layer;
#[cfg(feature = "server")]
mod layer;

pub use actions::{
    Container, ContainerId, FetchWorkspacesRequest, FetchWorkspacesResponse, InvalidContainerId,
    SearchContainersQuery, SearchContainersResponse, Workspace, is_valid_container_id,
};
pub use descriptor::{
    Action, DescriptorError, I18nProperty, LinkAction, OperationsInfoProvider,
    OperationsInfoProviderBuilder, Problem, ProviderActions, ProviderModules,
};
pub use install::{InstallRejection, InstallRequest, InstallVerifier};
#[cfg(feature = "server")]
pub use install_layer::{MAX_INSTALL_BODY, SignedInstall, SignedInstallLayer, VerifiedInstall};
#[cfg(feature = "server")]
pub use layer::{ConnectAuth, ConnectAuthLayer, NotVerified, Refusal, VerifiedCall, at_base_path};

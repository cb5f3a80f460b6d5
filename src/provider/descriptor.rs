//! The `jiraOperationsInfoProvider` module of a Connect app descriptor.
//!
//! Jira reads this module when the app is installed; a mistake in it (a key with a dot, a
//! relative home URL, a missing required action) makes the whole install fail with little
//! explanation. So the module is only ever built through [`OperationsInfoProviderBuilder::build`]
//! or deserialized through the same checks, and both report **every** problem at once.
//!
//! Where Atlassian's sources disagree, this module chooses as follows:
//!
//! - **Action URLs.** The REST reference shows `templateUrl`s relative to the app's base URL
//!   (`/workspaces/list`); the module page shows absolute ones. Both are accepted: a template
//!   URL either starts with `/` or is an absolute `http`/`https` URL.
//! - **`createPostIncidentReview`.** Only the REST reference lists it, and gives it a `url`
//!   (a link opened for the user, with `{component-id}` and `{incident-id}` placeholders)
//!   where every other action has a `templateUrl`; the newer module page leaves it out. It is
//!   written with `url`, as the one source that shows it does, and read from either `url` or
//!   `templateUrl`. Leave it unset unless Jira is known to accept it.
//! - **`onEntityAssociated` / `onEntityDisassociated`.** Only the module page shows them, with
//!   a `templateUrl`; they are optional.
//! - **One module or several.** Connect lets most module types take an array, but every
//!   published example of this module (and of its DevOps siblings) gives one object, and Jira
//!   keeps one operations provider per app. [`ProviderModules`] writes the single object and
//!   reads either an object or an array holding exactly one.
//! - **Unknown fields** in a module read back are refused, so a misspelt property
//!   (`templateURL`) is caught here rather than ignored by Jira.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// The module type's name in the descriptor's `modules` object.
pub const MODULE_TYPE: &str = "jiraOperationsInfoProvider";

/// The longest module key Jira accepts.
pub const KEY_MAX_LENGTH: usize = 100;

/// A human-readable text with an optional i18n key, as Connect writes names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct I18nProperty {
    /// The text shown when no translation is found.
    pub value: String,
    /// The key of the translation in the app's i18n files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub i18n: Option<String>,
}

impl I18nProperty {
    /// A text without an i18n key.
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            i18n: None,
        }
    }

    /// Sets the i18n key.
    pub fn with_i18n(mut self, key: impl Into<String>) -> Self {
        self.i18n = Some(key.into());
        self
    }
}

impl From<&str> for I18nProperty {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl From<String> for I18nProperty {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

/// An action Jira calls on the app: a URL template, relative to the app's base URL or
/// absolute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Action {
    /// Where Jira sends the call; may hold `{placeholder}` expressions.
    pub template_url: String,
}

impl Action {
    /// An action at `template_url`.
    pub fn new(template_url: impl Into<String>) -> Self {
        Self {
            template_url: template_url.into(),
        }
    }
}

/// The `createPostIncidentReview` action: a link Jira opens for the user.
///
/// Written as `{"url": ...}`; `templateUrl` is accepted when reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkAction {
    /// The link, with `{component-id}` and `{incident-id}` placeholders.
    #[serde(alias = "templateUrl")]
    pub url: String,
}

impl LinkAction {
    /// A link action to `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into() }
    }
}

/// The actions of the module; the first two are required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderActions {
    /// Jira POSTs `{"ids": [...]}` here to learn about workspaces.
    pub fetch_workspaces: Action,
    /// Jira GETs this with a `searchQuery` parameter to find containers.
    pub search_containers: Action,
    /// A link where the user creates a post-incident review.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_post_incident_review: Option<LinkAction>,
    /// Called when an entity is associated with a Jira project.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_entity_associated: Option<Action>,
    /// Called when an entity is no longer associated with a Jira project.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_entity_disassociated: Option<Action>,
}

/// A valid `jiraOperationsInfoProvider` module.
///
/// Built with [`OperationsInfoProvider::builder`]; serializes to the module object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "OperationsInfoProviderBuilder")]
pub struct OperationsInfoProvider {
    key: String,
    name: I18nProperty,
    home_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    logo_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    documentation_url: Option<String>,
    actions: ProviderActions,
}

impl OperationsInfoProvider {
    /// An empty builder.
    pub fn builder() -> OperationsInfoProviderBuilder {
        OperationsInfoProviderBuilder::default()
    }

    /// The module key, unique within the app.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The provider's name as shown in Jira.
    pub fn name(&self) -> &I18nProperty {
        &self.name
    }

    /// The provider's home page.
    pub fn home_url(&self) -> &str {
        &self.home_url
    }

    /// The provider's logo.
    pub fn logo_url(&self) -> Option<&str> {
        self.logo_url.as_deref()
    }

    /// Documentation of the provider's Jira integration.
    pub fn documentation_url(&self) -> Option<&str> {
        self.documentation_url.as_deref()
    }

    /// The actions Jira calls.
    pub fn actions(&self) -> &ProviderActions {
        &self.actions
    }

    /// The `modules` entry for this module: `{"jiraOperationsInfoProvider": {...}}`.
    pub fn to_modules_value(&self) -> serde_json::Value {
        serde_json::to_value(ProviderModules::new(self.clone()))
            .expect("a module always serializes")
    }
}

/// The draft of a module; [`build`](Self::build) checks it.
///
/// Also the form a module is read in, so a module read from JSON passes the same checks.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OperationsInfoProviderBuilder {
    key: Option<String>,
    name: Option<I18nProperty>,
    home_url: Option<String>,
    logo_url: Option<String>,
    documentation_url: Option<String>,
    #[serde(default)]
    actions: ActionsDraft,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ActionsDraft {
    fetch_workspaces: Option<Action>,
    search_containers: Option<Action>,
    create_post_incident_review: Option<LinkAction>,
    on_entity_associated: Option<Action>,
    on_entity_disassociated: Option<Action>,
}

impl OperationsInfoProviderBuilder {
    /// The module key: letters, digits and `-`, at most 100 characters.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// The provider's name (a plain string or an [`I18nProperty`]).
    pub fn name(mut self, name: impl Into<I18nProperty>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The provider's home page: an absolute `http` or `https` URL.
    pub fn home_url(mut self, url: impl Into<String>) -> Self {
        self.home_url = Some(url.into());
        self
    }

    /// The provider's logo: an absolute `http` or `https` URL.
    pub fn logo_url(mut self, url: impl Into<String>) -> Self {
        self.logo_url = Some(url.into());
        self
    }

    /// Documentation of the integration: an absolute `http` or `https` URL.
    pub fn documentation_url(mut self, url: impl Into<String>) -> Self {
        self.documentation_url = Some(url.into());
        self
    }

    /// The required `fetchWorkspaces` action's URL template.
    pub fn fetch_workspaces(mut self, template_url: impl Into<String>) -> Self {
        self.actions.fetch_workspaces = Some(Action::new(template_url));
        self
    }

    /// The required `searchContainers` action's URL template.
    pub fn search_containers(mut self, template_url: impl Into<String>) -> Self {
        self.actions.search_containers = Some(Action::new(template_url));
        self
    }

    /// The optional `createPostIncidentReview` link (see the module docs on its `url`).
    pub fn create_post_incident_review(mut self, url: impl Into<String>) -> Self {
        self.actions.create_post_incident_review = Some(LinkAction::new(url));
        self
    }

    /// The optional `onEntityAssociated` action's URL template.
    pub fn on_entity_associated(mut self, template_url: impl Into<String>) -> Self {
        self.actions.on_entity_associated = Some(Action::new(template_url));
        self
    }

    /// The optional `onEntityDisassociated` action's URL template.
    pub fn on_entity_disassociated(mut self, template_url: impl Into<String>) -> Self {
        self.actions.on_entity_disassociated = Some(Action::new(template_url));
        self
    }

    /// Checks every field and returns the module, or every problem found.
    pub fn build(self) -> Result<OperationsInfoProvider, DescriptorError> {
        let mut problems = Problems::default();

        let key = problems.required("key", self.key);
        if let Some(key) = &key {
            check_key(key, &mut problems);
        }

        let name = problems.required("name", self.name);
        if let Some(name) = &name {
            if name.value.trim().is_empty() {
                problems.push("name.value", "must not be empty");
            }
            if name.i18n.as_deref().is_some_and(|k| k.trim().is_empty()) {
                problems.push("name.i18n", "must not be empty when given");
            }
        }

        let home_url = problems.required("homeUrl", self.home_url);
        check_absolute_url("homeUrl", home_url.as_deref(), &mut problems);
        check_absolute_url("logoUrl", self.logo_url.as_deref(), &mut problems);
        check_absolute_url(
            "documentationUrl",
            self.documentation_url.as_deref(),
            &mut problems,
        );

        let actions = self.actions;
        let fetch_workspaces =
            problems.required("actions.fetchWorkspaces", actions.fetch_workspaces);
        let search_containers =
            problems.required("actions.searchContainers", actions.search_containers);
        let templates = [
            (
                "actions.fetchWorkspaces.templateUrl",
                fetch_workspaces.as_ref().map(|a| a.template_url.as_str()),
            ),
            (
                "actions.searchContainers.templateUrl",
                search_containers.as_ref().map(|a| a.template_url.as_str()),
            ),
            (
                "actions.createPostIncidentReview.url",
                actions
                    .create_post_incident_review
                    .as_ref()
                    .map(|a| a.url.as_str()),
            ),
            (
                "actions.onEntityAssociated.templateUrl",
                actions
                    .on_entity_associated
                    .as_ref()
                    .map(|a| a.template_url.as_str()),
            ),
            (
                "actions.onEntityDisassociated.templateUrl",
                actions
                    .on_entity_disassociated
                    .as_ref()
                    .map(|a| a.template_url.as_str()),
            ),
        ];
        for (field, template) in templates {
            if let Some(template) = template {
                check_template_url(field, template, &mut problems);
            }
        }

        problems.into_result()?;
        Ok(OperationsInfoProvider {
            key: key.expect("checked"),
            name: name.expect("checked"),
            home_url: home_url.expect("checked"),
            logo_url: self.logo_url,
            documentation_url: self.documentation_url,
            actions: ProviderActions {
                fetch_workspaces: fetch_workspaces.expect("checked"),
                search_containers: search_containers.expect("checked"),
                create_post_incident_review: actions.create_post_incident_review,
                on_entity_associated: actions.on_entity_associated,
                on_entity_disassociated: actions.on_entity_disassociated,
            },
        })
    }
}

impl TryFrom<OperationsInfoProviderBuilder> for OperationsInfoProvider {
    type Error = DescriptorError;

    fn try_from(builder: OperationsInfoProviderBuilder) -> Result<Self, Self::Error> {
        builder.build()
    }
}

fn check_key(key: &str, problems: &mut Problems) {
    if key.is_empty() {
        problems.push("key", "must not be empty");
        return;
    }

    let mut bad: Vec<char> = Vec::new();
    for c in key.chars() {
        let allowed = c.is_ascii_alphanumeric() || c == '-';
        if !allowed && !bad.contains(&c) {
            bad.push(c);
        }
    }
    if !bad.is_empty() {
        let shown: String = bad
            .iter()
            .map(|c| format!("{c:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        problems.push(
            "key",
            format!("may hold only letters A-Z and a-z, digits and `-`; found {shown}"),
        );
    }

    let length = key.chars().count();
    if length > KEY_MAX_LENGTH {
        problems.push(
            "key",
            format!("is {length} characters long; at most {KEY_MAX_LENGTH} are allowed"),
        );
    }
}

fn check_absolute_url(field: &'static str, url: Option<&str>, problems: &mut Problems) {
    let Some(url) = url else { return };
    if let Err(why) = absolute_http_url(url) {
        problems.push(field, format!("`{url}` {why}"));
    }
}

/// Whether `url` is an absolute `http`/`https` URL with a host; the reason when not.
fn absolute_http_url(url: &str) -> Result<(), String> {
    match url::Url::parse(url) {
        Ok(parsed) if !matches!(parsed.scheme(), "http" | "https") => {
            Err(format!("must use http or https, not `{}`", parsed.scheme()))
        }
        Ok(parsed) if parsed.host_str().is_none_or(str::is_empty) => Err("has no host".to_string()),
        Ok(_) => Ok(()),
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            Err("is not an absolute URL (it needs a scheme and a host)".to_string())
        }
        Err(e) => Err(format!("is not a valid URL: {e}")),
    }
}

fn check_template_url(field: &'static str, template: &str, problems: &mut Problems) {
    if template.trim().is_empty() {
        problems.push(field, "must not be empty");
        return;
    }
    if !braces_balanced(template) {
        problems.push(
            field,
            format!("`{template}` has unbalanced `{{` `}}` placeholder braces"),
        );
    }
    if template.starts_with('/') {
        if template.starts_with("//") {
            problems.push(
                field,
                format!("`{template}` starts with `//`; a relative URL starts with one `/`"),
            );
        }
        return;
    }
    if let Err(why) = absolute_http_url(template) {
        problems.push(
            field,
            format!("`{template}` must start with `/` (relative to the app's baseUrl) or be absolute: it {why}"),
        );
    }
}

fn braces_balanced(template: &str) -> bool {
    let mut open = false;
    for c in template.chars() {
        match (c, open) {
            ('{', false) => open = true,
            ('}', true) => open = false,
            ('{', true) | ('}', false) => return false,
            _ => {}
        }
    }
    !open
}

#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn push(&mut self, field: &'static str, message: impl Into<String>) {
        let problem = Problem {
            field,
            message: message.into(),
        };
        if !self.0.contains(&problem) {
            self.0.push(problem);
        }
    }

    fn required<T>(&mut self, field: &'static str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.push(field, "is required");
        }
        value
    }

    fn into_result(self) -> Result<(), DescriptorError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(DescriptorError { problems: self.0 })
        }
    }
}

/// One thing wrong with a module: the field (as a JSON path) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    field: &'static str,
    message: String,
}

impl Problem {
    /// The field, written as in the descriptor (`homeUrl`, `actions.fetchWorkspaces`).
    pub fn field(&self) -> &str {
        self.field
    }

    /// What is wrong with it.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Every problem found in a module, each naming its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescriptorError {
    problems: Vec<Problem>,
}

impl DescriptorError {
    /// The problems, in field order; never empty, no two alike.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The problems about `field`.
    pub fn for_field<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a Problem> + 'a {
        self.problems.iter().filter(move |p| p.field == field)
    }
}

impl fmt::Display for DescriptorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        write!(
            f,
            "invalid {MODULE_TYPE} module ({count} problem{}): ",
            if count == 1 { "" } else { "s" }
        )?;
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for DescriptorError {}

/// The descriptor's `modules` object: `{"jiraOperationsInfoProvider": {...}, ...}`.
///
/// Reads the module from an object or from an array holding exactly one; writes the object.
/// Other module types are kept as they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderModules {
    /// The operations provider module.
    #[serde(rename = "jiraOperationsInfoProvider", deserialize_with = "one_module")]
    pub operations_info_provider: OperationsInfoProvider,
    /// The app's other module types, as written.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

impl ProviderModules {
    /// The `modules` entries for `module` alone.
    pub fn new(module: OperationsInfoProvider) -> Self {
        Self {
            operations_info_provider: module,
            other: BTreeMap::new(),
        }
    }
}

fn one_module<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<OperationsInfoProvider, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<serde_json::Value>),
        One(serde_json::Value),
    }

    let value = match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(value) => value,
        OneOrMany::Many(mut values) if values.len() == 1 => values.remove(0),
        OneOrMany::Many(values) => {
            return Err(serde::de::Error::custom(format!(
                "{MODULE_TYPE}: expected one module, found an array of {}",
                values.len()
            )));
        }
    };
    OperationsInfoProvider::deserialize(value).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_must_pair_without_nesting() {
        assert!(braces_balanced("/a/{b}?c={d}"));
        assert!(!braces_balanced("/a/{b"));
        assert!(!braces_balanced("/a/b}"));
        assert!(!braces_balanced("/a/{{b}}"));
    }

    #[test]
    fn repeated_bad_characters_are_named_once_in_order() {
        let mut problems = Problems::default();
        check_key("a.b c.d", &mut problems);
        let err = problems.into_result().unwrap_err();
        assert_eq!(
            err.problems()[0].message(),
            "may hold only letters A-Z and a-z, digits and `-`; found '.', ' '"
        );
    }
}

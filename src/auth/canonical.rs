//! The Connect canonical request and its hash, the `qsh` claim.
//!
//! A Connect JWT is bound to one request: its `qsh` claim is the SHA-256 of
//! `METHOD&path&query`, each part put in a canonical form. Getting one detail wrong (a `+`
//! for a space, an unsorted parameter, a context path left in) gives a 401 with no further
//! hint, so this module follows the rules of Atlassian's Java implementation, which Jira runs:
//!
//! - the method in upper case;
//! - the path relative to the base URL (its path removed by whole segments), `/` when empty,
//!   `&` written `%26`, and one trailing `/` removed;
//! - the query form-decoded, `jwt` dropped, the values of a repeated name sorted and joined
//!   with a literal `,`, names and values percent-encoded from UTF-8 with upper-case hex and
//!   only `A-Z a-z 0-9 - . _ ~` left bare, and the parameters sorted by encoded name.
//!
//! The path is hashed as it is sent: percent-escapes in it are not decoded. A JSON body never
//! enters the hash.

use std::collections::BTreeMap;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};

/// Everything but `A-Z a-z 0-9 - . _ ~` is escaped.
const QUERY_ESCAPES: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The three canonical parts, joined with `&` by [`CanonicalRequest::to_string`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalRequest {
    /// Upper-case method.
    pub method: String,
    /// Canonical path, relative to the base URL.
    pub uri: String,
    /// Canonical query, possibly empty.
    pub query: String,
}

impl CanonicalRequest {
    /// Builds the canonical form of a request.
    ///
    /// `path` and `query` are as sent on the wire (percent-encoded, query without `?`);
    /// `context_path` is the path of the base URL the request is relative to (`""` or `/`
    /// for a site root, `/wiki` for Confluence, the app's path for calls to an app).
    pub fn new(method: &str, path: &str, query: Option<&str>, context_path: &str) -> Self {
        Self {
            method: method.to_ascii_uppercase(),
            uri: canonical_uri(path, context_path),
            query: canonical_query(query.unwrap_or("")),
        }
    }

    /// The `qsh` claim: lower-case hex SHA-256 of the canonical request.
    pub fn qsh(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.method.as_bytes());
        hasher.update(b"&");
        hasher.update(self.uri.as_bytes());
        hasher.update(b"&");
        hasher.update(self.query.as_bytes());
        hex::encode(hasher.finalize())
    }
}

impl std::fmt::Display for CanonicalRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}&{}&{}", self.method, self.uri, self.query)
    }
}

/// The canonical request for a URL, absolute or relative, against a base URL.
///
/// A relative URL (`/rest/...?a=b`) is taken as already relative to the site root; a fragment
/// (`#...`) is ignored.
pub fn canonical_request_for(method: &str, url: &str, base_url: &str) -> CanonicalRequest {
    let without_fragment = url.split('#').next().unwrap_or("");
    let path_and_query = match without_fragment.find("://") {
        Some(scheme_end) => {
            let rest = &without_fragment[scheme_end + 3..];
            rest.find(['/', '?']).map_or("", |i| &rest[i..])
        }
        None => without_fragment,
    };
    let (path, query) = match path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path_and_query, None),
    };
    CanonicalRequest::new(method, path, query, &context_path(base_url))
}

/// The path part of a base URL (`https://x.atlassian.net/wiki/` → `/wiki`).
pub fn context_path(base_url: &str) -> String {
    let after_scheme = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("", |i| &after_scheme[i..]);
    let path = path.split(['?', '#']).next().unwrap_or("");
    path.trim_end_matches('/').to_string()
}

/// The canonical path: context path removed by whole segments, `&` escaped, one trailing `/`
/// removed, `/` when empty.
pub fn canonical_uri(path: &str, context_path: &str) -> String {
    let context = context_path.trim_end_matches('/');
    let mut relative = path;
    if !context.is_empty()
        && let Some(rest) = path.strip_prefix(context)
        && (rest.is_empty() || rest.starts_with('/'))
    {
        relative = rest;
    }

    let mut uri = String::with_capacity(relative.len() + 1);
    if !relative.starts_with('/') {
        uri.push('/');
    }
    uri.push_str(&relative.replace('&', "%26"));
    if uri.len() > 1 && uri.ends_with('/') {
        uri.pop();
    }
    uri
}

/// The canonical query: decoded, `jwt` dropped, grouped, sorted and re-encoded.
pub fn canonical_query(query: &str) -> String {
    if query.is_empty() {
        return String::new();
    }

    // Keyed by encoded name, so the order is Java's (code points of the encoded form).
    let mut params: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if name == "jwt" {
            continue;
        }
        let encoded = utf8_percent_encode(&name, QUERY_ESCAPES).to_string();
        params.entry(encoded).or_default().push(value.into_owned());
    }

    let mut out = String::with_capacity(query.len() + 16);
    for (name, mut values) in params {
        values.sort();
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&name);
        out.push('=');
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.extend(utf8_percent_encode(value, QUERY_ESCAPES));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comma_inside_a_value_is_escaped_but_the_joining_comma_is_not() {
        assert_eq!(canonical_query("w=a,b"), "w=a%2Cb");
        assert_eq!(canonical_query("w=b&w=a"), "w=a,b");
    }

    #[test]
    fn context_path_is_removed_by_whole_segments_only() {
        assert_eq!(canonical_uri("/wiki/rest/api", "/wiki"), "/rest/api");
        assert_eq!(canonical_uri("/wikipedia/x", "/wiki"), "/wikipedia/x");
        assert_eq!(canonical_uri("/wiki", "/wiki/"), "/");
    }

    #[test]
    fn one_trailing_slash_is_removed() {
        assert_eq!(canonical_uri("/a/", ""), "/a");
        assert_eq!(canonical_uri("/a//", ""), "/a/");
        assert_eq!(canonical_uri("", ""), "/");
    }

    #[test]
    fn absolute_and_relative_urls_give_the_same_request() {
        let base = "https://x.atlassian.net";
        let a = canonical_request_for("get", "https://x.atlassian.net/rest/a?b=1#frag", base);
        let b = canonical_request_for("GET", "/rest/a?b=1", base);
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "GET&/rest/a&b=1");
    }
}

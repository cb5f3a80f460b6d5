//! Checks an incident or review against the spec's limits before it is sent.
//!
//! Jira validates each entity of a request separately and reports the ones it refuses in the
//! 202 body, so a bad entity costs a round trip and, worse, is easy to miss. Checking here
//! means a bad record is reported with every reason at once and never sinks its neighbours.
//! The limits come from the spec (`crate::spec_facts`, generated at build time), so they move
//! with the vendored fragment. Lengths are counted in characters (Unicode scalar values), as
//! JSON Schema counts `maxLength`.
//!
//! Required strings must not be empty, except `description`: the spec requires the field but
//! sets no minimum length, and Jira's treatment of an empty one is not documented.
//!
//! Every record of a submission is checked, so the common case is kept cheap: a string no
//! longer in bytes than a limit in characters is not counted, and URLs and dates of the usual
//! shapes are recognized by a single scan (`clean_plain_http_url`, `plain_rfc3339`) that
//! accepts only what the full checks and parsers (`url`, `chrono`) accept; anything else goes
//! to those.

use chrono::Timelike as _;

use crate::generated::types::{Association, Incident, Review};
use crate::spec_facts as spec;

/// Every reason `incident` would be refused; empty when it may be sent.
pub fn validate_incident(incident: &Incident) -> Vec<String> {
    check_incident(incident)
}

/// Every reason `review` would be refused; empty when it may be sent.
pub fn validate_review(review: &Review) -> Vec<String> {
    check_review(review)
}

/// What validation reads of an incident or review: the typed entity's fields, or the same
/// fields borrowed from the JSON it will be sent as.
pub(crate) trait EntityFields {
    /// An element of `associations`.
    type Association: AssociationFields;

    fn schema_version(&self) -> &str;
    fn id(&self) -> &str;
    fn summary(&self) -> &str;
    fn description(&self) -> &str;
    fn url(&self) -> &str;
    fn created_date(&self) -> &str;
    fn last_updated(&self) -> &str;
    fn status(&self) -> &str;
    /// `None` when the field is absent; JSON may also hold it empty, which Jira refuses.
    fn associations(&self) -> Option<&[Self::Association]>;
}

/// The incident's own fields.
pub(crate) trait IncidentFields: EntityFields {
    fn severity_level(&self) -> Option<&str>;
    fn affected_components(&self) -> impl ExactSizeIterator<Item = &str>;
}

/// The review's own field.
pub(crate) trait ReviewFields: EntityFields {
    fn reviews(&self) -> impl ExactSizeIterator<Item = &str>;
}

/// What validation reads of an association.
pub(crate) trait AssociationFields {
    fn association_type(&self) -> Option<&str>;
    fn values(&self) -> impl ExactSizeIterator<Item = &str>;
}

/// The reasons shared by incidents and reviews.
fn check_common<E: EntityFields>(reasons: &mut Vec<String>, entity: &E, limits: &Limits) {
    schema_version(reasons, entity.schema_version());
    id(reasons, "id", entity.id(), limits.id);
    text(reasons, "summary", entity.summary(), true, limits.summary);
    text(
        reasons,
        "description",
        entity.description(),
        false,
        limits.description,
    );
    url(reasons, entity.url(), limits.url);
    date(reasons, "createdDate", entity.created_date());
    date(reasons, "lastUpdated", entity.last_updated());
    known(reasons, "status", entity.status(), limits.statuses);
}

/// The spec's limits for one kind of entity.
struct Limits {
    id: usize,
    summary: usize,
    description: usize,
    url: usize,
    statuses: &'static [&'static str],
    associations: usize,
}

pub(crate) fn check_incident<I: IncidentFields>(incident: &I) -> Vec<String> {
    let mut reasons = Vec::new();
    let limits = Limits {
        id: spec::INCIDENT_ID_MAX_LENGTH,
        summary: spec::INCIDENT_SUMMARY_MAX_LENGTH,
        description: spec::INCIDENT_DESCRIPTION_MAX_LENGTH,
        url: spec::INCIDENT_URL_MAX_LENGTH,
        statuses: spec::INCIDENT_STATUS_VALUES,
        associations: spec::INCIDENT_ASSOCIATIONS_MAX_ITEMS,
    };

    check_common(&mut reasons, incident, &limits);
    if let Some(level) = incident.severity_level() {
        known(
            &mut reasons,
            "severity.level",
            level,
            spec::SEVERITY_LEVEL_VALUES,
        );
    }
    string_list(
        &mut reasons,
        "affectedComponents",
        incident.affected_components(),
        spec::INCIDENT_AFFECTED_COMPONENTS_MIN_ITEMS,
        spec::INCIDENT_AFFECTED_COMPONENTS_MAX_ITEMS,
    );
    associations(&mut reasons, incident.associations(), limits.associations);
    reasons
}

pub(crate) fn check_review<R: ReviewFields>(review: &R) -> Vec<String> {
    let mut reasons = Vec::new();
    let limits = Limits {
        id: spec::REVIEW_ID_MAX_LENGTH,
        summary: spec::REVIEW_SUMMARY_MAX_LENGTH,
        description: spec::REVIEW_DESCRIPTION_MAX_LENGTH,
        url: spec::REVIEW_URL_MAX_LENGTH,
        statuses: spec::REVIEW_STATUS_VALUES,
        associations: spec::REVIEW_ASSOCIATIONS_MAX_ITEMS,
    };

    check_common(&mut reasons, review, &limits);
    string_list(
        &mut reasons,
        "reviews",
        review.reviews(),
        spec::REVIEW_REVIEWS_MIN_ITEMS,
        spec::REVIEW_REVIEWS_MAX_ITEMS,
    );
    associations(&mut reasons, review.associations(), limits.associations);
    reasons
}

macro_rules! typed_fields {
    ($type:ty) => {
        impl EntityFields for $type {
            type Association = Association;

            fn schema_version(&self) -> &str {
                self.schema_version.as_str()
            }
            fn id(&self) -> &str {
                &self.id
            }
            fn summary(&self) -> &str {
                &self.summary
            }
            fn description(&self) -> &str {
                &self.description
            }
            fn url(&self) -> &str {
                &self.url
            }
            fn created_date(&self) -> &str {
                &self.created_date
            }
            fn last_updated(&self) -> &str {
                &self.last_updated
            }
            fn status(&self) -> &str {
                self.status.as_str()
            }
            // An empty list is not sent at all (the type skips it), so it counts as absent.
            fn associations(&self) -> Option<&[Association]> {
                Some(self.associations.as_slice()).filter(|a| !a.is_empty())
            }
        }
    };
}

typed_fields!(Incident);
typed_fields!(Review);

impl IncidentFields for Incident {
    fn severity_level(&self) -> Option<&str> {
        self.severity.as_ref().map(|s| s.level.as_str())
    }
    fn affected_components(&self) -> impl ExactSizeIterator<Item = &str> {
        self.affected_components.iter().map(String::as_str)
    }
}

impl ReviewFields for Review {
    fn reviews(&self) -> impl ExactSizeIterator<Item = &str> {
        self.reviews.iter().map(String::as_str)
    }
}

impl AssociationFields for Association {
    fn association_type(&self) -> Option<&str> {
        self.association_type.as_ref().map(|t| t.as_str())
    }
    fn values(&self) -> impl ExactSizeIterator<Item = &str> {
        self.values.iter().map(String::as_str)
    }
}

fn chars(value: &str) -> usize {
    value.chars().count()
}

/// The length of `value` in characters when it is more than `max`. A character is at least
/// one byte, so a string of at most `max` bytes is not counted.
fn over(value: &str, max: usize) -> Option<usize> {
    if value.len() <= max {
        return None;
    }
    Some(chars(value)).filter(|&n| n > max)
}

fn schema_version(reasons: &mut Vec<String>, value: &str) {
    if !spec::SCHEMA_VERSION_VALUES.contains(&value) {
        reasons.push(format!(
            "schemaVersion `{value}` is not one of {}",
            spec::SCHEMA_VERSION_VALUES.join(", ")
        ));
    }
}

fn id(reasons: &mut Vec<String>, field: &str, value: &str, max: usize) {
    if value.is_empty() {
        reasons.push(format!("{field} is empty"));
    } else if value == "." || value == ".." {
        // In a URL path `.` and `..` name the current and parent directory, so the entity could
        // never be read or deleted by its ID.
        reasons.push(format!(
            "{field} is `{value}`, which a URL path cannot carry: the record could not be read or deleted by id"
        ));
    } else if let Some(n) = over(value, max) {
        reasons.push(format!("{field} is {n} characters long, more than {max}"));
    }
}

/// Why `id` cannot name an incident or review in a request, if it cannot: empty, `.` or `..`,
/// or longer than the spec allows. What reads and deletes by ID check before sending.
pub fn id_problem(id: &str) -> Option<String> {
    let mut reasons = Vec::new();
    self::id(&mut reasons, "id", id, spec::INCIDENT_ID_MAX_LENGTH);
    reasons.pop()
}

/// Whether `id` is made only of the characters a URL carries as they are
/// (`A-Z a-z 0-9 - . _ ~`). Other characters are percent-encoded in the paths that read and
/// delete the entity, and whether Jira checks a token against such a path as sent or as
/// decoded is not documented, so those calls may be refused.
pub fn id_is_url_safe(id: &str) -> bool {
    id.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

fn text(reasons: &mut Vec<String>, field: &str, value: &str, required: bool, max: usize) {
    if required && value.trim().is_empty() {
        reasons.push(format!("{field} is empty"));
    } else if let Some(n) = over(value, max) {
        reasons.push(format!("{field} is {n} characters long, more than {max}"));
    }
}

fn url(reasons: &mut Vec<String>, value: &str, max: usize) {
    if value.len() <= max && clean_plain_http_url(value) {
        return;
    }
    checked_url(reasons, value, max);
}

/// [`url`] by every rule: length, URI characters, delimiters, then the fast shape or the
/// parser.
fn checked_url(reasons: &mut Vec<String>, value: &str, max: usize) {
    if value.is_empty() {
        reasons.push("url is empty".to_string());
        return;
    }
    if let Some(n) = over(value, max) {
        reasons.push(format!("url is {n} characters long, more than {max}"));
    }
    if let Some(bad) = not_uri_char(value) {
        reasons.push(format!(
            "url `{}` is not a URI: {bad:?} must be percent-encoded",
            shorten(value)
        ));
        return;
    }
    if let Some((bad, place)) = misplaced_delimiter(value) {
        reasons.push(format!(
            "url `{}` is not a URI: {bad:?} must be percent-encoded {place}",
            shorten(value)
        ));
        return;
    }
    if plain_http_url(value) {
        return;
    }
    match url::Url::parse(value) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.has_host() => {}
        Ok(parsed) => reasons.push(format!(
            "url `{}` is not an absolute http(s) URL (scheme `{}`)",
            shorten(value),
            parsed.scheme()
        )),
        Err(e) => reasons.push(format!(
            "url `{}` is not an absolute http(s) URL: {e}",
            shorten(value)
        )),
    }
}

/// The first character a URI (RFC 3986, as JSON Schema's `format: uri` reads it) cannot
/// hold as it is: anything outside the unreserved and reserved sets, or a `%` not followed by
/// two hex digits. The lenient WHATWG parser would quietly escape these, and Jira refuses them.
fn not_uri_char(value: &str) -> Option<char> {
    let bytes = value.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if URI_BYTES[usize::from(b)] {
            continue;
        }
        let escape = b == b'%'
            && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
        if !escape {
            // Every byte of a multi-byte character is over 0x7f, so `i` starts one.
            return value[i..].chars().next();
        }
    }
    None
}

/// The bytes a URI may hold as they are (`%` only in an escape): the unreserved and reserved
/// sets.
static URI_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let allowed =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=";
    let mut i = 0;
    while i < allowed.len() {
        table[allowed[i] as usize] = true;
        i += 1;
    }
    table
};

/// A gen-delim that RFC 3986 allows only in one place, found elsewhere: `[` and `]` enclose
/// an IP-literal host and nothing else, `@` ends the user information and cannot appear
/// twice in the authority, and `#` starts the fragment, which cannot hold another `#`.
/// Gives the character and where it is.
fn misplaced_delimiter(value: &str) -> Option<(char, &'static str)> {
    const HOST: &str = "outside an IP-literal host";
    let brackets = |part: &str, place| {
        part.chars()
            .find(|c| matches!(c, '[' | ']'))
            .map(|c| (c, place))
    };

    let (before, fragment) = match value.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (value, None),
    };
    if let Some(c) = fragment.and_then(|f| f.chars().find(|c| matches!(c, '#' | '[' | ']'))) {
        return Some((c, "in the fragment"));
    }

    let rest = before.split_once(':').map_or(before, |(_, rest)| rest);
    let Some(authority_on) = rest.strip_prefix("//") else {
        return brackets(rest, HOST);
    };
    let end = authority_on.find(['/', '?']).unwrap_or(authority_on.len());
    let (authority, path_and_query) = authority_on.split_at(end);

    let host_and_port = match authority.split_once('@') {
        Some((user_info, host_and_port)) => {
            if host_and_port.contains('@') {
                return Some(('@', "more than once in the authority"));
            }
            if let Some(found) = brackets(user_info, HOST) {
                return Some(found);
            }
            host_and_port
        }
        None => authority,
    };
    let after_host = match host_and_port.strip_prefix('[') {
        Some(literal) => match literal.split_once(']') {
            Some((inside, after)) if !inside.contains('[') && !after.contains([']', '[']) => {
                if !(after.is_empty() || after.starts_with(':')) {
                    return Some((']', "anywhere but at the end of an IP-literal host"));
                }
                after
            }
            _ => return Some(('[', "unless it encloses an IP-literal host")),
        },
        None => host_and_port,
    };
    brackets(after_host, HOST).or_else(|| brackets(path_and_query, HOST))
}

/// Whether `value`, made only of URI characters, is certainly what `url` parses as an
/// absolute http(s) URL with a host, seen by one scan: `http://` or `https://`; a host of
/// non-empty dot-separated labels of ASCII letters, digits and `-`, none starting with `xn--`
/// (punycode, which the parser decodes and may refuse) and the last neither all digits nor
/// starting with `0x` (which the parser reads as an IPv4 address); an optional port of 1 to
/// 5 digits up to 65535; then nothing, or `/`, `?` or `#` and anything (the parser escapes
/// what it must in a path, query or fragment and refuses none of it). `false` only means the
/// full parser decides.
fn plain_http_url(value: &str) -> bool {
    plain_http_authority(value).is_some()
}

/// Where the host and port of a [`plain_http_url`] end, if `value` is one.
fn plain_http_authority(value: &str) -> Option<usize> {
    let b = value.as_bytes();
    let mut i = if b.starts_with(b"https://") {
        8
    } else if b.starts_with(b"http://") {
        7
    } else {
        return None;
    };

    let mut label = i;
    loop {
        match b.get(i) {
            Some(c) if c.is_ascii_alphanumeric() || *c == b'-' => i += 1,
            Some(b'.') if plain_label(&b[label..i]) => {
                i += 1;
                label = i;
            }
            _ => break,
        }
    }
    let last = &b[label..i];
    if !plain_label(last)
        || last.iter().all(u8::is_ascii_digit)
        || last.get(..2).is_some_and(|p| p.eq_ignore_ascii_case(b"0x"))
    {
        return None;
    }

    if b.get(i) == Some(&b':') {
        let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        let port = b[i + 1..i + 1 + digits]
            .iter()
            .fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
        if !(1..=5).contains(&digits) || port > 65535 {
            return None;
        }
        i += 1 + digits;
    }
    matches!(b.get(i), None | Some(b'/' | b'?' | b'#')).then_some(i)
}

/// Whether `value` is a [`plain_http_url`] that [`checked_url`] accepts, seen by one scan:
/// after the host and port, only URI characters, `%` only in an escape, no `[` or `]` (which
/// only an IP-literal host may hold) and at most one `#`. Its host and port are made of URI
/// characters and hold no delimiter. `false` only means the checks decide one by one.
fn clean_plain_http_url(value: &str) -> bool {
    let Some(authority_end) = plain_http_authority(value) else {
        return false;
    };
    let b = value.as_bytes();
    let mut fragment = false;
    let mut i = authority_end;
    while let Some(&c) = b.get(i) {
        match c {
            b'[' | b']' => return false,
            b'#' if fragment => return false,
            b'#' => fragment = true,
            b'%' if b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit) => {}
            _ if URI_BYTES[usize::from(c)] => {}
            _ => return false,
        }
        i += 1;
    }
    true
}

/// A non-empty host label that is not punycode.
fn plain_label(label: &[u8]) -> bool {
    !label.is_empty()
        && !label
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"xn--"))
}

/// Whether `value` is certainly what chrono parses as RFC 3339, seen by one scan:
/// `YYYY-MM-DDTHH:MM:SS`, an optional fraction of 1 to 9 digits, then `Z` or `+HH:MM` /
/// `-HH:MM`, with a real calendar date, hours up to 23, minutes and seconds up to 59 and an
/// offset under 24 hours. `false` only means chrono decides (it also takes a lowercase `t` or
/// `z`, a space for `T`, a leap second, longer fractions).
fn plain_rfc3339(value: &str) -> bool {
    let b = value.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(range)?;
        part.iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        digits(0..4),
        digits(5..7),
        digits(8..10),
        digits(11..13),
        digits(14..16),
        digits(17..19),
    ) else {
        return false;
    };
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return false;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if !(1..=month_days).contains(&day) || hour > 23 || minute > 59 || second > 59 {
        return false;
    }
    let mut at = 19;
    if b.get(at) == Some(&b'.') {
        let fraction = b[at + 1..]
            .iter()
            .take_while(|d| d.is_ascii_digit())
            .count();
        if !(1..=9).contains(&fraction) {
            return false;
        }
        at += 1 + fraction;
    }
    match &b[at..] {
        [b'Z'] => true,
        [b'+' | b'-', ..] if b.len() == at + 6 && b[at + 3] == b':' => {
            matches!((digits(at + 1..at + 3), digits(at + 4..at + 6)), (Some(h), Some(m)) if h <= 23 && m <= 59)
        }
        _ => false,
    }
}

/// RFC 3339's `date-time` as JSON Schema's `format` reads it, which is stricter than
/// chrono's parser in two ways: the date and time are separated by `T` (chrono also takes a
/// space), and a leap second (`:60`) exists only at 23:59 UTC (chrono takes it at any minute).
fn date(reasons: &mut Vec<String>, field: &str, value: &str) {
    if value.is_empty() {
        reasons.push(format!("{field} is empty"));
        return;
    }
    if !plain_rfc3339(value) {
        parsed_date(reasons, field, value);
    }
}

/// [`date`] by chrono's parser and the two rules it does not apply.
fn parsed_date(reasons: &mut Vec<String>, field: &str, value: &str) {
    let parsed = match chrono::DateTime::parse_from_rfc3339(value) {
        Ok(parsed) => parsed,
        Err(e) => {
            reasons.push(format!(
                "{field} `{}` is not an RFC 3339 date-time: {e}",
                shorten(value)
            ));
            return;
        }
    };
    if !matches!(value.as_bytes().get(10), Some(b'T' | b't')) {
        reasons.push(format!(
            "{field} `{}` is not an RFC 3339 date-time: the date and the time must be separated by `T`",
            shorten(value)
        ));
    } else if parsed.nanosecond() >= 1_000_000_000 {
        let utc = parsed.naive_utc();
        if (utc.hour(), utc.minute()) != (23, 59) {
            reasons.push(format!(
                "{field} `{}` is not an RFC 3339 date-time: a leap second can only be 23:59:60 UTC",
                shorten(value)
            ));
        }
    }
}

fn known(reasons: &mut Vec<String>, field: &str, value: &str, allowed: &[&str]) {
    if !allowed.contains(&value) {
        reasons.push(format!(
            "{field} `{}` is not one of {}",
            shorten(value),
            allowed.join(", ")
        ));
    }
}

fn string_list<'a>(
    reasons: &mut Vec<String>,
    field: &str,
    values: impl ExactSizeIterator<Item = &'a str>,
    min: usize,
    max: usize,
) {
    let count = values.len();
    if count < min {
        reasons.push(format!(
            "{field} has {count} items, at least {min} required"
        ));
    }
    if count > max {
        reasons.push(format!("{field} has {count} items, more than {max}"));
    }
    let empty = values.filter(|v| v.is_empty()).count();
    if empty > 0 {
        reasons.push(format!("{field} has {empty} empty item(s)"));
    }
}

fn associations<A: AssociationFields>(
    reasons: &mut Vec<String>,
    associations: Option<&[A]>,
    max: usize,
) {
    let Some(associations) = associations else {
        return;
    };
    if associations.is_empty() {
        reasons.push(format!(
            "associations is empty: leave it out, or give 1 to {max}"
        ));
    }
    if associations.len() > max {
        reasons.push(format!(
            "associations has {} items, more than {max}",
            associations.len()
        ));
    }
    for (i, association) in associations.iter().enumerate() {
        match association.association_type() {
            None => reasons.push(format!("associations[{i}] has no associationType")),
            Some(kind) if !spec::ASSOCIATION_TYPE_VALUES.contains(&kind) => known(
                reasons,
                &format!("associations[{i}].associationType"),
                kind,
                spec::ASSOCIATION_TYPE_VALUES,
            ),
            Some(_) => {}
        }
        let values = association.values();
        if values.len() == 0 {
            reasons.push(format!("associations[{i}] has no values"));
        }
        let empty = values.filter(|v| v.is_empty()).count();
        if empty > 0 {
            reasons.push(format!("associations[{i}] has {empty} empty value(s)"));
        }
    }
}

/// At most 80 characters of `value`, for messages.
fn shorten(value: &str) -> String {
    if chars(value) <= 80 {
        value.to_string()
    } else {
        format!("{}…", value.chars().take(80).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::types::IncidentSeverity;
    use crate::model::*;

    fn incident() -> Incident {
        Incident {
            affected_components: vec!["comp-1".into()],
            associations: vec![Association {
                association_type: Some(AssociationType::IssueIdOrKeys),
                values: vec!["OPS-1".into()],
            }],
            created_date: "2024-01-15T10:00:00Z".into(),
            description: "VPN down".into(),
            id: "INC-1".into(),
            last_updated: "2024-01-15T10:05:00+01:00".into(),
            schema_version: SchemaVersion::V1_0,
            severity: Some(IncidentSeverity {
                level: SeverityLevel::P1,
            }),
            status: IncidentStatus::Open,
            summary: "VPN down".into(),
            update_sequence_number: 1,
            url: "https://ops.example/inc/1".into(),
        }
    }

    fn review() -> Review {
        Review {
            associations: vec![],
            created_date: "2024-01-15T10:00:00Z".into(),
            description: "what happened".into(),
            id: "PIR-1".into(),
            last_updated: "2024-01-15T10:00:00Z".into(),
            reviews: vec!["INC-1".into()],
            schema_version: SchemaVersion::V1_0,
            status: ReviewStatus::InProgress,
            summary: "VPN outage review".into(),
            update_sequence_number: 1,
            url: "https://ops.example/pir/1".into(),
        }
    }

    #[test]
    fn a_valid_incident_and_review_pass() {
        assert_eq!(validate_incident(&incident()), Vec::<String>::new());
        assert_eq!(validate_review(&review()), Vec::<String>::new());
    }

    #[test]
    fn an_id_of_a_dot_or_two_is_refused_since_no_path_can_name_it() {
        for dots in [".", ".."] {
            let mut i = incident();
            i.id = dots.into();
            assert_eq!(
                validate_incident(&i),
                [format!(
                    "id is `{dots}`, which a URL path cannot carry: the record could not be read or deleted by id"
                )]
            );
            let mut r = review();
            r.id = dots.into();
            assert_eq!(validate_review(&r).len(), 1);
        }
        let mut i = incident();
        i.id = "...".into();
        assert!(validate_incident(&i).is_empty());
    }

    #[test]
    fn ids_of_unreserved_characters_are_url_safe_and_others_are_not() {
        assert!(id_is_url_safe("INC-1.a_b~c"));
        for id in ["INC 1", "a/b", "a%20b", "caf\u{e9}", "a+b", "a:b"] {
            assert!(!id_is_url_safe(id), "{id}");
        }
    }

    #[test]
    fn an_empty_url_is_refused() {
        let mut i = incident();
        i.url = String::new();
        assert_eq!(validate_incident(&i), ["url is empty"]);
    }

    #[test]
    fn urls_with_characters_a_uri_cannot_hold_are_refused() {
        for (bad, c) in [
            ("https://e.x/a), [see also](https://e.x/b", ' '),
            ("https://e.x/caf\u{e9}", '\u{e9}'),
            ("https://e.x/a%zz", '%'),
            ("https://e.x/<b>", '<'),
        ] {
            let mut i = incident();
            i.url = bad.into();
            let reasons = validate_incident(&i);
            assert_eq!(reasons.len(), 1, "{bad}: {reasons:?}");
            assert!(
                reasons[0].ends_with(&format!("{c:?} must be percent-encoded")),
                "{reasons:?}"
            );
        }
        let mut i = incident();
        i.url = "https://e.x/a%20b?q=(1)&r=%5B2%5D#top?x=1".into();
        assert_eq!(validate_incident(&i), Vec::<String>::new());
    }

    #[test]
    fn brackets_outside_the_host_and_a_second_hash_are_refused() {
        for (bad, c, place) in [
            ("https://e.x/a[b]", '[', "outside an IP-literal host"),
            ("https://e.x/?q=]2", ']', "outside an IP-literal host"),
            ("https:a[1]", '[', "outside an IP-literal host"),
            ("https://e.x/#a#b", '#', "in the fragment"),
            ("https://e.x/#[top]", '[', "in the fragment"),
            (
                "https://[::1]:443&x@e.x/",
                '[',
                "outside an IP-literal host",
            ),
            ("https://a@b@e.x/", '@', "more than once in the authority"),
            (
                "https://[::1]x/",
                ']',
                "anywhere but at the end of an IP-literal host",
            ),
            ("https://e.x[1]/", '[', "outside an IP-literal host"),
        ] {
            let mut i = incident();
            i.url = bad.into();
            let reasons = validate_incident(&i);
            assert_eq!(
                reasons,
                [format!(
                    "url `{bad}` is not a URI: {c:?} must be percent-encoded {place}"
                )]
            );
        }
        for good in [
            "https://[::1]:8443/inc/1",
            "https://[2001:db8::7]/?q=1#f",
            "https://user:pw@[::1]/a@b",
        ] {
            let mut i = incident();
            i.url = good.into();
            assert_eq!(validate_incident(&i), Vec::<String>::new(), "{good}");
        }
    }

    #[test]
    fn dates_need_a_t_and_leap_seconds_only_at_the_end_of_a_utc_day() {
        for good in [
            "2024-01-15t10:00:00z",
            "2016-12-31T23:59:60Z",
            "2016-12-31T22:59:60-01:00",
        ] {
            let mut i = incident();
            i.created_date = good.into();
            assert_eq!(validate_incident(&i), Vec::<String>::new(), "{good}");
        }
        for (bad, why) in [
            ("2024-01-15 10:00:00Z", "separated by `T`"),
            ("2024-01-15T10:00:60Z", "23:59:60 UTC"),
            ("2016-12-31T23:59:60+01:00", "23:59:60 UTC"),
        ] {
            let mut i = incident();
            i.created_date = bad.into();
            let reasons = validate_incident(&i);
            assert_eq!(reasons.len(), 1, "{bad}: {reasons:?}");
            assert!(reasons[0].starts_with(&format!("createdDate `{bad}`")));
            assert!(reasons[0].ends_with(why), "{reasons:?}");
        }
    }

    #[test]
    fn relative_and_non_http_urls_are_refused() {
        for bad in ["/inc/1", "ftp://ops.example/1", "mailto:ops@example.com"] {
            let mut i = incident();
            i.url = bad.into();
            let reasons = validate_incident(&i);
            assert_eq!(reasons.len(), 1, "{bad}: {reasons:?}");
            assert!(reasons[0].starts_with("url"), "{reasons:?}");
        }
    }

    #[test]
    fn lengths_are_counted_in_characters() {
        let mut i = incident();
        i.summary = "é".repeat(255);
        assert!(
            validate_incident(&i).is_empty(),
            "255 two-byte characters fit"
        );
        i.summary.push('é');
        assert_eq!(
            validate_incident(&i),
            ["summary is 256 characters long, more than 255"]
        );
    }

    #[test]
    fn ids_longer_than_255_are_refused() {
        let mut i = incident();
        i.id = "x".repeat(256);
        assert_eq!(
            validate_incident(&i),
            ["id is 256 characters long, more than 255"]
        );
    }

    #[test]
    fn unknown_enum_values_are_refused() {
        let mut i = incident();
        i.status = IncidentStatus::from("closed");
        i.severity = Some(IncidentSeverity {
            level: SeverityLevel::from("P0"),
        });
        i.schema_version = SchemaVersion::from("2.0");
        let reasons = validate_incident(&i);
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert!(reasons.iter().any(|r| r.starts_with("status `closed`")));
        assert!(reasons.iter().any(|r| r.starts_with("severity.level `P0`")));
        assert!(reasons.iter().any(|r| r.starts_with("schemaVersion `2.0`")));
    }

    #[test]
    fn association_values_must_be_present_and_non_empty() {
        let mut i = incident();
        i.associations = vec![
            Association {
                association_type: Some(AssociationType::IssueIdOrKeys),
                values: vec![],
            },
            Association {
                association_type: Some(AssociationType::ServiceIdOrKeys),
                values: vec![String::new()],
            },
            Association {
                association_type: None,
                values: vec!["x".into()],
            },
        ];
        assert_eq!(
            validate_incident(&i),
            [
                "associations[0] has no values",
                "associations[1] has 1 empty value(s)",
                "associations[2] has no associationType"
            ]
        );
    }

    #[test]
    fn dates_must_be_rfc3339() {
        let mut i = incident();
        i.created_date = "2024-01-15 10:00".into();
        i.last_updated = String::new();
        let reasons = validate_incident(&i);
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(reasons[0].starts_with("createdDate `2024-01-15 10:00` is not an RFC 3339"));
        assert_eq!(reasons[1], "lastUpdated is empty");
    }

    #[test]
    fn item_counts_are_checked() {
        let mut i = incident();
        i.affected_components = vec![];
        assert_eq!(
            validate_incident(&i),
            ["affectedComponents has 0 items, at least 1 required"]
        );
        i.affected_components = (0..101).map(|n| format!("c{n}")).collect();
        assert_eq!(
            validate_incident(&i),
            ["affectedComponents has 101 items, more than 100"]
        );

        let mut r = review();
        r.reviews = vec![];
        r.status = ReviewStatus::from("open");
        let reasons = validate_review(&r);
        assert_eq!(reasons.len(), 2, "{reasons:?}");
    }

    #[test]
    fn an_empty_description_is_sent_but_a_long_one_is_not() {
        let mut i = incident();
        i.description = String::new();
        assert!(validate_incident(&i).is_empty());
        i.description = "x".repeat(5001);
        assert_eq!(
            validate_incident(&i),
            ["description is 5001 characters long, more than 5000"]
        );
    }

    fn url_parses(value: &str) -> bool {
        url::Url::parse(value).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
    }

    #[test]
    fn usual_urls_and_dates_take_the_fast_path_and_others_the_parsers() {
        for url in [
            "https://status.example.com/incidents/12/timeline?source=synthetic",
            "http://localhost:8080",
            "https://ops.example#top",
            "https://a-b.c9.example/x%20y",
        ] {
            assert!(plain_http_url(url), "{url}");
            assert!(url_parses(url), "{url}");
        }
        for (url, clean) in [
            ("https://ops.example/a%2Fb?q=%7e#frag", true),
            ("https://ops.example/a b", false),
            ("https://ops.example/#a#b", false),
            ("https://ops.example/[x]", false),
            ("https://ops.example/%zz", false),
            ("https://ops.example/%2", false),
            ("https://ops.example/caf\u{e9}", false),
        ] {
            assert!(plain_http_url(url), "{url}");
            assert_eq!(clean_plain_http_url(url), clean, "{url}");
            let mut reasons = Vec::new();
            checked_url(&mut reasons, url, 2000);
            assert_eq!(reasons.is_empty(), clean, "{url}: {reasons:?}");
        }
        for url in [
            "HTTPS://ops.example/",
            "https://user@ops.example/",
            "https://[::1]/",
            "https://10.0.0.1/",
            "https://xn--caf-dma.example/",
            "https://ops.example:65536/",
            "https://ops..example/",
            "ftp://ops.example/",
        ] {
            assert!(!plain_http_url(url), "{url}");
        }
        for date in [
            "2024-01-01T00:01:00.000Z",
            "2024-02-29T23:59:59+05:30",
            "2000-02-29T00:00:00-00:00",
            "2024-01-15T10:05:00.123456789Z",
        ] {
            assert!(plain_rfc3339(date), "{date}");
            assert!(chrono::DateTime::parse_from_rfc3339(date).is_ok(), "{date}");
        }
        for date in [
            "2023-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2024-01-15t10:05:00z",
            "2024-01-15T24:00:00Z",
            "2024-01-15T10:05:60Z",
            "2024-01-15T10:05:00.Z",
            "2024-01-15T10:05:00+24:00",
            "2024-01-15T10:05:00",
        ] {
            assert!(!plain_rfc3339(date), "{date}");
        }

        // What the fast paths leave alone is still judged by the parsers.
        let mut i = incident();
        i.created_date = "2024-01-15t10:05:00z".into();
        i.last_updated = "2023-02-29T00:00:00Z".into();
        i.url = "HTTPS://OPS.EXAMPLE/1".into();
        let reasons = validate_incident(&i);
        assert_eq!(reasons.len(), 1, "{reasons:?}");
        assert!(reasons[0].starts_with("lastUpdated `2023-02-29T00:00:00Z`"));
    }

    proptest::proptest! {
        #[test]
        fn a_url_recognized_without_parsing_is_one_the_parser_accepts(
            scheme in proptest::sample::select(vec!["http://", "https://", "HTTP://", "http:/", "ftp://"]),
            host in "([a-zA-Z0-9-]{0,4}|xn--[a-z]{0,3}|0[xX][0-9a-f]{0,2}|[0-9]{1,4})(\\.([a-zA-Z0-9-]{0,4}|xn--[a-z]{0,3}|0[xX][0-9a-f]{0,2}|[0-9]{1,4})){0,4}",
            port in proptest::option::of("[0-9]{0,7}"),
            rest in "([/?#]([a-zA-Z0-9/?#._~:@!$&'()*+,;=\\[\\] \"é{|^-]|%[0-9a-fA-Fg]{0,2}){0,12})?",
        ) {
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            let value = format!("{scheme}{host}{port}{rest}");
            if not_uri_char(&value).is_none() && plain_http_url(&value) {
                proptest::prop_assert!(url_parses(&value), "{}", value);
            }
            if clean_plain_http_url(&value) {
                let mut reasons = Vec::new();
                checked_url(&mut reasons, &value, 2000);
                proptest::prop_assert!(reasons.is_empty(), "{}: {:?}", value, reasons);
            }
        }

        #[test]
        fn a_date_recognized_without_chrono_is_one_chrono_accepts(
            (year, month, day) in (0u32..10_000, 0u32..14, 0u32..33),
            (hour, minute, second) in (0u32..26, 0u32..62, 0u32..62),
            fraction in "(\\.[0-9]{0,11})?",
            offset in "(Z|z|[+-][0-9]{2}:[0-9]{2}|[+-][0-9]{4})?",
            separator in proptest::sample::select(vec!["T", "t", " "]),
        ) {
            let value = format!(
                "{year:04}-{month:02}-{day:02}{separator}{hour:02}:{minute:02}:{second:02}{fraction}{offset}"
            );
            if plain_rfc3339(&value) {
                let mut reasons = Vec::new();
                parsed_date(&mut reasons, "createdDate", &value);
                proptest::prop_assert!(reasons.is_empty(), "{}: {:?}", value, reasons);
            }
        }
    }
}

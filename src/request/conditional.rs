//! Conditional requests, evaluated at the edge in RFC 9110 §13.2.2's
//! order: `If-Match`, `If-Unmodified-Since`, `If-None-Match`,
//! `If-Modified-Since`, then `If-Range`.
//!
//! A cache answers these from its stored validators; GCS emulators and some
//! origins ignore them, and the origin request carries none of the client's
//! headers. Evaluating them here against the object's `ETag` and
//! `Last-Modified` gives clients the right answer either way.

/// The client's preconditions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Conditions<'a> {
    pub if_match: Option<&'a str>,
    pub if_unmodified_since: Option<&'a str>,
    pub if_none_match: Option<&'a str>,
    pub if_modified_since: Option<&'a str>,
    pub if_range: Option<&'a str>,
}

impl Conditions<'_> {
    pub fn is_empty(&self) -> bool {
        *self == Conditions::default()
    }
}

/// What the preconditions say about a GET or HEAD of an object that
/// exists (the origin answered 200 or 206).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// Serve as fetched.
    Proceed,
    /// 304: the client's copy is current.
    NotModified,
    /// 412: `If-Match` or `If-Unmodified-Since` is false.
    Failed,
    /// `If-Range` is false: the client's partial copy is of another
    /// version, so it must get the whole object with 200, not a range
    /// spliced onto the wrong bytes (RFC 9110 §13.1.5).
    WholeObject,
}

/// Evaluates the preconditions in RFC 9110 §13.2.2's order. `ranged` says
/// whether the client asked for a range (`If-Range` means nothing
/// without one).
pub fn evaluate(
    c: &Conditions<'_>,
    ranged: bool,
    etag: Option<&str>,
    last_modified: Option<&str>,
) -> Precondition {
    // Parsed only when a date is compared: most requests compare none.
    let modified = || last_modified.and_then(parse_http_date);
    // 1. If-Match, strong comparison; 2. else If-Unmodified-Since.
    if let Some(if_match) = c.if_match {
        let held = if_match.trim() == "*"
            || etag.is_some_and(|etag| list(if_match).any(|tag| strong_eq(tag, etag)));
        if !held {
            return Precondition::Failed;
        }
    } else if let Some(since) = c.if_unmodified_since.and_then(parse_http_date) {
        if modified().is_some_and(|modified| modified > since) {
            return Precondition::Failed;
        }
    }
    // 3. If-None-Match, weak comparison; 4. else If-Modified-Since.
    if let Some(if_none_match) = c.if_none_match {
        let matched = if_none_match.trim() == "*"
            || etag.is_some_and(|etag| list(if_none_match).any(|tag| weak_eq(tag, etag)));
        if matched {
            return Precondition::NotModified;
        }
    } else if let Some(since) = c.if_modified_since.and_then(parse_http_date) {
        if modified().is_some_and(|modified| modified <= since) {
            return Precondition::NotModified;
        }
    }
    // 5. If-Range: an entity tag compared strongly, or the exact date.
    if let (true, Some(if_range)) = (ranged, c.if_range) {
        let if_range = if_range.trim();
        let held = if if_range.starts_with('"') || if_range.starts_with("W/") {
            etag.is_some_and(|etag| strong_eq(if_range, etag))
        } else {
            matches!(
                (parse_http_date(if_range), modified()),
                (Some(date), Some(modified)) if date == modified
            )
        };
        if !held {
            return Precondition::WholeObject;
        }
    }
    Precondition::Proceed
}

/// The entity tags of a comma-separated list.
fn list(header: &str) -> impl Iterator<Item = &str> {
    header.split(',').map(str::trim).filter(|t| !t.is_empty())
}

/// Strong comparison: both tags strong and the same.
fn strong_eq(a: &str, b: &str) -> bool {
    let b = b.trim();
    !a.starts_with("W/") && !b.starts_with("W/") && a == b
}

/// Weak comparison: `W/"x"` matches `"x"`.
fn weak_eq(a: &str, b: &str) -> bool {
    let opaque = |t: &str| t.strip_prefix("W/").unwrap_or(t).to_owned();
    !a.is_empty() && opaque(a) == opaque(b)
}

/// Parses an HTTP date into seconds since 1970: IMF-fixdate (`Sun, 06 Nov
/// 1994 08:49:37 GMT`) and the two obsolete forms RFC 9110 §5.6.7 asks
/// recipients to accept (RFC 850, asctime), with the `httpdate` crate.
/// Anything else (or a date before 1970) gives `None`, and the header is
/// then ignored, as RFC 9110 requires for an invalid date.
pub fn parse_http_date(value: &str) -> Option<i64> {
    let time = httpdate::parse_http_date(value.trim()).ok()?;
    let seconds = time.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(seconds).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ETAG: &str = "\"fH5c+YKkL1KNkR3V6LNvVg==\"";
    const MODIFIED: &str = "Sat, 21 Nov 2026 10:45:06 GMT";

    fn check(inm: Option<&str>, ims: Option<&str>) -> bool {
        let c = Conditions {
            if_none_match: inm,
            if_modified_since: ims,
            ..Conditions::default()
        };
        evaluate(&c, false, Some(ETAG), Some(MODIFIED)) == Precondition::NotModified
    }

    const OLDER: &str = "Mon, 01 Jan 2001 00:00:00 GMT";
    const LATER: &str = "Thu, 01 Jan 2099 00:00:00 GMT";

    /// Every precondition alone, and in RFC 9110 §13.2.2's order when
    /// several disagree: If-Match, If-Unmodified-Since, If-None-Match,
    /// If-Modified-Since, If-Range.
    #[test]
    fn preconditions_in_the_rfcs_order() {
        use Precondition::*;
        let none = Conditions::default();
        let table: [(&str, Conditions<'_>, bool, Precondition); 19] = [
            ("nothing", none, true, Proceed),
            (
                "If-Match same",
                Conditions {
                    if_match: Some(ETAG),
                    ..none
                },
                false,
                Proceed,
            ),
            (
                "If-Match *",
                Conditions {
                    if_match: Some("*"),
                    ..none
                },
                false,
                Proceed,
            ),
            (
                "If-Match other",
                Conditions {
                    if_match: Some("\"x\""),
                    ..none
                },
                false,
                Failed,
            ),
            (
                "If-Match weak is no strong match",
                Conditions {
                    if_match: Some("W/\"fH5c+YKkL1KNkR3V6LNvVg==\""),
                    ..none
                },
                false,
                Failed,
            ),
            (
                "If-Unmodified-Since later",
                Conditions {
                    if_unmodified_since: Some(LATER),
                    ..none
                },
                false,
                Proceed,
            ),
            (
                "If-Unmodified-Since older",
                Conditions {
                    if_unmodified_since: Some(OLDER),
                    ..none
                },
                false,
                Failed,
            ),
            (
                "If-Match wins over If-Unmodified-Since",
                Conditions {
                    if_match: Some(ETAG),
                    if_unmodified_since: Some(OLDER),
                    ..none
                },
                false,
                Proceed,
            ),
            (
                "a failed If-Match wins over a matching If-None-Match",
                Conditions {
                    if_match: Some("\"x\""),
                    if_none_match: Some(ETAG),
                    ..none
                },
                false,
                Failed,
            ),
            (
                "If-None-Match same",
                Conditions {
                    if_none_match: Some(ETAG),
                    ..none
                },
                false,
                NotModified,
            ),
            (
                "If-Modified-Since later",
                Conditions {
                    if_modified_since: Some(LATER),
                    ..none
                },
                false,
                NotModified,
            ),
            (
                "If-Range same tag",
                Conditions {
                    if_range: Some(ETAG),
                    ..none
                },
                true,
                Proceed,
            ),
            (
                "If-Range stale tag",
                Conditions {
                    if_range: Some("\"stale-etag\""),
                    ..none
                },
                true,
                WholeObject,
            ),
            (
                "If-Range weak tag never holds",
                Conditions {
                    if_range: Some("W/\"fH5c+YKkL1KNkR3V6LNvVg==\""),
                    ..none
                },
                true,
                WholeObject,
            ),
            (
                "If-Range exact date",
                Conditions {
                    if_range: Some(MODIFIED),
                    ..none
                },
                true,
                Proceed,
            ),
            (
                "If-Range other date",
                Conditions {
                    if_range: Some(LATER),
                    ..none
                },
                true,
                WholeObject,
            ),
            (
                "If-Range garbage",
                Conditions {
                    if_range: Some("yesterday"),
                    ..none
                },
                true,
                WholeObject,
            ),
            (
                "If-Range without a range",
                Conditions {
                    if_range: Some("\"stale\""),
                    ..none
                },
                false,
                Proceed,
            ),
            (
                "a matching validator wins over If-Range",
                Conditions {
                    if_none_match: Some(ETAG),
                    if_range: Some("\"stale\""),
                    ..none
                },
                true,
                NotModified,
            ),
        ];
        for (name, conditions, ranged, expected) in table {
            assert_eq!(
                evaluate(&conditions, ranged, Some(ETAG), Some(MODIFIED)),
                expected,
                "{name}"
            );
        }
        assert_eq!(
            evaluate(
                &Conditions {
                    if_match: Some(ETAG),
                    ..none
                },
                false,
                None,
                None
            ),
            Failed,
            "If-Match with no ETag to compare"
        );
    }

    #[test]
    fn if_none_match_compares_entity_tags() {
        assert!(check(Some(ETAG), None));
        assert!(check(
            Some("\"other\", W/\"fH5c+YKkL1KNkR3V6LNvVg==\""),
            None
        ));
        assert!(check(Some("*"), None));
        assert!(!check(Some("\"other\""), None));
        assert!(!check(Some(""), None));
    }

    #[test]
    fn if_none_match_wins_over_if_modified_since() {
        assert!(!check(
            Some("\"other\""),
            Some("Thu, 01 Jan 2099 00:00:00 GMT")
        ));
    }

    #[test]
    fn if_modified_since_compares_dates() {
        assert!(check(None, Some(MODIFIED)));
        assert!(check(None, Some("Thu, 01 Jan 2099 00:00:00 GMT")));
        assert!(!check(None, Some("Mon, 01 Jan 2001 00:00:00 GMT")));
        assert!(
            !check(None, Some("yesterday")),
            "an invalid date is ignored"
        );
    }

    #[test]
    fn parses_all_three_http_date_forms() {
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC"), None);
        assert_eq!(
            parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"),
            Some(784_111_777),
            "RFC 850 form"
        );
        assert_eq!(
            parse_http_date("Sun Nov  6 08:49:37 1994"),
            Some(784_111_777),
            "asctime form"
        );
        assert_eq!(parse_http_date("Sun, +6 Nov 1994 08:49:37 GMT"), None);
        assert_eq!(
            parse_http_date("Wed, 01 Jan 2099 00:00:00 GMT"),
            None,
            "a weekday the date does not fall on"
        );
        assert_eq!(parse_http_date("Sun, 31 Feb 1994 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT"), None);
    }

    #[test]
    fn without_validators_nothing_is_not_modified() {
        let c = Conditions {
            if_none_match: Some(ETAG),
            ..Conditions::default()
        };
        assert_eq!(evaluate(&c, false, None, None), Precondition::Proceed);
        assert!(Conditions::default().is_empty());
    }
}

//! Conditional requests (`If-None-Match`, `If-Modified-Since`) answered at
//! the edge.
//!
//! A cache answers these from its stored validators; GCS emulators and some
//! origins ignore them. Evaluating them here against the origin's `ETag` and
//! `Last-Modified` gives clients a correct 304 either way (RFC 9110 §13.2.2:
//! `If-None-Match` wins over `If-Modified-Since`).

/// The client's validators.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Conditions<'a> {
    pub if_none_match: Option<&'a str>,
    pub if_modified_since: Option<&'a str>,
}

impl Conditions<'_> {
    pub fn is_empty(&self) -> bool {
        self.if_none_match.is_none() && self.if_modified_since.is_none()
    }
}

/// Whether a 200 response with these validators should become a 304.
pub fn not_modified(
    conditions: &Conditions<'_>,
    etag: Option<&str>,
    last_modified: Option<&str>,
) -> bool {
    if let Some(if_none_match) = conditions.if_none_match {
        let Some(etag) = etag else { return false };
        return if_none_match.trim() == "*"
            || if_none_match
                .split(',')
                .any(|candidate| weak_eq(candidate.trim(), etag.trim()));
    }
    match (
        conditions.if_modified_since.and_then(parse_http_date),
        last_modified.and_then(parse_http_date),
    ) {
        (Some(since), Some(modified)) => modified <= since,
        _ => false,
    }
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
        };
        not_modified(&c, Some(ETAG), Some(MODIFIED))
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
            if_modified_since: None,
        };
        assert!(!not_modified(&c, None, None));
        assert!(Conditions::default().is_empty());
    }
}

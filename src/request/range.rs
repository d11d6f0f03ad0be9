//! The client's `Range` header, checked before anything is fetched.
//!
//! Range requests, suffix ranges included, must work (product rule 4): CI
//! jobs resume downloads and tools read archive trailers with `bytes=-N`. A
//! header that cannot be a byte range is refused at the edge rather than
//! handed to the origin to interpret.

use crate::request::rejection::Rejection;

/// What to do with a request's `Range` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeRequest {
    /// No header, or several ranges, which are ignored as RFC 9110 allows:
    /// the client gets the whole object with 200.
    Whole,
    /// One byte range, forwarded as given.
    Single(String),
}

/// Checks a `Range` header: one `bytes=first-last`, `bytes=first-` or
/// `bytes=-suffix`.
pub fn check(header: Option<&str>) -> Result<RangeRequest, Rejection> {
    let Some(header) = header else {
        return Ok(RangeRequest::Whole);
    };
    let spec = header
        .trim()
        .strip_prefix("bytes=")
        .ok_or(Rejection::MalformedRange)?;
    let ranges: Vec<&str> = spec.split(',').map(str::trim).collect();
    for range in &ranges {
        check_one(range)?;
    }
    if ranges.len() > 1 {
        return Ok(RangeRequest::Whole);
    }
    Ok(RangeRequest::Single(format!("bytes={}", ranges[0])))
}

fn check_one(range: &str) -> Result<(), Rejection> {
    let (first, last) = range.split_once('-').ok_or(Rejection::MalformedRange)?;
    let number = |s: &str| -> Result<Option<u64>, Rejection> {
        if s.is_empty() {
            return Ok(None);
        }
        if s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Rejection::MalformedRange);
        }
        s.parse().map(Some).map_err(|_| Rejection::MalformedRange)
    };
    match (number(first)?, number(last)?) {
        (None, None) => Err(Rejection::MalformedRange),
        (None, Some(0)) => Err(Rejection::UnsatisfiableRange),
        (Some(first), Some(last)) if first > last => Err(Rejection::UnsatisfiableRange),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_ranges_are_forwarded() {
        for (header, forwarded) in [
            ("bytes=0-9", "bytes=0-9"),
            ("bytes=10-", "bytes=10-"),
            ("bytes=-5", "bytes=-5"),
            (" bytes=0-0 ", "bytes=0-0"),
        ] {
            assert_eq!(
                check(Some(header)),
                Ok(RangeRequest::Single(forwarded.into())),
                "{header}"
            );
        }
        assert_eq!(check(None), Ok(RangeRequest::Whole));
    }

    #[test]
    fn several_ranges_are_ignored() {
        assert_eq!(check(Some("bytes=0-1,4-5")), Ok(RangeRequest::Whole));
    }

    #[test]
    fn garbage_is_refused() {
        use Rejection::*;
        for (header, expected) in [
            ("foo", MalformedRange),
            ("bytes", MalformedRange),
            ("bytes=", MalformedRange),
            ("bytes=-", MalformedRange),
            ("bytes=a-b", MalformedRange),
            ("bytes=1-2-3", MalformedRange),
            ("bytes=0x10-", MalformedRange),
            ("bytes=+1-2", MalformedRange),
            ("items=0-9", MalformedRange),
            ("bytes=99999999999999999999-", MalformedRange),
            ("bytes=0-1,x", MalformedRange),
            ("bytes=9-1", UnsatisfiableRange),
            ("bytes=-0", UnsatisfiableRange),
        ] {
            assert_eq!(check(Some(header)), Err(expected), "{header}");
        }
    }
}

//! The public path: the request target decoded once, safely, and checked.
//!
//! The shell hands over the raw request target exactly as the client sent it
//! (the `fastly` crate's URL type would already have resolved `..`, so it is
//! not used for this). Decoding happens here, once; whatever could make the
//! object name mean something other than what it says is refused with a 400.

use crate::request::rejection::Rejection;

/// A request path that is safe to map to an object name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicPath {
    /// Decoded, starting with `/`; `/` itself becomes `/index.html`.
    pub path: String,
    /// Whether a query string or fragment was present and dropped.
    pub query_dropped: bool,
}

/// Decodes and checks a request target such as `/release/stable.txt?x=1`.
///
/// The query and fragment are dropped: they must not reach the origin or
/// fragment the cache. `max_bytes` bounds the raw path, before decoding.
pub fn parse(target: &str, max_bytes: usize) -> Result<PublicPath, Rejection> {
    let end = target
        .bytes()
        .position(|b| b == b'?' || b == b'#')
        .unwrap_or(target.len());
    let (raw, dropped) = target.split_at(end);
    if raw.len() > max_bytes {
        return Err(Rejection::PathTooLong);
    }
    if !raw.starts_with('/') {
        return Err(Rejection::PathNotAbsolute);
    }
    let decoded = percent_decode(raw)?;
    check_characters(&decoded)?;
    check_segments(&decoded)?;
    let path = if decoded == "/" {
        "/index.html".to_owned()
    } else {
        decoded
    };
    Ok(PublicPath {
        path,
        query_dropped: !dropped.is_empty(),
    })
}

/// The target (`/path?query`) of the absolute URI the platform reports for
/// a request, such as `http://dl.k8s.io/release/stable.txt?x`. A URI with no
/// path gives `/`; the asterisk form (`GET *`, reported as
/// `http://dl.k8s.io*`) gives `*`, which only OPTIONS may use (RFC 9112
/// §3.2.4) and [`parse`] refuses; something that is not an absolute URI is
/// returned as is, for [`parse`] to refuse.
pub fn request_target(uri: &str) -> &str {
    let Some((_, after_scheme)) = uri.split_once("://") else {
        return uri;
    };
    match after_scheme.find(['/', '?', '*']) {
        Some(start) if after_scheme[start..].starts_with('/') => &after_scheme[start..],
        Some(start) if &after_scheme[start..] == "*" => "*",
        _ => "/",
    }
}

/// Decodes `%XX` escapes once. An encoded `/` is refused: it would let one
/// segment name an object in another directory.
fn percent_decode(raw: &str) -> Result<String, Rejection> {
    if !raw.contains('%') {
        return Ok(raw.to_owned());
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = bytes.get(i + 1).and_then(|b| hex_value(*b));
            let lo = bytes.get(i + 2).and_then(|b| hex_value(*b));
            let (Some(hi), Some(lo)) = (hi, lo) else {
                return Err(Rejection::BadPercentEncoding);
            };
            let byte = hi << 4 | lo;
            if byte == b'/' {
                return Err(Rejection::EncodedSlash);
            }
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| Rejection::NotUtf8)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn check_characters(decoded: &str) -> Result<(), Rejection> {
    let bytes = decoded.as_bytes();
    // Nearly every path is printable ASCII with no `\` or `%`: one pass
    // says so, instead of a pass for each thing it cannot hold.
    if bytes
        .iter()
        .all(|&b| matches!(b, b' '..=b'~') && b != b'\\' && b != b'%')
    {
        return Ok(());
    }
    let control = if decoded.is_ascii() {
        bytes.iter().any(u8::is_ascii_control)
    } else {
        decoded.chars().any(char::is_control)
    };
    if control {
        return Err(Rejection::ControlCharacter);
    }
    if bytes.contains(&b'\\') {
        return Err(Rejection::Backslash);
    }
    // What is left of a `%252e` after one decode: some layer behind us might
    // decode it again, so it never names an object.
    let double_encoded = bytes
        .windows(3)
        .any(|w| w[0] == b'%' && hex_value(w[1]).is_some() && hex_value(w[2]).is_some());
    if double_encoded {
        return Err(Rejection::DoubleEncoded);
    }
    Ok(())
}

/// Refuses `//`, `.` and `..` anywhere; a trailing `/` is allowed here and
/// refused later as a directory listing, with a 404 rather than a 400.
fn check_segments(decoded: &str) -> Result<(), Rejection> {
    let inner = &decoded.as_bytes()[1..];
    let inner = inner.strip_suffix(b"/").unwrap_or(inner);
    if inner.is_empty() {
        return Ok(());
    }
    for segment in inner.split(|&b| b == b'/') {
        match segment {
            b"" => return Err(Rejection::EmptySegment),
            b"." | b".." => return Err(Rejection::DotSegment),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 1024;

    #[test]
    fn accepts_real_paths_and_drops_queries() {
        let table = [
            ("/release/stable.txt", "/release/stable.txt", false),
            ("/release/stable.txt?ts=1", "/release/stable.txt", true),
            ("/release/stable.txt#frag", "/release/stable.txt", true),
            ("/", "/index.html", false),
            ("/?", "/index.html", true),
            (
                "/ci/v1.33.0-alpha.1.111%2B4bd4a6da5c0b0f/kubelet",
                "/ci/v1.33.0-alpha.1.111+4bd4a6da5c0b0f/kubelet",
                false,
            ),
            (
                "/ci/v1.33.0-alpha.1.111+4bd4a6da5c0b0f/kubelet",
                "/ci/v1.33.0-alpha.1.111+4bd4a6da5c0b0f/kubelet",
                false,
            ),
            ("/release/v1.31.0/", "/release/v1.31.0/", false),
            ("/a%20b", "/a b", false),
            ("/caf%C3%A9", "/café", false),
            ("/...", "/...", false),
            ("/a..b/c", "/a..b/c", false),
        ];
        for (target, path, dropped) in table {
            let parsed = parse(target, MAX).unwrap_or_else(|r| panic!("{target}: {r:?}"));
            assert_eq!(parsed.path, path, "{target}");
            assert_eq!(parsed.query_dropped, dropped, "{target}");
        }
    }

    #[test]
    fn refuses_hostile_paths_with_a_reason() {
        use Rejection::*;
        let table = [
            ("/release/../etc/passwd", DotSegment),
            ("/release/%2e%2e/etc/passwd", DotSegment),
            ("/release/%2E%2E/etc/passwd", DotSegment),
            ("/release/.%2e/x", DotSegment),
            ("/release/./stable.txt", DotSegment),
            ("/..", DotSegment),
            ("/release/..", DotSegment),
            ("/release%2f..%2fsecret", EncodedSlash),
            ("/release%2Fstable.txt", EncodedSlash),
            ("/release/%252e%252e/x", DoubleEncoded),
            ("/release\\stable.txt", Backslash),
            ("/release%5cstable.txt", Backslash),
            ("/release/stable.txt%00.html", ControlCharacter),
            ("/release/%0d%0aSet-Cookie:x", ControlCharacter),
            ("/release/\tx", ControlCharacter),
            ("/release/%7f", ControlCharacter),
            ("//release/stable.txt", EmptySegment),
            ("/release//stable.txt", EmptySegment),
            ("/release/%", BadPercentEncoding),
            ("/release/%zz", BadPercentEncoding),
            ("/release/%4", BadPercentEncoding),
            ("/release/%ff%fe", NotUtf8),
            ("release/stable.txt", PathNotAbsolute),
            ("*", PathNotAbsolute),
            ("", PathNotAbsolute),
        ];
        for (target, expected) in table {
            assert_eq!(parse(target, MAX), Err(expected), "{target}");
        }
    }

    #[test]
    fn the_target_is_cut_from_the_absolute_uri_untouched() {
        let table = [
            ("http://dl.k8s.io/release/stable.txt", "/release/stable.txt"),
            (
                "http://dl.k8s.io:7676/release/../x?q=1",
                "/release/../x?q=1",
            ),
            ("https://dl.k8s.io/a%2e%2e/b", "/a%2e%2e/b"),
            ("http://dl.k8s.io", "/"),
            ("http://dl.k8s.io?x=1", "/"),
            ("*", "*"),
            ("http://dl.k8s.io*", "*"),
            ("http://dl.k8s.io:7676*", "*"),
            ("http://dl.k8s.io*x", "/"),
        ];
        for (uri, target) in table {
            assert_eq!(request_target(uri), target, "{uri}");
        }
    }

    #[test]
    fn refuses_paths_over_the_configured_length_before_decoding() {
        let long = format!("/release/{}", "a".repeat(100));
        assert!(parse(&long, 200).is_ok());
        assert_eq!(parse(&long, 50), Err(Rejection::PathTooLong));
        // The query does not count towards the path.
        let with_query = format!("/x?{}", "q".repeat(500));
        assert!(parse(&with_query, 50).is_ok());
    }
}

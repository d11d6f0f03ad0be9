//! What the client sent, checked: the path decoded once, the host, the
//! range, the conditional headers, and every reason to refuse a request at
//! the edge.

pub mod conditional;
pub mod host;
pub mod path;
pub mod range;
pub mod rejection;

use std::borrow::Cow;

/// The protocol a request came over, as the log record names it: what
/// `http`'s `Debug` writes (`HTTP/1.1`), without formatting machinery on
/// every request.
pub fn protocol(version: http::Version) -> Cow<'static, str> {
    use http::Version;
    Cow::Borrowed(match version {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_11 => "HTTP/1.1",
        Version::HTTP_2 => "HTTP/2.0",
        Version::HTTP_3 => "HTTP/3.0",
        other => return Cow::Owned(format!("{other:?}")),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn protocol_is_what_debug_writes() {
        use http::Version;
        for version in [
            Version::HTTP_09,
            Version::HTTP_10,
            Version::HTTP_11,
            Version::HTTP_2,
            Version::HTTP_3,
        ] {
            assert_eq!(super::protocol(version), format!("{version:?}"));
        }
    }
}

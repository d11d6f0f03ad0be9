//! Header rules for what the client gets back (product rule 6).

/// Headers set on every response, edge answers included.
pub const ALWAYS: [(&str, &str); 3] = [
    ("access-control-allow-origin", "*"),
    (
        "access-control-expose-headers",
        "Content-Length, Content-Range, ETag, Last-Modified",
    ),
    ("x-content-type-options", "nosniff"),
];

/// The answer to a CORS preflight, sent by the edge without an origin fetch.
pub const PREFLIGHT: [(&str, &str); 3] = [
    ("access-control-allow-methods", "GET, HEAD, OPTIONS"),
    (
        "access-control-allow-headers",
        "Range, If-None-Match, If-Modified-Since",
    ),
    ("access-control-max-age", "86400"),
];

/// Headers of every short plain-text error the edge makes itself (a
/// rejection, an unreachable origin, refused credentials): never cached.
pub const PLAIN_TEXT_ERROR: [(&str, &str); 5] = [
    ALWAYS[0],
    ALWAYS[1],
    ALWAYS[2],
    ("content-type", "text/plain; charset=utf-8"),
    ("cache-control", "no-store"),
];

/// The `Allow` value of a 405.
pub const ALLOW: &str = "GET, HEAD, OPTIONS";

/// Whether an origin response header must not reach clients: GCS internals
/// (`x-goog-*`, `x-guploader-uploadid`), headers the edge sets itself, and
/// origin cache directives the edge replaces.
pub fn is_origin_internal(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("x-goog-")
        || name.starts_with("access-control-")
        || matches!(
            name.as_str(),
            "x-guploader-uploadid"
                | "x-guploader-response-body-transformations"
                | "server"
                | "alt-svc"
                | "via"
                | "expires"
                | "pragma"
                | "cache-control"
                | "surrogate-key"
                | "surrogate-control"
                | "set-cookie"
                | "vary"
                | "x-content-type-options"
        )
}

/// The content type for a file whose origin type is wrong or missing.
///
/// Checksum and signature files are text, so `curl` shows them and
/// `sha256sum --check` reads them; GCS often stores them as
/// `application/octet-stream`.
pub fn content_type_override(file: &str) -> Option<&'static str> {
    const TEXT_SUFFIXES: [&str; 4] = [".sha256", ".sha512", ".sig", ".cert"];
    const TEXT_NAMES: [&str; 2] = ["SHA256SUMS", "SHA512SUMS"];
    let text = TEXT_SUFFIXES.iter().any(|s| file.ends_with(s)) || TEXT_NAMES.contains(&file);
    text.then_some("text/plain; charset=utf-8")
}

/// The content type when the origin sends none.
pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_internals_are_recognised_in_any_case() {
        for name in [
            "x-goog-generation",
            "X-Goog-Hash",
            "x-goog-meta-surrogate-key",
            "X-GUploader-UploadID",
            "Server",
            "Cache-Control",
            "Expires",
            "Access-Control-Allow-Origin",
        ] {
            assert!(is_origin_internal(name), "{name}");
        }
        for name in [
            "content-length",
            "content-type",
            "etag",
            "last-modified",
            "accept-ranges",
            "content-range",
            "content-encoding",
        ] {
            assert!(!is_origin_internal(name), "{name}");
        }
    }

    #[test]
    fn checksums_and_signatures_are_text() {
        for file in [
            "kubectl.sha256",
            "kubeadm.sha512",
            "kubeadm.sig",
            "kubeadm.cert",
            "SHA256SUMS",
            "SHA512SUMS",
            "kubernetes-release.spdx.sig",
        ] {
            assert_eq!(
                content_type_override(file),
                Some("text/plain; charset=utf-8"),
                "{file}"
            );
        }
        for file in [
            "kubectl",
            "kubernetes.tar.gz",
            "kubernetes-release.spdx",
            "sha256",
        ] {
            assert_eq!(content_type_override(file), None, "{file}");
        }
    }
}

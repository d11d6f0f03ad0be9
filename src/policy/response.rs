//! What the client gets back (product rule 6): the header rules, and the
//! response plan that turns an origin's answer into the client's.
//!
//! The plan is a value, so every rule here is tested natively; the shell
//! only reads the origin's head and applies the plan to it.

use crate::artifact::classify::Class;
use crate::policy::cache::{self, CachePolicy};
use crate::request::conditional::{not_modified, Conditions};

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
    ("content-type", PLAIN_TEXT),
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
    text.then_some(PLAIN_TEXT)
}

/// The content type when the origin sends none.
pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// What the shell read of the origin's answer: its status, its header
/// names, and the few values the plan needs.
#[derive(Debug, Clone, Default)]
pub struct OriginHead<'a> {
    pub status: u16,
    pub header_names: Vec<&'a str>,
    pub etag: Option<&'a str>,
    pub last_modified: Option<&'a str>,
    pub content_type: Option<&'a str>,
    /// `x-goog-meta-surrogate-key`: purge keys set on the object itself.
    pub object_keys: Option<&'a str>,
}

/// The object the response is for, as the decision knows it.
#[derive(Debug, Clone, Copy)]
pub struct ServedObject<'a> {
    pub class: Class,
    /// The file name, which can say its content type.
    pub file: &'a str,
    /// Surrogate keys known from the request.
    pub request_keys: &'a [String],
}

/// The client's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// The origin's, streamed as it comes.
    Origin,
    /// A short text of the edge's own instead of the origin's.
    Replace(String),
    /// None: a 304.
    Empty,
}

/// How to turn the origin's answer into the client's: applied by the shell
/// in this order: remove, set, status, body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponsePlan {
    pub status: u16,
    /// Origin headers that must not reach the client, as the origin named
    /// them.
    pub remove: Vec<String>,
    /// Headers the edge sets, replacing any the origin sent.
    pub set: Vec<(&'static str, String)>,
    pub body: Body,
}

/// Origin headers an error body replaces: they describe the origin's body.
const ERROR_BODY_DROPS: [&str; 5] = [
    "content-length",
    "content-type",
    "etag",
    "last-modified",
    "accept-ranges",
];

/// The headers a 304 keeps: validators, cache policy and CORS.
const NOT_MODIFIED_KEEPS: [&str; 7] = [
    "etag",
    "last-modified",
    "cache-control",
    "surrogate-key",
    "access-control-allow-origin",
    "access-control-expose-headers",
    "x-content-type-options",
];

/// Plans the client's response to an origin answer.
///
/// Origin internals go ([`is_origin_internal`]); [`ALWAYS`], the cache
/// policy's `Cache-Control` and the surrogate keys are set. An origin 4xx
/// or 5xx gets a short plain-text body instead of the origin's (GCS error
/// bodies name buckets and objects). Otherwise the content type is
/// corrected for checksum and signature files and filled in when missing,
/// and a 200 or 206 whose validators match the client's becomes a 304: a
/// matching validator wins over a range (RFC 9110 §13.2.2).
pub fn plan(
    origin: &OriginHead<'_>,
    object: &ServedObject<'_>,
    conditions: &Conditions<'_>,
    policy: &CachePolicy,
) -> ResponsePlan {
    let status = origin.status;
    let keys = cache::with_object_keys(object.request_keys.to_vec(), origin.object_keys);
    let mut remove: Vec<String> = origin
        .header_names
        .iter()
        .filter(|name| is_origin_internal(name))
        .map(|name| (*name).to_owned())
        .collect();
    let mut set: Vec<(&'static str, String)> = ALWAYS
        .iter()
        .map(|&(name, value)| (name, value.to_owned()))
        .collect();
    set.push(("cache-control", policy.cache_control.clone()));
    set.push(("surrogate-key", keys.join(" ")));
    if status >= 400 {
        let reason = http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("error")
            .to_ascii_lowercase();
        let body = format!("{reason}\n");
        remove.extend(ERROR_BODY_DROPS.map(str::to_owned));
        set.push(("content-type", PLAIN_TEXT.to_owned()));
        set.push(("content-length", body.len().to_string()));
        return ResponsePlan {
            status,
            remove,
            set,
            body: Body::Replace(body),
        };
    }
    if let Some(content_type) = content_type_override(object.file) {
        set.push(("content-type", content_type.to_owned()));
    } else if origin.content_type.is_none() {
        set.push(("content-type", DEFAULT_CONTENT_TYPE.to_owned()));
    }
    let matches = (status == 200 || status == 206)
        && not_modified(conditions, origin.etag, origin.last_modified);
    if !matches {
        return ResponsePlan {
            status,
            remove,
            set,
            body: Body::Origin,
        };
    }
    let kept = |name: &str| {
        NOT_MODIFIED_KEEPS
            .iter()
            .any(|k| k.eq_ignore_ascii_case(name))
    };
    for name in &origin.header_names {
        if !kept(name) && !remove.iter().any(|r| r == name) {
            remove.push((*name).to_owned());
        }
    }
    set.retain(|(name, _)| kept(name));
    ResponsePlan {
        status: 304,
        remove,
        set,
        body: Body::Empty,
    }
}

/// The content type of every short text the edge writes itself.
pub const PLAIN_TEXT: &str = "text/plain; charset=utf-8";

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

    use crate::config::Config;

    const GCS_NAMES: [&str; 8] = [
        "content-type",
        "content-length",
        "etag",
        "last-modified",
        "x-goog-generation",
        "x-goog-meta-surrogate-key",
        "x-guploader-uploadid",
        "server",
    ];

    fn head(status: u16) -> OriginHead<'static> {
        OriginHead {
            status,
            header_names: GCS_NAMES.to_vec(),
            etag: Some("\"abc\""),
            last_modified: Some("Tue, 10 Sep 2024 10:00:00 GMT"),
            content_type: Some("application/octet-stream"),
            object_keys: Some("kubectl-binaries"),
        }
    }

    fn planned(origin: &OriginHead<'_>, file: &str, conditions: Conditions<'_>) -> ResponsePlan {
        let keys = ["immutable".to_owned(), "release/v1.31.0".to_owned()];
        let object = ServedObject {
            class: Class::Immutable,
            file,
            request_keys: &keys,
        };
        let policy = cache::policy(Class::Immutable, origin.status, &Config::default().cache);
        plan(origin, &object, &conditions, &policy)
    }

    fn set<'p>(plan: &'p ResponsePlan, name: &str) -> Option<&'p str> {
        plan.set
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A 200 keeps the origin's body and validators, loses GCS internals,
    /// and gets the edge's CORS, cache and purge-key headers.
    #[test]
    fn an_object_keeps_its_body_and_loses_origin_internals() {
        let p = planned(&head(200), "kubectl", Conditions::default());
        assert_eq!(p.status, 200);
        assert_eq!(p.body, Body::Origin);
        assert_eq!(
            p.remove,
            [
                "x-goog-generation",
                "x-goog-meta-surrogate-key",
                "x-guploader-uploadid",
                "server"
            ]
        );
        assert_eq!(
            set(&p, "cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        assert_eq!(
            set(&p, "surrogate-key"),
            Some("immutable release/v1.31.0 kubectl-binaries")
        );
        assert_eq!(set(&p, "access-control-allow-origin"), Some("*"));
        assert_eq!(set(&p, "content-type"), None, "the origin's type stands");
    }

    #[test]
    fn content_type_is_text_for_checksums_and_filled_in_when_missing() {
        let p = planned(&head(200), "kubectl.sha256", Conditions::default());
        assert_eq!(set(&p, "content-type"), Some(PLAIN_TEXT));
        let mut untyped = head(200);
        untyped.content_type = None;
        let p = planned(&untyped, "kubectl", Conditions::default());
        assert_eq!(set(&p, "content-type"), Some(DEFAULT_CONTENT_TYPE));
    }

    /// An origin error's body names buckets: it is replaced, with framing
    /// and validators of its own.
    #[test]
    fn origin_errors_get_a_short_plain_text_body() {
        for (status, body) in [
            (404, "not found\n"),
            (403, "forbidden\n"),
            (500, "internal server error\n"),
            (503, "service unavailable\n"),
        ] {
            let p = planned(&head(status), "kubectl", Conditions::default());
            assert_eq!(p.status, status);
            assert_eq!(p.body, Body::Replace(body.to_owned()));
            for name in ERROR_BODY_DROPS {
                assert!(p.remove.iter().any(|r| r == name), "{status} keeps {name}");
            }
            assert_eq!(set(&p, "content-type"), Some(PLAIN_TEXT));
            assert_eq!(set(&p, "content-length"), Some(&*body.len().to_string()));
        }
        let p = planned(&head(404), "kubectl", Conditions::default());
        assert_eq!(set(&p, "cache-control"), Some("public, max-age=10"));
    }

    /// A validator that matches wins over a range (RFC 9110 §13.2.2).
    #[test]
    fn matching_validators_make_a_304_with_validators_and_cache_headers_only() {
        let matching = Conditions {
            if_none_match: Some("\"abc\""),
            if_modified_since: None,
        };
        for status in [200, 206] {
            let p = planned(&head(status), "kubectl", matching);
            assert_eq!(p.status, 304, "{status}");
            assert_eq!(p.body, Body::Empty);
            for name in ["content-type", "content-length", "x-goog-generation"] {
                assert!(p.remove.iter().any(|r| r == name), "{status} keeps {name}");
            }
            for name in ["etag", "last-modified"] {
                assert!(!p.remove.iter().any(|r| r == name), "{status} drops {name}");
            }
            let names: Vec<&str> = p.set.iter().map(|(n, _)| *n).collect();
            assert_eq!(
                names,
                [
                    "access-control-allow-origin",
                    "access-control-expose-headers",
                    "x-content-type-options",
                    "cache-control",
                    "surrogate-key"
                ]
            );
        }
        let stale = Conditions {
            if_none_match: Some("\"old\""),
            if_modified_since: None,
        };
        assert_eq!(planned(&head(200), "kubectl", stale).status, 200);
        assert_eq!(
            planned(&head(404), "kubectl", matching).status,
            404,
            "only a 200 or 206 becomes a 304"
        );
    }
}

//! What the client gets back (product rule 6): the header rules, and the
//! response plan that turns an origin's answer into the client's.
//!
//! The plan is a value, so every rule here is tested natively; the shell
//! only reads the origin's head and applies the plan to it.

use std::borrow::Cow;

use crate::artifact::classify::Class;
use crate::policy::cache::{self, CachePolicy};
use crate::primitives::words;
use crate::request::conditional::{evaluate, Conditions, Precondition};

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

/// The origin headers that reach clients: what describes the body and
/// its validators, and last `Age`, which passes only to an edge that is
/// counting its TTL from it (a client is told the edge's own policy, not
/// an origin's age). Every other origin header is dropped (GCS internals,
/// hop-by-hop headers, cookies, auth challenges, redirects, the origin's
/// own cache directives); the edge sets its own cache, CORS and purge-key
/// headers.
const KEPT: [&str; KEPT_COUNT] = [
    "content-type",
    "content-length",
    "content-range",
    "content-encoding",
    "accept-ranges",
    "etag",
    "last-modified",
    "age",
];

/// How many origin headers may reach the client, at most.
pub const KEPT_COUNT: usize = 8;

/// The origin headers that may reach the client, by name: the only ones
/// the shell reads to copy, so nothing else the origin sends can pass.
pub fn kept(keep_age: bool) -> &'static [&'static str] {
    &KEPT[..if keep_age { 8 } else { 7 }]
}

/// Whether an origin header may reach the client. Names of the same
/// length compared a word at a time, where `eq_ignore_ascii_case` went a
/// byte at a time (about 1,000 guest instructions a request more).
pub fn is_kept(name: &str, keep_age: bool) -> bool {
    kept(keep_age)
        .iter()
        .any(|k| words::same_ignoring_case(k.as_bytes(), name.as_bytes()))
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

/// What the shell read of the origin's answer: its status, which of the
/// [`kept`] headers it sent, and the few values the plan needs.
#[derive(Debug, Clone, Default)]
pub struct OriginHead<'a> {
    pub status: u16,
    /// The origin's header names read, readable or not: the shell reads
    /// only [`kept`] ones, and the plan passes no other.
    pub sent: Vec<&'static str>,
    pub etag: Option<&'a str>,
    pub last_modified: Option<&'a str>,
    pub content_type: Option<&'a str>,
    /// `x-goog-meta-surrogate-key`: purge keys set on the object itself.
    pub object_keys: Option<&'a str>,
    /// Headers whose value is not text (bytes no header may carry): they
    /// are treated as absent and never passed on.
    pub unreadable: Vec<&'a str>,
}

/// The object the response is for, as the decision knows it.
#[derive(Debug, Clone, Copy)]
pub struct ServedObject<'a> {
    pub class: Class,
    /// The file name, which can say its content type.
    pub file: &'a str,
    /// Surrogate keys known from the request.
    pub request_keys: &'a [&'a str],
    /// The client asked for a range.
    pub ranged: bool,
    /// The response goes to an edge (this instance is its shield), which
    /// counts its TTL from `Age`.
    pub keep_age: bool,
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
    /// The answer is a range of another version than the client's
    /// (`If-Range` failed): fetch the whole object and send it with 200.
    RefetchWhole,
}

/// How to make the client's answer from the origin's: a new response with
/// this status, the origin headers named in `pass` copied, then `set`, and
/// the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponsePlan {
    pub status: u16,
    /// The origin headers copied to the client.
    pub pass: Vec<&'static str>,
    /// Headers the edge sets, replacing any the origin sent.
    pub set: Vec<(&'static str, Cow<'static, str>)>,
    pub body: Body,
}

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

/// Room for the headers a plan sets: CORS and nosniff, cache, purge
/// keys, the content type, and a replaced body's two.
const SET_ROOM: usize = 8;

/// The `Surrogate-Key` value: the request's keys, then the object's own
/// (`x-goog-meta-surrogate-key`), written in one string.
fn surrogate_key(request_keys: &[&str], object_keys: Option<&str>) -> String {
    let mut value = String::with_capacity(128);
    let own = cache::object_keys(request_keys, object_keys);
    for key in request_keys.iter().copied().chain(own) {
        if !value.is_empty() {
            value.push(' ');
        }
        value.push_str(key);
    }
    value
}

/// Plans the client's response to an origin answer.
///
/// Only the headers [`is_kept`] names pass, and only readable ones; [`ALWAYS`], the cache
/// policy's `Cache-Control` and the surrogate keys are set. An origin 3xx,
/// 4xx or 5xx gets a short plain-text body instead of the origin's (GCS
/// error bodies and redirects name buckets and objects), with none of the
/// origin's framing. Otherwise the content type is corrected for checksum
/// and signature files and filled in when missing, and the client's
/// preconditions are evaluated against a 200 or 206 in RFC 9110's order
/// (`request::conditional::evaluate`): a 304, a 412, or, when `If-Range`
/// fails on a range, [`Body::RefetchWhole`].
pub fn plan(
    origin: &OriginHead<'_>,
    object: &ServedObject<'_>,
    conditions: &Conditions<'_>,
    policy: &CachePolicy,
) -> ResponsePlan {
    let status = origin.status;
    let mut pass: Vec<&'static str> = origin
        .sent
        .iter()
        .copied()
        .filter(|name| is_kept(name, object.keep_age) && !origin.unreadable.contains(name))
        .collect();
    let mut set: Vec<(&'static str, Cow<'static, str>)> = Vec::with_capacity(SET_ROOM);
    set.extend(ALWAYS.iter().map(|&(name, value)| (name, value.into())));
    set.push(("cache-control", policy.cache_control.clone().into()));
    set.push((
        "surrogate-key",
        surrogate_key(object.request_keys, origin.object_keys).into(),
    ));
    if (300..=399).contains(&status) || status >= 400 {
        return replaced(status, set);
    }
    if let Some(content_type) = content_type_override(object.file) {
        set.push(("content-type", content_type.into()));
    } else if origin.content_type.is_none() {
        set.push(("content-type", DEFAULT_CONTENT_TYPE.into()));
    }
    let precondition = if status == 200 || status == 206 {
        evaluate(conditions, object.ranged, origin.etag, origin.last_modified)
    } else {
        Precondition::Proceed
    };
    match precondition {
        Precondition::Proceed => ResponsePlan {
            status,
            pass,
            set,
            body: Body::Origin,
        },
        Precondition::WholeObject if status == 206 => ResponsePlan {
            status,
            pass,
            set,
            body: Body::RefetchWhole,
        },
        Precondition::WholeObject => ResponsePlan {
            status,
            pass,
            set,
            body: Body::Origin,
        },
        Precondition::Failed => {
            set.retain(|(name, _)| *name != "cache-control");
            set.push(("cache-control", "no-store".into()));
            replaced(412, set)
        }
        Precondition::NotModified => {
            let kept = |name: &str| {
                NOT_MODIFIED_KEEPS
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(name))
            };
            pass.retain(|name| kept(name));
            set.retain(|(name, _)| kept(name));
            ResponsePlan {
                status: 304,
                pass,
                set,
                body: Body::Empty,
            }
        }
    }
}

/// A short plain-text body of the edge's own in place of the origin's:
/// none of the origin's headers (framing, encoding, validators) pass.
fn replaced(status: u16, mut set: Vec<(&'static str, Cow<'static, str>)>) -> ResponsePlan {
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("error")
        .to_ascii_lowercase();
    let body = format!("{reason}\n");
    set.push(("content-type", PLAIN_TEXT.into()));
    set.push(("content-length", body.len().to_string().into()));
    ResponsePlan {
        status,
        pass: Vec::new(),
        set,
        body: Body::Replace(body),
    }
}

/// The content type of every short text the edge writes itself.
pub const PLAIN_TEXT: &str = "text/plain; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    /// Only the headers that describe the body pass to clients; the rest
    /// of what an origin sends never does.
    #[test]
    fn only_allowed_origin_headers_pass() {
        for name in [
            "x-goog-generation",
            "X-Goog-Hash",
            "x-goog-meta-surrogate-key",
            "X-GUploader-UploadID",
            "Server",
            "Cache-Control",
            "Expires",
            "Access-Control-Allow-Origin",
            "connection",
            "keep-alive",
            "upgrade",
            "trailer",
            "transfer-encoding",
            "age",
            "set-cookie",
            "www-authenticate",
            "location",
            "refresh",
            "x-amz-request-id",
            "content-disposition",
        ] {
            assert!(!is_kept(name, false), "{name}");
        }
        for name in [
            "content-length",
            "Content-Type",
            "etag",
            "last-modified",
            "accept-ranges",
            "content-range",
            "content-encoding",
        ] {
            assert!(is_kept(name, false), "{name}");
        }
        assert!(
            is_kept("age", true),
            "an edge behind a shield counts from it"
        );
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
            sent: GCS_NAMES.to_vec(),
            etag: Some("\"abc\""),
            last_modified: Some("Tue, 10 Sep 2024 10:00:00 GMT"),
            content_type: Some("application/octet-stream"),
            object_keys: Some("kubectl-binaries"),
            unreadable: Vec::new(),
        }
    }

    fn planned(origin: &OriginHead<'_>, file: &str, conditions: Conditions<'_>) -> ResponsePlan {
        planned_as(origin, file, conditions, false)
    }

    fn planned_as(
        origin: &OriginHead<'_>,
        file: &str,
        conditions: Conditions<'_>,
        ranged: bool,
    ) -> ResponsePlan {
        let keys = ["immutable", "release/v1.31.0"];
        let object = ServedObject {
            class: Class::Immutable,
            file,
            request_keys: &keys,
            ranged,
            keep_age: false,
        };
        let policy = cache::policy(Class::Immutable, origin.status, &Config::default().cache);
        plan(origin, &object, &conditions, &policy)
    }

    fn set<'p>(plan: &'p ResponsePlan, name: &str) -> Option<&'p str> {
        plan.set
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_ref())
    }

    /// A 200 keeps the origin's body and validators, loses GCS internals,
    /// and gets the edge's CORS, cache and purge-key headers.
    #[test]
    fn an_object_keeps_its_body_and_loses_origin_internals() {
        let p = planned(&head(200), "kubectl", Conditions::default());
        assert_eq!(p.status, 200);
        assert_eq!(p.body, Body::Origin);
        assert_eq!(
            p.pass,
            ["content-type", "content-length", "etag", "last-modified"],
            "GCS's own headers never pass, even when read"
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
            assert!(p.pass.is_empty(), "{status} keeps {:?}", p.pass);
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
            ..Conditions::default()
        };
        for status in [200, 206] {
            let p = planned(&head(status), "kubectl", matching);
            assert_eq!(p.status, 304, "{status}");
            assert_eq!(p.body, Body::Empty);
            assert_eq!(p.pass, ["etag", "last-modified"], "{status}");
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
            ..Conditions::default()
        };
        assert_eq!(planned(&head(200), "kubectl", stale).status, 200);
        assert_eq!(
            planned(&head(404), "kubectl", matching).status,
            404,
            "only a 200 or 206 becomes a 304"
        );
    }

    /// A redirect from the origin names the bucket: it is replaced like an
    /// error, and its Location never reaches the client.
    #[test]
    fn origin_redirects_are_replaced_like_errors() {
        let mut redirect = head(302);
        redirect.sent.push("location");
        let p = planned(&redirect, "kubectl", Conditions::default());
        assert_eq!(p.status, 302);
        assert_eq!(p.body, Body::Replace("found\n".into()));
        assert!(p.pass.is_empty(), "{:?} passed", p.pass);
        assert_eq!(set(&p, "content-length"), Some("6"));
    }

    /// If-Range that fails on a 206 asks for the whole object; If-Match
    /// that fails is a 412 that nobody caches.
    #[test]
    fn failed_preconditions_refetch_or_refuse() {
        let stale_range = Conditions {
            if_range: Some("\"stale-etag\""),
            ..Conditions::default()
        };
        let p = planned_as(&head(206), "kubectl", stale_range, true);
        assert_eq!(p.body, Body::RefetchWhole);
        let p = planned_as(
            &head(206),
            "kubectl",
            Conditions {
                if_range: Some("\"abc\""),
                ..Conditions::default()
            },
            true,
        );
        assert_eq!((p.status, p.body), (206, Body::Origin), "the same version");
        let p = planned(
            &head(200),
            "kubectl",
            Conditions {
                if_match: Some("\"other\""),
                ..Conditions::default()
            },
        );
        assert_eq!(p.status, 412);
        assert_eq!(p.body, Body::Replace("precondition failed\n".into()));
        assert_eq!(set(&p, "cache-control"), Some("no-store"));
    }

    /// A header whose bytes are no text is treated as absent: it is not
    /// passed on, and its value counts for nothing.
    #[test]
    fn unreadable_headers_are_dropped() {
        let mut bad = head(200);
        bad.etag = None;
        bad.unreadable = vec!["etag"];
        let p = planned(&bad, "kubectl", Conditions::default());
        assert!(!p.pass.contains(&"etag"));
        assert!(p.pass.contains(&"last-modified"));
    }
}

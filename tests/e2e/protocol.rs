//! HEAD, ranges, conditional requests, missing objects, queries, CORS.

use crate::Ctx;

pub const CASES: &[crate::Case] = &[
    (
        "head_keeps_content_length_and_sends_no_body",
        head_keeps_content_length,
    ),
    ("a_byte_range_gives_206_with_those_bytes", byte_range),
    ("a_suffix_range_gives_the_last_bytes", suffix_range),
    ("several_ranges_give_the_whole_object", several_ranges),
    ("if_none_match_gives_304", if_none_match),
    ("if_modified_since_gives_304", if_modified_since),
    (
        "if_range_resumes_only_the_same_version_and_if_match_guards",
        if_range_and_if_match,
    ),
    (
        "a_missing_artifact_is_404_with_a_short_ttl",
        missing_artifact,
    ),
    ("queries_never_reach_the_origin", query_dropped),
    (
        "client_credentials_and_validators_never_reach_the_origin",
        origin_request_headers,
    ),
    ("preflight_is_answered_at_the_edge", preflight),
    ("other_hostnames_served_and_unknown_refused", hostnames),
];

const KUBECTL: &str = "/release/v1.31.0/bin/linux/amd64/kubectl";
const KUBECTL_OBJECT: &str = "release/v1.31.0/bin/linux/amd64/kubectl";

fn kubectl(ctx: &Ctx) -> Vec<u8> {
    ctx.origin.object("kubernetes-release", KUBECTL_OBJECT)
}

fn head_keeps_content_length(ctx: &Ctx) {
    let size = kubectl(ctx).len();
    // A raw socket, so that any stray body byte after the headers is seen.
    let request =
        format!("HEAD {KUBECTL} HTTP/1.1\r\nHost: dl.k8s.io\r\nConnection: close\r\n\r\n");
    let (head, hits) = ctx.origin_hits_during(&ctx.edge, || {
        dl_edge_testkit::http::raw(ctx.edge.port, request.as_bytes())
    });
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("content-length"),
        Some(size.to_string().as_str())
    );
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].method, "HEAD");
}

fn byte_range(ctx: &Ctx) {
    let bytes = kubectl(ctx);
    let r = ctx.curl(KUBECTL, &["-H", "Range: bytes=0-9"]);
    assert_eq!(r.status, 206);
    assert_eq!(r.body, bytes[..10]);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes 0-9/{}", bytes.len()).as_str())
    );
    assert_eq!(r.header("content-length"), Some("10"));
}

fn suffix_range(ctx: &Ctx) {
    let bytes = kubectl(ctx);
    let n = bytes.len();
    let r = ctx.curl(KUBECTL, &["-H", "Range: bytes=-5"]);
    assert_eq!(r.status, 206);
    assert_eq!(r.body, bytes[n - 5..]);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes {}-{}/{n}", n - 5, n - 1).as_str())
    );
}

fn several_ranges(ctx: &Ctx) {
    let r = ctx.curl(KUBECTL, &["-H", "Range: bytes=0-1,4-5"]);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, kubectl(ctx));
}

fn if_none_match(ctx: &Ctx) {
    let first = ctx.curl(KUBECTL, &["-I"]);
    let etag = first.header("etag").expect("an ETag").to_owned();
    let r = ctx.curl(KUBECTL, &["-H", &format!("If-None-Match: {etag}")]);
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    assert_eq!(
        r.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let with_range = ctx.curl(
        KUBECTL,
        &[
            "-H",
            &format!("If-None-Match: {etag}"),
            "-H",
            "Range: bytes=0-9",
        ],
    );
    assert_eq!(
        with_range.status, 304,
        "a matching validator wins over Range"
    );
    let other = ctx.curl(KUBECTL, &["-H", "If-None-Match: \"something-else\""]);
    assert_eq!(other.status, 200);
}

fn if_modified_since(ctx: &Ctx) {
    let r = ctx.curl(
        KUBECTL,
        &["-H", "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT"],
    );
    assert_eq!(r.status, 304);
    let old = ctx.curl(
        KUBECTL,
        &["-H", "If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT"],
    );
    assert_eq!(old.status, 200);
    assert_eq!(old.body.len(), kubectl(ctx).len());
}

fn missing_artifact(ctx: &Ctx) {
    let path = "/release/v1.31.0/bin/linux/amd64/kubectl-not-published-yet";
    let (r, hits) = ctx.origin_hits_during(&ctx.edge, || ctx.curl(path, &[]));
    assert_eq!(r.status, 404);
    assert_eq!(r.header("cache-control"), Some("public, max-age=10"));
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(r.text(), "not found\n");
    assert_eq!(hits.len(), 1, "asked the origin once: {hits:?}");
    assert_eq!(hits[0].status, 404);
}

fn query_dropped(ctx: &Ctx) {
    let (r, hits) = ctx.origin_hits_during(&ctx.edge, || {
        ctx.curl("/release/stable.txt?cachebust=123&x=%2e%2e#frag", &[])
    });
    assert_eq!(r.status, 200);
    let asked: Vec<&str> = hits.iter().map(|h| h.uri.as_str()).collect();
    assert_eq!(asked, ["/kubernetes-release/release/stable.txt"]);
}

fn preflight(ctx: &Ctx) {
    let (r, hits) = ctx.origin_hits_during(&ctx.edge, || {
        ctx.curl(
            "/release/stable.txt",
            &[
                "-X",
                "OPTIONS",
                "-H",
                "Origin: https://example.org",
                "-H",
                "Access-Control-Request-Method: GET",
            ],
        )
    });
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        r.header("access-control-allow-methods"),
        Some("GET, HEAD, OPTIONS")
    );
    assert!(
        hits.is_empty(),
        "a preflight never reaches the origin: {hits:?}"
    );
}

fn hostnames(ctx: &Ctx) {
    for host in ["cdn.dl.k8s.io", "dl.k8s.dev"] {
        let url = ctx
            .edge
            .url("/release/stable.txt")
            .replace("dl.k8s.io", host);
        let r = dl_edge_testkit::http::curl(&ctx.work, ctx.edge.port, &url, &[]);
        assert_eq!(r.status, 200, "{host}");
    }
    let url = ctx
        .edge
        .url("/release/stable.txt")
        .replace("dl.k8s.io", "unknown.example");
    let (r, hits) = ctx.origin_hits_during(&ctx.edge, || {
        dl_edge_testkit::http::curl(&ctx.work, ctx.edge.port, &url, &[])
    });
    assert_eq!(r.status, 421);
    assert!(hits.is_empty());
}

fn origin_request_headers(ctx: &Ctx) {
    let before = ctx.proxy.seen().len();
    let r = ctx.curl(
        "/release/v1.31.0/bin/linux/amd64/kubectl.sha256",
        &[
            "-H",
            "Authorization: Bearer ghp_secret-token",
            "-H",
            "Cookie: session=secret",
            "-H",
            "If-None-Match: \"nope\"",
            "-H",
            "Range: bytes=0-9",
            "-H",
            "X-Forwarded-For: 203.0.113.9",
        ],
    );
    assert_eq!(r.status, 206);
    let seen = ctx.proxy.seen();
    let heads: Vec<_> = seen[before..]
        .iter()
        .filter(|h| !h.is_startup_probe())
        .collect();
    assert_eq!(heads.len(), 1, "one origin request: {heads:?}");
    let head = heads[0];
    assert_eq!(
        head.line,
        "GET /kubernetes-release/release/v1.31.0/bin/linux/amd64/kubectl.sha256 HTTP/1.1"
    );
    assert_eq!(head.header("host"), Some("storage.googleapis.com"));
    assert_eq!(head.header("range"), Some("bytes=0-9"));
    for name in [
        "authorization",
        "cookie",
        "if-none-match",
        "x-forwarded-for",
    ] {
        assert_eq!(
            head.header(name),
            None,
            "{name} reached the origin: {head:?}"
        );
    }
}

/// A resumed download: `If-Range` with the object's own ETag (or date)
/// gets the range; a stale one gets the whole object with 200, never a
/// range spliced onto another version. `If-Match` and
/// `If-Unmodified-Since` that do not hold get 412 (RFC 9110 §13).
fn if_range_and_if_match(ctx: &Ctx) {
    let whole = ctx.origin.object("kubernetes-release", KUBECTL_OBJECT);
    let first = ctx.curl(KUBECTL, &["-I"]);
    let etag = first.header("etag").expect("an ETag").to_owned();
    let modified = first.header("last-modified").expect("a date").to_owned();
    for validator in [etag.as_str(), modified.as_str()] {
        let r = ctx.curl(
            KUBECTL,
            &[
                "-H",
                "Range: bytes=0-2",
                "-H",
                &format!("If-Range: {validator}"),
            ],
        );
        assert_eq!(r.status, 206, "If-Range: {validator}");
        assert_eq!(r.body, whole[..3], "If-Range: {validator}");
    }
    for stale in ["\"stale-etag\"", "Thu, 01 Jan 2015 00:00:00 GMT"] {
        let r = ctx.curl(
            KUBECTL,
            &[
                "-H",
                "Range: bytes=0-2",
                "-H",
                &format!("If-Range: {stale}"),
            ],
        );
        assert_eq!(r.status, 200, "If-Range: {stale}");
        assert_eq!(
            r.body.len(),
            whole.len(),
            "If-Range: {stale}: the whole object"
        );
        assert_eq!(r.body, whole, "If-Range: {stale}");
    }
    let r = ctx.curl(KUBECTL, &["-H", &format!("If-Match: {etag}")]);
    assert_eq!(r.status, 200);
    for (header, value) in [
        ("If-Match", "\"other\""),
        ("If-Unmodified-Since", "Thu, 01 Jan 2015 00:00:00 GMT"),
    ] {
        let r = ctx.curl(KUBECTL, &["-H", &format!("{header}: {value}")]);
        assert_eq!(r.status, 412, "{header}: {value}");
        assert_eq!(r.text(), "precondition failed\n");
        assert_eq!(r.header("cache-control"), Some("no-store"));
    }
}

//! Malformed and hostile requests: each gets the expected 4xx with a short
//! plain-text reason, and none reaches the origin.

use crate::Ctx;
use dl_edge_testkit::http::raw;

pub const CASES: &[crate::Case] = &[(
    "bad_input_gets_a_4xx_and_never_reaches_the_origin",
    bad_input,
)];

/// A raw request line and extra headers, and the status expected.
struct Row {
    name: &'static str,
    request: Vec<u8>,
    status: u16,
}

fn request(method: &str, target: &str, extra: &str) -> Vec<u8> {
    format!("{method} {target} HTTP/1.1\r\nHost: dl.k8s.io\r\n{extra}Connection: close\r\n\r\n")
        .into_bytes()
}

fn get(target: &str) -> Vec<u8> {
    request("GET", target, "")
}

fn rows() -> Vec<Row> {
    let row = |name, request, status| Row {
        name,
        request,
        status,
    };
    let long_path = format!("/release/{}", "a".repeat(1100));
    let huge_header = format!("X-Filler: {}\r\n", "x".repeat(20_000));
    // Under the 100-header limit of Viceroy's HTTP server, over our byte limit.
    let many_headers: String = (0..90)
        .map(|i| format!("X-H{i}: {}\r\n", "v".repeat(250)))
        .collect();
    vec![
        row("traversal", get("/release/../../etc/passwd"), 400),
        row("traversal at the end", get("/release/.."), 400),
        row("dot segment", get("/release/./stable.txt"), 400),
        row(
            "encoded traversal",
            get("/release/%2e%2e/%2e%2e/etc/passwd"),
            400,
        ),
        row(
            "mixed-case encoded traversal",
            get("/release/%2E%2e/secret"),
            400,
        ),
        row("half-encoded traversal", get("/release/.%2e/secret"), 400),
        row("encoded slash", get("/release/..%2f..%2fetc%2fpasswd"), 400),
        row("encoded slash in a name", get("/release%2fstable.txt"), 400),
        row(
            "double-encoded traversal",
            get("/release/%252e%252e/secret"),
            400,
        ),
        row("backslash", get("/release\\..\\secret"), 400),
        row("encoded backslash", get("/release/..%5c..%5csecret"), 400),
        row("encoded NUL", get("/release/stable.txt%00.html"), 400),
        row("encoded CR LF", get("/release/%0d%0aSet-Cookie:%20x"), 400),
        row("encoded DEL", get("/release/%7f"), 400),
        row("bad percent escape", get("/release/%zz"), 400),
        row("truncated percent escape", get("/release/%"), 400),
        row("invalid UTF-8", get("/release/%ff%fe"), 400),
        row(
            "double slash at the start",
            get("//release/stable.txt"),
            400,
        ),
        row("double slash inside", get("/release//stable.txt"), 400),
        row("overlong path", get(&long_path), 400),
        row("directory listing", get("/release/"), 404),
        row("asterisk form for GET", get("*"), 400),
        row(
            "a port that is no number",
            b"GET /release/stable.txt HTTP/1.1\r\nHost: dl.k8s.io:a@evil.example\r\nConnection: close\r\n\r\n".to_vec(),
            400,
        ),
        row(
            "two Host headers",
            request("GET", "/release/stable.txt", "Host: evil.example\r\n"),
            400,
        ),
        row(
            "two Range headers",
            request(
                "GET",
                "/release/stable.txt",
                "Range: bytes=0-1\r\nRange: bytes=2-3\r\n",
            ),
            400,
        ),
        row("bucket root via kops prefix", get("/ci/kops/"), 404),
        row(
            "POST",
            request("POST", "/release/stable.txt", "Content-Length: 0\r\n"),
            405,
        ),
        row(
            "PUT",
            request("PUT", "/release/stable.txt", "Content-Length: 0\r\n"),
            405,
        ),
        row("DELETE", request("DELETE", "/release/stable.txt", ""), 405),
        row(
            "PATCH",
            request("PATCH", "/release/stable.txt", "Content-Length: 0\r\n"),
            405,
        ),
        row(
            "garbage Range",
            request("GET", "/release/stable.txt", "Range: bytes=abc\r\n"),
            400,
        ),
        row(
            "Range in another unit",
            request("GET", "/release/stable.txt", "Range: lines=1-2\r\n"),
            400,
        ),
        row(
            "empty Range",
            request("GET", "/release/stable.txt", "Range: bytes=\r\n"),
            400,
        ),
        row(
            "inverted Range",
            request("GET", "/release/stable.txt", "Range: bytes=9-1\r\n"),
            416,
        ),
        row(
            "zero suffix Range",
            request("GET", "/release/stable.txt", "Range: bytes=-0\r\n"),
            416,
        ),
        row(
            "huge header",
            request("GET", "/release/stable.txt", &huge_header),
            431,
        ),
        row(
            "many headers",
            request("GET", "/release/stable.txt", &many_headers),
            431,
        ),
    ]
}

fn bad_input(ctx: &Ctx) {
    let mut problems = Vec::new();
    for row in rows() {
        let (response, hits) =
            ctx.origin_hits_during(&ctx.edge, || raw(ctx.edge.port, &row.request));
        if response.status != row.status {
            problems.push(format!(
                "{}: status {} (expected {})",
                row.name, response.status, row.status
            ));
        }
        if !hits.is_empty() {
            problems.push(format!("{}: reached the origin: {hits:?}", row.name));
        }
        let text = response.text();
        let short_text = !text.is_empty() && text.len() < 100 && text.ends_with('\n');
        let plain = response
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/plain"));
        if !short_text || !plain {
            problems.push(format!(
                "{}: not a short plain-text reason: {:?} {:?}",
                row.name,
                response.header("content-type"),
                text
            ));
        }
        if row.status == 405 && response.header("allow") != Some("GET, HEAD, OPTIONS") {
            problems.push(format!("{}: no Allow header", row.name));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

//! A misbehaving origin (the test kit's `hostile` server, a real HTTP
//! server in place of the emulator): whatever it sends, the client gets a
//! clear answer with only the headers the service means to send, nothing
//! panics, and each request writes exactly one log line.

use dl_edge_testkit::hostile;
use dl_edge_testkit::http::{raw, Response};
use dl_edge_testkit::stack::mentions;
use dl_edge_testkit::viceroy::ViceroyConfig;

use crate::Ctx;

pub const CASES: &[crate::Case] = &[(
    "a_hostile_origin_breaks_nothing_and_every_request_logs_once",
    hostile_origin,
)];

/// Headers no answer to a client may carry, whatever the origin sent.
const NEVER: [&str; 14] = [
    "age",
    "keep-alive",
    "upgrade",
    "trailer",
    "proxy-authenticate",
    "www-authenticate",
    "set-cookie",
    "refresh",
    "location",
    "content-disposition",
    "x-amz-request-id",
    "x-goog-meta-surrogate-key",
    "etag",
    "last-modified",
];

fn get(port: u16, path: &str) -> Response {
    raw(
        port,
        format!("GET {path} HTTP/1.1\r\nHost: dl.k8s.io\r\nConnection: close\r\n\r\n").as_bytes(),
    )
}

fn hostile_origin(ctx: &Ctx) {
    let port = hostile::start();
    let edge = ctx.start_edge(
        &ViceroyConfig::on_loopback(port)
            .origin_first_byte_timeout(2000)
            .config_json(r#"{"warning_sample_rate": "1"}"#),
    );
    for case in hostile::CASES {
        let before = edge.log_lines("splunk").len();
        let r = get(edge.port, &format!("/release/hostile/{case}"));
        // (status, body) the client gets.
        let (status, body): (u16, &[u8]) = match case {
            "bad-header-bytes" | "many-headers" | "age" | "hop-by-hop" => (200, hostile::BODY),
            "short-body" => (200, b"thirteen byte"),
            "short-small-body" => (
                502,
                b"bad gateway: the origin sent an incomplete object, try again\n",
            ),
            "gzip-error" => (500, b"internal server error\n"),
            "redirect" => (302, b"found\n"),
            "stall" => (503, b"origin unavailable, try again shortly\n"),
            "reset" => (200, &[]),
            other => panic!("a case without expectations: {other}"),
        };
        assert_eq!(r.status, status, "{case}");
        if case == "reset" {
            assert!(
                !r.body.is_empty() && r.body.len() < 1_000_000 && r.body.iter().all(|b| *b == b'x'),
                "{case}: the bytes that came, and no more ({} bytes)",
                r.body.len()
            );
        } else {
            assert_eq!(r.body, body, "{case}");
        }
        for name in NEVER {
            assert!(
                r.header(name).is_none(),
                "{case}: {name} reached the client"
            );
        }
        if status >= 300 {
            assert_eq!(
                r.header("content-type"),
                Some("text/plain; charset=utf-8"),
                "{case}"
            );
            assert!(r.header("content-encoding").is_none(), "{case}");
            assert!(r.header("content-range").is_none(), "{case}");
        }
        assert!(
            !String::from_utf8_lossy(&r.body).contains("panicked"),
            "{case}: a backtrace reached the client"
        );
        let lines = edge.wait_for_log_lines("splunk", before + 1);
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert_eq!(
            edge.log_lines("splunk").len(),
            before + 1,
            "{case}: exactly one log line"
        );
        let event = &lines[before]["event"];
        assert_eq!(event["response"]["status"], status, "{case}");
        // Every byte the client got is counted, and a body the origin
        // cut short (or an origin that failed) is the origin's error.
        assert_eq!(event["response"]["bytes_sent"], r.body.len(), "{case}");
        if case != "reset" && case != "short-body" {
            // Whole answers: the length logged is the one the client got,
            // the edge's 502 in place of a short small body included.
            assert_eq!(event["response"]["content_length"], r.body.len(), "{case}");
        }
        let origin_failed = matches!(
            case,
            "short-body" | "short-small-body" | "reset" | "gzip-error" | "stall"
        );
        assert_eq!(
            event["error"]["kind"].as_str(),
            origin_failed.then_some("origin"),
            "{case}: {event}"
        );
    }
    assert!(
        mentions(&edge.service_events(), "not text; treated as absent"),
        "the unreadable headers are reported"
    );
}

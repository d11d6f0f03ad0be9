//! One log line per request per selecting endpoint, checked against the
//! JSON Schema, under concurrent mixed traffic.

use std::collections::HashMap;
use std::sync::Mutex;
use std::thread;

use dl_edge_testkit::corpus;
use dl_edge_testkit::http::{curl, raw};

use crate::Ctx;

pub const CASES: &[crate::Case] = &[
    (
        "concurrent_requests_give_exactly_one_line_each_per_endpoint",
        exactly_one_line_each,
    ),
    (
        "log_lines_carry_no_secrets_and_respect_ip_privacy",
        no_secrets,
    ),
    (
        "a_panic_gets_a_502_and_still_exactly_one_line",
        panic_fire_drill,
    ),
    (
        "a_client_that_resets_mid_download_is_logged_with_the_bytes_that_left",
        client_reset,
    ),
];

const ENDPOINTS: &str = r#"{"log_endpoints":"[{\"name\":\"splunk\",\"format\":\"hec\",\"index\":\"k8s\"},{\"name\":\"archive\",\"format\":\"json\"},{\"name\":\"errors\",\"format\":\"json\",\"min_class\":\"errors\"}]"}"#;

fn validator(ctx: &Ctx) -> jsonschema::Validator {
    let text = std::fs::read_to_string(ctx.root.join("docs/log-record.schema.json"))
        .expect("read the schema");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

/// What client `n` sends: a row of the URL table, or bad input.
fn request_for(n: usize, paths: &[String]) -> Vec<u8> {
    let ua = format!("dl-edge-e2e/{n}");
    let (method, target, extra) = match n % 6 {
        0 => ("GET", "/release/../../etc/passwd".to_owned(), String::new()),
        1 => (
            "POST",
            "/release/stable.txt".to_owned(),
            "Content-Length: 0\r\n".to_owned(),
        ),
        2 => (
            "GET",
            "/release/stable.txt".to_owned(),
            "Range: bytes=zz\r\n".to_owned(),
        ),
        3 => ("HEAD", paths[n % paths.len()].clone(), String::new()),
        _ => ("GET", paths[n % paths.len()].clone(), String::new()),
    };
    format!("{method} {target} HTTP/1.1\r\nHost: dl.k8s.io\r\nUser-Agent: {ua}\r\n{extra}Connection: close\r\n\r\n").into_bytes()
}

fn exactly_one_line_each(ctx: &Ctx) {
    const N: usize = 600;
    const THREADS: usize = 24;
    let edge = ctx.edge_with(ENDPOINTS);
    let paths: Vec<String> = corpus::paths().into_iter().map(str::to_owned).collect();
    let answers: Mutex<HashMap<usize, (u16, usize)>> = Mutex::new(HashMap::new());
    thread::scope(|scope| {
        for t in 0..THREADS {
            let (paths, answers, edge) = (&paths, &answers, &edge);
            scope.spawn(move || {
                for n in (t..N).step_by(THREADS) {
                    let r = raw(edge.port, &request_for(n, paths));
                    answers.lock().unwrap().insert(n, (r.status, r.body.len()));
                }
            });
        }
    });
    let answers = answers.into_inner().unwrap();
    assert_eq!(answers.len(), N);
    let errors_expected = answers
        .values()
        .filter(|(status, _)| *status >= 400)
        .count();
    assert!(
        errors_expected >= N / 2,
        "the mix has bad requests: {errors_expected}"
    );

    let validator = validator(ctx);
    let splunk = edge.wait_for_log_lines("splunk", N);
    let archive = edge.wait_for_log_lines("archive", N);
    let errors = edge.wait_for_log_lines("errors", errors_expected);
    assert_eq!(splunk.len(), N, "one HEC line per request");
    assert_eq!(archive.len(), N, "one JSON line per request");
    assert_eq!(
        errors.len(),
        errors_expected,
        "one line per error on the errors-only endpoint"
    );

    for (name, records) in [
        (
            "splunk",
            splunk
                .iter()
                .map(|l| l["event"].clone())
                .collect::<Vec<_>>(),
        ),
        ("archive", archive.clone()),
        ("errors", errors.clone()),
    ] {
        let mut seen: HashMap<usize, &serde_json::Value> = HashMap::new();
        let mut ids = std::collections::HashSet::new();
        for record in &records {
            let problems: Vec<String> = validator
                .iter_errors(record)
                .map(|e| e.to_string())
                .collect();
            assert!(
                problems.is_empty(),
                "{name}: invalid record {problems:?}: {record}"
            );
            let ua = record["request"]["user_agent"]
                .as_str()
                .expect("a user agent");
            let n: usize = ua
                .trim_start_matches("dl-edge-e2e/")
                .parse()
                .expect("our user agent");
            assert!(
                seen.insert(n, record).is_none(),
                "{name}: request {n} logged twice"
            );
            assert!(
                ids.insert(record["request"]["id"].as_str().unwrap().to_owned()),
                "{name}: id reused"
            );
            let fetched = !record["routing"]["bucket"].is_null();
            let cache_state = if fetched { "pass" } else { "" };
            assert_eq!(
                record["response"]["cache_state"].as_str().unwrap_or(""),
                cache_state
            );
            // What Viceroy puts in each instance's environment.
            assert_eq!(record["service"]["pop"], "XXX", "{name}: request {n}");
            assert_eq!(record["service"]["version"], "0", "{name}: request {n}");
            let (status, bytes) = answers[&n];
            assert_eq!(record["response"]["status"], status, "{name}: request {n}");
            assert_eq!(
                record["response"]["bytes_sent"], bytes,
                "{name}: request {n}"
            );
        }
    }
    for line in &splunk {
        assert_eq!(line["index"], "k8s");
        assert_eq!(line["sourcetype"], "dl-edge:request");
        assert_eq!(line["host"], "dl.k8s.io");
        let ms = line["event"]["time"]["start_epoch_ms"].as_i64().unwrap();
        assert_eq!(line["time"].as_f64().unwrap(), ms as f64 / 1000.0);
    }
}

fn no_secrets(ctx: &Ctx) {
    let edge = ctx.edge_with(r#"{"log_client_ip":"full"}"#);
    let r = curl(
        &ctx.work,
        edge.port,
        &edge.url("/release/stable.txt?access_token=query-secret"),
        &[
            "-H",
            "Authorization: Bearer header-secret",
            "-H",
            "Referer: https://alice:userinfo-secret@example.org/?session=ref-secret",
        ],
    );
    assert_eq!(r.status, 200);
    let lines = edge.wait_for_log_lines("splunk", 1);
    let text = edge.output();
    for secret in [
        "query-secret",
        "header-secret",
        "ref-secret",
        "userinfo-secret",
    ] {
        assert!(!text.contains(secret), "{secret} was logged");
    }
    assert_eq!(lines[0]["event"]["request"]["query_dropped"], true);
    assert_eq!(
        lines[0]["event"]["client"]["ip"], "127.0.0.1",
        "full mode logs the address"
    );

    let r = curl(
        &ctx.work,
        ctx.edge.port,
        &ctx.edge.url("/release/stable.txt"),
        &[],
    );
    assert_eq!(r.status, 200);
    let default_lines = ctx.edge.wait_for_log_lines("splunk", 1);
    let last = default_lines.last().unwrap();
    assert_eq!(
        last["event"]["client"]["ip"], "127.0.0.0",
        "truncated by default"
    );

    // A Host the service does not serve gets 421, and the client does not
    // choose Splunk's indexed host: the envelope and the record say
    // `unknown`, and what was sent has a field of its own.
    let r = curl(
        &ctx.work,
        edge.port,
        &edge.url("/release/stable.txt"),
        &["-H", "Host: totally-not-dl.k8s.io"],
    );
    assert_eq!(r.status, 421);
    let line = edge.wait_for_log_lines("splunk", 2)[1].clone();
    assert_eq!(line["host"], "unknown", "{line}");
    assert_eq!(line["event"]["request"]["host"], "unknown");
    assert_eq!(
        line["event"]["request"]["host_sent"],
        "totally-not-dl.k8s.io"
    );
    let schema = validator(ctx);
    assert!(schema.is_valid(&line["event"]), "{line}");
}

/// If the service panics, the client gets a short plain-text 502 (never a
/// backtrace), the service log a `panic` line, and the request still its
/// one line, with `error.kind = internal`. The panic is asked for with
/// the debug token (`dl-edge-debug: <token>;panic`); a guess does nothing.
fn panic_fire_drill(ctx: &Ctx) {
    let edge = ctx.start_edge(
        &dl_edge_testkit::viceroy::ViceroyConfig::on_loopback(ctx.origin.port)
            .secret("debug_token", "e2e-debug"),
    );
    let r = curl(
        &ctx.work,
        edge.port,
        &edge.url("/release/stable.txt"),
        &["-H", "dl-edge-debug: guess;panic"],
    );
    assert_eq!(r.status, 200, "no token, no drill");
    edge.wait_for_log_lines("splunk", 1);
    let r = curl(
        &ctx.work,
        edge.port,
        &edge.url("/release/stable.txt"),
        &["-H", "dl-edge-debug: e2e-debug;panic"],
    );
    assert_eq!(r.status, 502);
    assert_eq!(
        r.text(),
        "bad gateway: the service failed on this request\n"
    );
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let lines = edge.wait_for_log_lines("splunk", 2);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(
        edge.log_lines("splunk").len(),
        2,
        "exactly one line for the panic"
    );
    let event = &lines[1]["event"];
    assert_eq!(event["error"]["kind"], "internal", "{event}");
    assert_eq!(event["response"]["status"], 502);
    assert_eq!(
        event["routing"]["bucket"], "kubernetes-release",
        "the record as far as it got"
    );
    assert!(validator(ctx).is_valid(event), "{event}");
    assert!(
        edge.service_events()
            .iter()
            .any(|w| w["kind"] == "panic" && w["level"] == "error"),
        "the panic is on the service log"
    );
}

/// A client that reads the start of a large download and resets the
/// connection (it closes with bytes unread, so the kernel sends RST): its
/// line says `error.kind = client`, and `bytes_sent` is at least what it
/// got and short of the whole object. (What left the service but was
/// still in flight when the reset came is counted too: the platform took
/// it.)
fn client_reset(ctx: &Ctx) {
    use std::io::{Read, Write};
    const SIZE: usize = 64 << 20;
    let object = "release/v1.99.0/bin/linux/amd64/kubectl";
    let bytes: Vec<u8> = (0..SIZE as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    ctx.origin.upload("kubernetes-release", object, &bytes);
    let edge = ctx.edge_with("{}");
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", edge.port)).expect("connect");
    stream
        .write_all(
            format!("GET /{object} HTTP/1.1\r\nHost: dl.k8s.io\r\nUser-Agent: reset-test\r\n\r\n")
                .as_bytes(),
        )
        .expect("send the request");
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    let body_at = loop {
        let n = stream.read(&mut buf).expect("read the response");
        assert!(n > 0, "the response ended before the body");
        got.extend_from_slice(&buf[..n]);
        if let Some(at) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            if got.len() >= at + 4 + 1024 {
                break at + 4;
            }
        }
    };
    let head = String::from_utf8_lossy(&got[..body_at]).to_string();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let received = got.len() - body_at;
    assert_eq!(
        &got[body_at..],
        &bytes[..received],
        "the bytes the client got are the object's"
    );
    drop(stream);
    let lines = edge.wait_for_log_lines("splunk", 1);
    let line = &lines.first().expect("one line for the reset download")["event"];
    assert_eq!(line["request"]["user_agent"], "reset-test");
    assert_eq!(line["response"]["status"], 200);
    assert_eq!(line["response"]["content_length"], SIZE);
    assert_eq!(line["error"]["kind"], "client", "{line}");
    let sent = line["response"]["bytes_sent"].as_u64().expect("bytes_sent");
    assert!(
        sent >= received as u64 && sent < SIZE as u64,
        "bytes_sent {sent}: at least the {received} the client got, and short of {SIZE}"
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(edge.log_lines("splunk").len(), 1, "exactly one line");
}

//! The record, field by field, for every row of the URL table and every
//! rejection.

use std::net::IpAddr;
use std::sync::LazyLock;

use dl_edge_testkit::corpus::url_rows;

use crate::config::Config;
use crate::decision::{decide, RequestView};
use crate::locality::Geo;
use crate::request::rejection::Rejection;
use crate::telemetry::delivery::Cut;
use crate::telemetry::privacy::IpMode;
use crate::telemetry::record::*;

const START_NS: u64 = 1_795_257_906_123_456_789;

fn service() -> ServiceFields {
    ServiceFields {
        pop: "FRA".into(),
        version: "42".into(),
    }
}

fn meta(target: &str) -> RequestMeta<'_> {
    RequestMeta {
        id: "req-1",
        method: "GET",
        host: Some("dl.k8s.io"),
        target,
        protocol: "HTTP/1.1",
        user_agent: Some("curl/8.5.0"),
        referer: None,
        range: None,
        client_ip: Some("203.0.113.77".parse::<IpAddr>().unwrap()),
        geo: Some(&GEO),
        start_unix_nanos: START_NS,
    }
}

static GEO: LazyLock<Geo> =
    LazyLock::new(|| Geo::from_json(dl_edge_testkit::geo::ASHBURN).expect("a geolocation record"));

fn record_for<'r>(meta: &RequestMeta<'r>) -> LogRecord<'r> {
    let mut record = LogRecord::begin(meta, IpMode::Truncated, None, service());
    let view = RequestView {
        method: meta.method,
        host: meta.host,
        target: meta.target,
        range: meta.range,
        header_bytes: 100,
        repeated: None,
    };
    // Leaked: the record lends the decision's text, and the tests keep
    // the record alone.
    record.decided(Box::leak(Box::new(decide(&view, &Config::default()))));
    record
}

#[test]
fn every_url_row_gives_its_artifact_and_routing_fields() {
    for row in url_rows() {
        let r = record_for(&meta(row.path));
        assert_eq!(r.schema, 1);
        assert_eq!(r.request.path, row.path);
        assert_eq!(r.request.host.as_deref(), Some("dl.k8s.io"));
        assert_eq!(r.artifact.class, Some(row.class), "{}", row.path);
        assert_eq!(
            r.routing.bucket.as_deref(),
            Some(row.bucket),
            "{}",
            row.path
        );
        assert_eq!(
            r.routing.object.as_deref(),
            Some(row.object),
            "{}",
            row.path
        );
        assert_eq!(r.routing.role, "edge");
        assert_eq!(r.error, None, "{}", row.path);
        let file = row.object.rsplit('/').next();
        assert_eq!(r.artifact.file.as_deref(), file, "{}", row.path);
        match row.release {
            Some(release) => {
                let version = release.rsplit('/').next().unwrap();
                assert_eq!(r.artifact.version.as_deref(), Some(version), "{}", row.path);
                assert!(r.artifact.major.is_some() && r.artifact.minor.is_some());
            }
            None => assert_eq!(r.artifact.version, None, "{}", row.path),
        }
    }
}

#[test]
fn version_and_platform_fields_are_split_out() {
    let r = record_for(&meta(
        "/ci/v1.33.0-alpha.1.111+4bd4a6da5c0b0f/bin/linux/arm64/kubelet",
    ));
    let a = &r.artifact;
    assert_eq!((a.major, a.minor, a.patch), (Some(1), Some(33), Some(0)));
    assert_eq!(a.pre_release.as_deref(), Some("alpha.1.111"));
    assert_eq!(a.build.as_deref(), Some("4bd4a6da5c0b0f"));
    assert_eq!((a.os, a.arch), (Some("linux"), Some("arm64")));
    assert_eq!(a.file.as_deref(), Some("kubelet"));
}

#[test]
fn every_rejection_is_recorded_with_its_status_and_code() {
    let table: [(&str, &str, Option<&str>, Rejection); 6] = [
        (
            "POST",
            "/release/stable.txt",
            None,
            Rejection::MethodNotAllowed,
        ),
        ("GET", "/release/../x", None, Rejection::DotSegment),
        ("GET", "/release/%2e%2e/x", None, Rejection::DotSegment),
        ("GET", "/release/", None, Rejection::DirectoryListing),
        (
            "GET",
            "/release/stable.txt",
            Some("bytes=x"),
            Rejection::MalformedRange,
        ),
        ("GET", "/a%2fb", None, Rejection::EncodedSlash),
    ];
    for (method, target, range, rejection) in table {
        let mut m = meta(target);
        m.method = method;
        m.range = range;
        let r = record_for(&m);
        assert_eq!(r.response.status, rejection.status(), "{target}");
        let error = r.error.as_ref().expect("an error");
        assert_eq!(
            (error.kind, error.reason.as_str()),
            ("rejected", rejection.code())
        );
        assert_eq!(r.artifact.class, None);
        assert_eq!(r.routing.bucket, None);
        assert!(r.is_error());
    }
}

#[test]
fn time_client_and_request_fields() {
    let mut m = meta("/release/stable.txt?token=secret#frag");
    m.referer = Some("https://example.org/docs?session=abc");
    m.range = Some("bytes=-5");
    let mut r = record_for(&m);
    r.responded(206, Some(5), Some(60));
    r.finished(5, 12_345_678, None);
    assert_eq!(r.time.start, "2026-11-21T10:45:06.123Z");
    assert_eq!(r.time.start_epoch_ms, 1_795_257_906_123);
    assert_eq!(r.time.duration_us, 12_345);
    assert_eq!(r.request.path, "/release/stable.txt");
    assert!(r.request.query_dropped);
    assert_eq!(
        r.request.referer.as_deref(),
        Some("https://example.org/docs")
    );
    assert_eq!(r.request.range.as_deref(), Some("bytes=-5"));
    assert_eq!(r.client.ip.as_deref(), Some("203.0.113.0"));
    assert_eq!(r.client.asn, Some(8075));
    assert_eq!(r.client.tool, "curl");
    assert_eq!(r.client.country.as_deref(), Some("US"));
    assert_eq!(r.response.status, 206);
    assert_eq!(r.response.bytes_sent, 5);
    assert_eq!(r.response.ttl, Some(60));
    let line = r.to_json();
    assert!(
        !line.contains("secret") && !line.contains("session"),
        "{line}"
    );
}

/// The logged path stops at a query or a fragment, whichever comes
/// first, after any characters.
#[test]
fn queries_and_fragments_are_cut_from_the_path() {
    for (target, path, dropped) in [
        ("/release/stable.txt", "/release/stable.txt", false),
        ("/release/stable.txt?x=1", "/release/stable.txt", true),
        ("/release/stable.txt#frag", "/release/stable.txt", true),
        ("/a#b?c", "/a", true),
        ("/ü/ß?x", "/ü/ß", true),
        ("/?", "/", true),
    ] {
        let r = record_for(&meta(target));
        assert_eq!(r.request.path, path, "{target}");
        assert_eq!(r.request.query_dropped, dropped, "{target}");
    }
}

#[test]
fn a_client_that_leaves_is_recorded_without_hiding_an_earlier_error() {
    let mut r = record_for(&meta("/release/stable.txt"));
    r.finished(100, 1_000, Some((Cut::Client, "client disconnected")));
    assert_eq!(r.error.as_ref().map(|e| e.kind), Some("client"));
    assert_eq!(r.response.bytes_sent, 100);
    let mut r = record_for(&meta("/release/stable.txt"));
    r.origin_failed("connection refused");
    r.finished(0, 1_000, Some((Cut::Client, "client disconnected")));
    assert_eq!(r.error.as_ref().map(|e| e.kind), Some("origin"));
}

#[test]
fn an_origin_short_body_is_an_origin_error() {
    let mut r = record_for(&meta("/release/v1.31.0/bin/linux/amd64/kubectl"));
    r.finished(
        13,
        1_000,
        Some((Cut::Origin, "origin body ended at 13 of 100000 bytes")),
    );
    let error = r.error.as_ref().expect("an error");
    assert_eq!((error.kind, r.response.bytes_sent), ("origin", 13));
}

#[test]
fn hostile_text_is_clipped_and_escaped() {
    let long_ua = "x".repeat(5000);
    let mut m = meta("/release/stable.txt");
    m.user_agent = Some(&long_ua);
    let r = record_for(&m);
    assert_eq!(r.request.user_agent.as_deref().map(str::len), Some(512));
    let r = record_for(&meta("/release/\u{1}\"\n"));
    let line = r.to_json();
    assert!(!line.contains('\n'), "a record is one line");
    // Decoded object names are clipped and carry no separators or bidi
    // controls; the raw path was clipped already.
    let long = format!("/release/{}.tar.gz", "a".repeat(1000));
    let r = record_for(&meta(&long));
    assert_eq!(r.routing.object.as_deref().map(str::len), Some(MAX_OBJECT));
    assert_eq!(r.artifact.file.as_deref().map(str::len), Some(MAX_FILE));
    for raw in ["/release/a%E2%80%A8b.txt", "/release/a%E2%80%AEb.txt"] {
        let r = record_for(&meta(raw));
        assert_eq!(
            r.routing.object.as_deref(),
            Some("release/a\u{fffd}b.txt"),
            "{raw}"
        );
    }
    assert_eq!(
        clip("a\u{2029}b\u{2066}c\u{7}", 64),
        "a\u{fffd}b\u{fffd}c\u{fffd}"
    );
}

/// A Referer's user:password@ is never logged.
#[test]
fn referer_credentials_are_stripped() {
    let mut m = meta("/release/stable.txt");
    for (referer, logged) in [
        (
            "https://alice:hunter2@ci.example/job?token=x",
            "https://ci.example/job",
        ),
        ("https://ci.example/a@b", "https://ci.example/a@b"),
        ("https://token@ci.example", "https://ci.example"),
        ("not a url", "not a url"),
    ] {
        m.referer = Some(referer);
        assert_eq!(
            record_for(&m).request.referer.as_deref(),
            Some(logged),
            "{referer}"
        );
    }
}

/// `request.host` (and so Splunk's indexed host) is a served hostname or
/// `unknown`; what the client sent goes in `host_sent`.
#[test]
fn the_logged_host_is_one_the_service_serves() {
    let served = Config::default().hosts;
    for (host, logged, sent) in [
        ("dl.k8s.io", "dl.k8s.io", None),
        ("CDN.dl.k8s.io:443", "cdn.dl.k8s.io", None),
        (
            "totally-not-dl.k8s.io",
            "unknown",
            Some("totally-not-dl.k8s.io"),
        ),
        (
            "dl.k8s.io:a@evil.example",
            "unknown",
            Some("dl.k8s.io:a@evil.example"),
        ),
    ] {
        let mut m = meta("/release/stable.txt");
        m.host = Some(host);
        let mut r = record_for(&m);
        r.host_among(&served);
        assert_eq!(r.request.host.as_deref(), Some(logged), "{host}");
        assert_eq!(
            r.request.host_sent.as_deref(),
            sent.map(|s| s.to_ascii_lowercase()).as_deref(),
            "{host}"
        );
    }
}

#[test]
fn hec_envelope_shape() {
    use crate::telemetry::endpoint::{hec_line, parse_endpoints};
    let endpoints = parse_endpoints(r#"[{"name":"splunk","format":"hec","index":"k8s"}]"#).unwrap();
    let r = record_for(&meta("/release/stable.txt"));
    let line = hec_line(&endpoints[0], &r);
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["time"].as_f64(), Some(1_795_257_906.123));
    assert!(line.starts_with(r#"{"time":1795257906.123,"#), "{line}");
    assert_eq!(v["host"], "dl.k8s.io");
    assert_eq!(v["source"], "dl-edge");
    assert_eq!(v["sourcetype"], "dl-edge:request");
    assert_eq!(v["index"], "k8s");
    assert_eq!(v["event"]["request"]["path"], "/release/stable.txt");
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["event", "host", "index", "source", "sourcetype", "time"]
    );

    let no_index = parse_endpoints(r#"[{"name":"splunk","format":"hec"}]"#).unwrap();
    let v: serde_json::Value = serde_json::from_str(&hec_line(&no_index[0], &r)).unwrap();
    assert!(v.get("index").is_none());
}

#[test]
fn each_selecting_endpoint_gets_one_line_in_its_format() {
    use crate::telemetry::endpoint::{lines, parse_endpoints};
    let endpoints = parse_endpoints(
        r#"[{"name":"splunk","format":"hec"},{"name":"bucket","format":"json"},{"name":"errors","format":"json","min_class":"errors"}]"#,
    )
    .unwrap();
    let mut ok = record_for(&meta("/release/stable.txt"));
    ok.responded(200, Some(7), Some(60));
    let out = lines(&endpoints, &ok);
    let names: Vec<&str> = out.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["splunk", "bucket"]);
    let bare: serde_json::Value = serde_json::from_str(&out[1].1).unwrap();
    assert_eq!(bare["schema"], 1);
    let bad = record_for(&meta("/release/../x"));
    let names: Vec<&str> = lines(&endpoints, &bad).iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["splunk", "bucket", "errors"]);
}

/// Every field a record can hold, hostile text included, is in its line
/// and reads back as itself; fields without a value are left out.
#[test]
fn the_line_holds_every_field_and_reads_back() {
    let hostile = "a\"b\\c\nd\u{1}e\u{7f}é🚀";
    let full = LogRecord {
        schema: SCHEMA_VERSION,
        time: TimeFields {
            start: "2026-11-21T10:45:06.123Z".into(),
            start_epoch_ms: 1_795_257_906_123,
            duration_us: 12_300,
        },
        request: RequestFields {
            id: "req-1".into(),
            method: "GET".into(),
            host: Some("unknown".into()),
            host_sent: Some(hostile.into()),
            path: "/release/stable.txt".into(),
            query_dropped: true,
            range: Some("bytes=0-".into()),
            protocol: "HTTP/2".into(),
            user_agent: Some(hostile.into()),
            referer: Some("https://example.org/".into()),
        },
        client: ClientFields {
            ip: Some("203.0.113.0".into()),
            asn: Some(8075),
            as_name: Some("microsoft corporation".into()),
            continent: Some("NA".into()),
            country: Some("US".into()),
            region: Some("VA".into()),
            city: Some("ashburn".into()),
            cloud: Some("azure".into()),
            cloud_region: Some("eastus".into()),
            group: Some("na-east"),
            locality_source: Some("azure-asn"),
            tool: "curl",
        },
        artifact: ArtifactFields {
            class: Some("immutable"),
            version: Some("v1.31.0-rc.1+abc".into()),
            major: Some(1),
            minor: Some(31),
            patch: Some(0),
            pre_release: Some("rc.1".into()),
            build: Some("abc".into()),
            os: Some("linux"),
            arch: Some("amd64"),
            file: Some("kubectl".into()),
        },
        routing: RoutingFields {
            bucket: Some("kubernetes-release".into()),
            object: Some("release/v1.31.0-rc.1/bin/linux/amd64/kubectl".into()),
            shield: Some("iad-va-us".into()),
            shield_rule: Some("version >= 1.30".into()),
            role: "edge",
            failover: true,
        },
        response: ResponseFields {
            status: 206,
            bytes_sent: u64::MAX,
            content_length: Some(1 << 40),
            ttl: Some(31_536_000),
            cache_state: Some("MISS"),
        },
        service: service(),
        error: Some(ErrorFields {
            kind: "origin",
            reason: hostile.into(),
        }),
        config_warnings: 3,
        overrides: vec!["pin-shield".into(), hostile.into()],
    };
    let line = full.to_json();
    assert!(!line.contains('\n'), "one line: {line}");
    let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
    let expected = serde_json::json!({
        "schema": 1,
        "time": {"start": "2026-11-21T10:45:06.123Z", "start_epoch_ms": 1_795_257_906_123u64, "duration_ms": 12.3},
        "request": {"id": "req-1", "method": "GET", "host": "unknown", "host_sent": hostile,
            "path": "/release/stable.txt", "query_dropped": true, "range": "bytes=0-",
            "protocol": "HTTP/2", "user_agent": hostile, "referer": "https://example.org/"},
        "client": {"ip": "203.0.113.0", "asn": 8075, "as_name": "microsoft corporation",
            "continent": "NA", "country": "US", "region": "VA", "city": "ashburn",
            "cloud": "azure", "cloud_region": "eastus", "group": "na-east",
            "locality_source": "azure-asn", "tool": "curl"},
        "artifact": {"class": "immutable", "version": "v1.31.0-rc.1+abc", "major": 1, "minor": 31,
            "patch": 0, "pre_release": "rc.1", "build": "abc", "os": "linux", "arch": "amd64",
            "file": "kubectl"},
        "routing": {"bucket": "kubernetes-release",
            "object": "release/v1.31.0-rc.1/bin/linux/amd64/kubectl", "shield": "iad-va-us",
            "shield_rule": "version >= 1.30", "role": "edge", "failover": true},
        "response": {"status": 206, "bytes_sent": u64::MAX, "content_length": 1u64 << 40,
            "ttl": 31_536_000, "cache_state": "MISS"},
        "service": {"pop": "FRA", "version": "42"},
        "error": {"kind": "origin", "reason": hostile},
        "config_warnings": 3,
        "overrides": ["pin-shield", hostile],
    });
    assert_eq!(parsed, expected);
    let errors: Vec<String> = schema()
        .iter_errors(&parsed)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");

    // Nothing optional: those fields are left out, not null.
    let bare = record_for(&meta("/release/../x"));
    let parsed: serde_json::Value = serde_json::from_str(&bare.to_json()).unwrap();
    assert!(parsed.get("overrides").is_none() && parsed["artifact"].get("version").is_none());
    assert_eq!(parsed["time"]["duration_ms"].as_f64(), Some(0.0));
    assert!(!bare.to_json().contains("null"));
}

fn schema() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/log-record.schema.json"
    )))
    .unwrap();
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

#[test]
fn every_record_validates_against_the_json_schema() {
    let validator = schema();
    let mut targets: Vec<String> = url_rows().iter().map(|r| r.path.to_owned()).collect();
    targets.extend(
        [
            "/release/../x",
            "/release/",
            "/a%2fb",
            "/release/stable.txt?q=1",
        ]
        .map(String::from),
    );
    for target in &targets {
        let mut r = record_for(&meta(target));
        r.responded(200, Some(10), Some(60));
        r.finished(10, 1_000_000, None);
        let value = serde_json::from_str::<serde_json::Value>(&r.to_json()).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{target}: {errors:?}");
    }
    let mut bad = serde_json::from_str::<serde_json::Value>(
        &record_for(&meta("/release/stable.txt")).to_json(),
    )
    .unwrap();
    bad["routing"]["role"] = "middle".into();
    assert!(!validator.is_valid(&bad), "the schema can reject a record");
    bad["routing"]["role"] = "edge".into();
    bad["extra"] = 1.into();
    assert!(!validator.is_valid(&bad), "unknown fields are refused");
}

#[test]
fn the_schema_lists_every_tool_name() {
    let schema: serde_json::Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/log-record.schema.json"
    )))
    .unwrap();
    let tools = &schema["properties"]["client"]["properties"]["tool"]["enum"];
    for ua in [
        "curl/8",
        "Wget/1",
        "kubeadm/v1",
        "kubectl/v1",
        "kubelet/v1",
        "minikube/1",
        "kind/0",
        "actions/tool-cache",
        "Go-http-client/2",
        "python-requests/2",
        "Homebrew/4",
        "aria2/1",
        "WindowsPowerShell/5",
        "Mozilla/5.0",
        "x",
        "",
    ] {
        let tool = crate::telemetry::client_tool::from_user_agent(Some(ua));
        assert!(
            tools.as_array().unwrap().iter().any(|t| t == tool),
            "{tool}"
        );
    }
}

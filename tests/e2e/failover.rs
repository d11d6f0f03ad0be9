//! Failover to a route's fallback bucket, and migration between buckets,
//! against a refusing, a failing and a stalling primary.

use dl_edge_testkit::http::curl;
use dl_edge_testkit::proxy::{start_faulty, Fault};
use dl_edge_testkit::stack::{mentions, Edge};
use dl_edge_testkit::viceroy::{loopback, ViceroyConfig};

use crate::Ctx;

pub const CASES: &[crate::Case] = &[
    ("a_failing_primary_fails_over_to_the_fallback", failover),
    (
        "migration_serves_each_object_from_the_bucket_its_hash_says",
        migration,
    ),
];

const OBJECT: &str = "release/v1.31.0/bin/linux/amd64/kubectl";

/// An edge whose route sends everything to bucket `primary-eu` (through
/// `primary_backend`) with `kubernetes-release` as the fallback.
fn edge(ctx: &Ctx, backends: &[(&str, u16, Option<u32>)], bucket_backends: &str) -> Edge {
    let mut viceroy =
        ViceroyConfig::on_loopback(ctx.origin.port).secret("debug_token", "e2e-debug");
    for (name, port, first_byte_ms) in backends {
        viceroy = match first_byte_ms {
            Some(ms) => viceroy.backend_with_first_byte_timeout(name, &loopback(*port), *ms),
            None => viceroy.backend(name, &loopback(*port)),
        };
    }
    let config = format!(
        r#"{{"routes": {}, "bucket_backends": {}, "warning_sample_rate": "1"}}"#,
        serde_json::to_string(
            r#"[{"prefix":"/","bucket":"primary-eu","fallback":"kubernetes-release"}]"#
        )
        .unwrap(),
        serde_json::to_string(bucket_backends).unwrap()
    );
    ctx.start_edge(&viceroy.config_json(&config))
}

fn failover(ctx: &Ctx) {
    let bytes = ctx.origin.object("kubernetes-release", OBJECT);
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (flaky, flaky_hits) = start_faulty(Fault::Unavailable);
    let (stalled, stalled_hits) = start_faulty(Fault::Stall);
    let backends = [
        ("refusing", dead, None),
        ("flaky", flaky, None),
        ("stalled", stalled, Some(1000)),
    ];
    for (primary, hits) in [
        ("refusing", None),
        ("flaky", Some(&flaky_hits)),
        ("stalled", Some(&stalled_hits)),
    ] {
        let edge = edge(ctx, &backends, &format!(r#"{{"primary-eu":"{primary}"}}"#));
        let r = curl(&ctx.work, edge.port, &edge.url(&format!("/{OBJECT}")), &[]);
        assert_eq!(r.status, 200, "{primary}");
        assert_eq!(r.body, bytes, "{primary}: the fallback's bytes");
        assert!(!r.has_header("dl-edge-bucket"), "only with the debug token");
        let debug = curl(
            &ctx.work,
            edge.port,
            &edge.url(&format!("/{OBJECT}")),
            &["-H", "dl-edge-debug: e2e-debug"],
        );
        assert_eq!(
            debug.header("dl-edge-bucket"),
            Some("kubernetes-release"),
            "{primary}"
        );
        assert_eq!(debug.header("dl-edge-failover"), Some("true"), "{primary}");
        let wrong = curl(
            &ctx.work,
            edge.port,
            &edge.url(&format!("/{OBJECT}")),
            &["-H", "dl-edge-debug: guess"],
        );
        assert!(!wrong.has_header("dl-edge-bucket"));
        let line = &edge.wait_for_log_lines("splunk", 1)[0]["event"];
        assert_eq!(line["routing"]["bucket"], "kubernetes-release", "{primary}");
        assert_eq!(line["routing"]["failover"], true, "{primary}");
        let warnings = edge.wait_for_service_events(1);
        assert!(
            mentions(&warnings, "failed over: bucket primary-eu"),
            "{primary}: {warnings:?}"
        );
        if let Some(hits) = hits {
            assert!(
                *hits.lock().unwrap() >= 1,
                "{primary}: the primary was tried"
            );
        }
    }

    // Both down: a clear 503, and the log line says why.
    let edge = edge(
        ctx,
        &backends,
        r#"{"primary-eu":"refusing","kubernetes-release":"flaky"}"#,
    );
    let r = curl(&ctx.work, edge.port, &edge.url(&format!("/{OBJECT}")), &[]);
    assert_eq!(r.status, 503);
    assert!(
        r.text().len() < 100 && r.text().ends_with('\n'),
        "{:?}",
        r.text()
    );
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let line = &edge.wait_for_log_lines("splunk", 1)[0]["event"];
    assert_eq!(line["error"]["kind"], "origin");
    let reason = line["error"]["reason"].as_str().unwrap_or("");
    assert!(
        reason.contains("primary-eu") && reason.contains("kubernetes-release"),
        "{reason}"
    );
}

/// Uploads `content` as `object` into `bucket` through the emulator's JSON API.
fn upload(ctx: &Ctx, bucket: &str, object: &str, content: &str) {
    let base = format!("http://127.0.0.1:{}", ctx.origin.port);
    let _ = std::process::Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
        ])
        .args(["-d", &format!(r#"{{"name":"{bucket}"}}"#)])
        .arg(format!("{base}/storage/v1/b?project=e2e"))
        .status();
    let status = std::process::Command::new("curl")
        .args([
            "-s",
            "-f",
            "-o",
            "/dev/null",
            "-X",
            "POST",
            "-H",
            "Content-Type: application/octet-stream",
        ])
        .args(["--data-binary", content])
        .arg(format!(
            "{base}/upload/storage/v1/b/{bucket}/o?uploadType=media&name={}",
            object.replace('/', "%2F")
        ))
        .status()
        .expect("run curl");
    assert!(status.success(), "upload {bucket}/{object}");
}

fn migration(ctx: &Ctx) {
    // The new bucket has a copy of some objects, with contents that say
    // where they came from; others exist only in the old bucket.
    let copied: Vec<String> = (0..12)
        .map(|i| format!("release/v1.31.0/migrated-{i}.txt"))
        .collect();
    for object in &copied {
        upload(ctx, "kubernetes-release", object, &format!("old {object}"));
        upload(
            ctx,
            "kubernetes-release-new",
            object,
            &format!("new {object}"),
        );
    }
    let old_only = "release/v1.29.8/SHA256SUMS";
    for percent in [0u8, 50, 100] {
        let routes = format!(
            r#"[{{"prefix":"/","bucket":"kubernetes-release","new_bucket":"kubernetes-release-new","new_percent":{percent}}}]"#
        );
        let config = format!(
            r#"{{"routes": {}}}"#,
            serde_json::to_string(&routes).unwrap()
        );
        let edge = ctx.edge_with(&config);
        let mut from_new = 0;
        for object in &copied {
            let r = curl(&ctx.work, edge.port, &edge.url(&format!("/{object}")), &[]);
            assert_eq!(r.status, 200, "{percent}% {object}");
            let expect_new = dl_edge::origin::route::in_new_share(object, percent);
            let expected = if expect_new {
                format!("new {object}")
            } else {
                format!("old {object}")
            };
            assert_eq!(
                r.text(),
                expected,
                "{percent}%: {object} from the bucket its hash says"
            );
            from_new += usize::from(expect_new);
        }
        match percent {
            0 => assert_eq!(from_new, 0),
            100 => assert_eq!(from_new, copied.len()),
            _ => assert!(
                from_new > 0 && from_new < copied.len(),
                "both buckets serve at 50%"
            ),
        }
        let r = curl(
            &ctx.work,
            edge.port,
            &edge.url(&format!("/{old_only}")),
            &[],
        );
        assert_eq!(
            r.status, 200,
            "{percent}%: an object only in the old bucket is still served"
        );
        assert_eq!(r.body, ctx.origin.object("kubernetes-release", old_only));
    }
}

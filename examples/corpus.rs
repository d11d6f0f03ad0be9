//! Runs the whole per-request core over the URL corpus REPEAT times (first
//! argument, default 1): decision, response cache policy, locality, shield
//! choice, log record and its HEC line. scripts/bench runs it under
//! `valgrind --tool=callgrind` to count instructions per request, which stay
//! stable on a noisy machine.

use std::hint::black_box;

use dl_edge::config::Config;
use dl_edge::decision::{decide, Decision, RequestView};
use dl_edge::locality;
use dl_edge::policy::cache;
use dl_edge::shield::Plan;
use dl_edge::telemetry::endpoint::{lines, parse_endpoints};
use dl_edge::telemetry::privacy::IpMode;
use dl_edge::telemetry::record::{LogRecord, RequestMeta, ServiceFields};
use dl_edge_testkit::corpus;

fn main() {
    let repeat: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1);
    let paths = corpus::paths();
    let config = Config::default();
    let plan = Plan::parse(include_str!("../docs/shield-plan.example.json"))
        .expect("the example plan")
        .0;
    let endpoints = parse_endpoints(r#"[{"name":"splunk","format":"hec"}]"#).expect("endpoints");
    let ip = "3.208.0.10".parse().ok();
    let mut bytes = 0;
    for _ in 0..repeat {
        for path in &paths {
            let view = RequestView {
                method: "GET",
                host: Some("dl.k8s.io"),
                target: path,
                range: None,
                header_bytes: 300,
                repeated: None,
            };
            let decision = decide(black_box(&view), &config);
            let meta = RequestMeta {
                id: "5b6a3c1f0e2d4a8b9c7d6e5f4a3b2c1d",
                method: "GET",
                host: Some("dl.k8s.io"),
                target: path,
                protocol: "HTTP/1.1",
                user_agent: Some("curl/8.5.0"),
                client_ip: ip,
                start_unix_nanos: 1_795_257_906_123_456_789,
                ..RequestMeta::default()
            };
            let service = ServiceFields {
                pop: "FRA".into(),
                version: "42".into(),
            };
            let mut record = LogRecord::begin(&meta, IpMode::Truncated, None, service);
            record.decided(&decision);
            if let Decision::Fetch(fetch) = &decision {
                let policy = cache::policy(fetch.classification.class, 200, &config.cache);
                let place = locality::locate(ip, None);
                let choice = plan.choose(&fetch.classification, &fetch.target.path, place.group);
                record.located(&place);
                record.shielded(
                    "edge",
                    choice.candidates.first().map(|c| c.to_string()),
                    Some(choice.rule),
                );
                record.responded(
                    200,
                    Some(1000),
                    match policy.edge {
                        cache::EdgeCache::Store { ttl, .. } => Some(ttl),
                        cache::EdgeCache::DoNotStore => None,
                    },
                );
            }
            record.finished(1000, 1_000_000, None);
            bytes += lines(&endpoints, &record)
                .iter()
                .map(|(_, l)| l.len())
                .sum::<usize>();
        }
    }
    println!(
        "{} requests, {bytes} bytes of log lines",
        repeat * paths.len()
    );
}

//! The core decision per request, natively: the budget is under 2 µs for a
//! typical request (see docs/performance.md).

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use dl_edge::config::Config;
use dl_edge::decision::{decide, Decision, RequestView};
use dl_edge::locality::Geo;
use dl_edge::policy::cache;
use dl_edge::telemetry::endpoint::{lines, parse_endpoints};
use dl_edge::telemetry::privacy::IpMode;
use dl_edge::telemetry::record::{LogRecord, RequestMeta, ServiceFields};
use dl_edge_testkit::corpus;

fn view(target: &str) -> RequestView<'_> {
    RequestView {
        method: "GET",
        host: Some("dl.k8s.io"),
        target,
        range: None,
        header_bytes: 300,
        repeated: None,
    }
}

fn benches(c: &mut Criterion) {
    let config = Config::default();
    let typical = "/release/v1.31.0/bin/linux/amd64/kubectl";
    c.bench_function("decide: typical kubectl download", |b| {
        b.iter(|| decide(black_box(&view(typical)), &config))
    });
    c.bench_function("decide + response cache policy: typical", |b| {
        b.iter(|| match decide(black_box(&view(typical)), &config) {
            Decision::Fetch(f) => Some(cache::policy(f.classification.class, 200, &config.cache)),
            Decision::Reply(_) => None,
        })
    });
    let paths = corpus::paths();
    c.bench_function("decide: whole URL corpus (per corpus)", |b| {
        b.iter(|| {
            for p in &paths {
                black_box(decide(&view(p), &config));
            }
        })
    });
    let geo = Geo::from_json(dl_edge_testkit::geo::ASHBURN).expect("a geolocation record");
    let meta = RequestMeta {
        id: "5b6a3c1f0e2d4a8b9c7d6e5f4a3b2c1d",
        method: "GET",
        host: Some("dl.k8s.io"),
        target: typical,
        protocol: "HTTP/1.1",
        user_agent: Some("curl/8.5.0"),
        referer: None,
        range: None,
        client_ip: "203.0.113.77".parse().ok(),
        geo: Some(&geo),
        start_unix_nanos: 1_795_257_906_123_456_789,
    };
    let decision = decide(&view(typical), &config);
    let hec = parse_endpoints(r#"[{"name":"splunk","format":"hec"}]"#).unwrap();
    c.bench_function("log record: build + one HEC line, typical", |b| {
        b.iter(|| {
            let service = ServiceFields {
                pop: "FRA".into(),
                version: "42".into(),
            };
            let mut record = LogRecord::begin(black_box(&meta), IpMode::Truncated, None, service);
            record.decided(&decision);
            record.responded(200, Some(49_000_000), Some(31_536_000));
            record.finished(49_000_000, 1_234_567, None);
            lines(&hec, &record)
        })
    });
    let plan = dl_edge::shield::Plan::parse(include_str!("../docs/shield-plan.example.json"))
        .expect("the example plan is valid")
        .0;
    let Decision::Fetch(fetch) = decide(&view(typical), &config) else {
        unreachable!("a typical request is fetched")
    };
    let aws: std::net::IpAddr = "3.208.0.10".parse().unwrap();
    let geo = meta.geo;
    c.bench_function("locality + shield choice: AWS client, typical", |b| {
        b.iter(|| {
            let locality = dl_edge::locality::locate(Some(black_box(aws)), geo);
            plan.choose(&fetch.classification, &fetch.target.path, locality.group)
        })
    });
    let other: std::net::IpAddr = "198.51.100.7".parse().unwrap();
    c.bench_function("locality + shield choice: geo client, typical", |b| {
        b.iter(|| {
            let locality = dl_edge::locality::locate(Some(black_box(other)), geo);
            plan.choose(&fetch.classification, &fetch.target.path, locality.group)
        })
    });
    let plan_text = include_str!("../docs/shield-plan.example.json");
    c.bench_function("shield plan parse (example plan, per request)", |b| {
        b.iter(|| dl_edge::shield::Plan::parse(black_box(plan_text)))
    });
    let empty: HashMap<String, String> = HashMap::new();
    c.bench_function("config load: all defaults", |b| {
        b.iter(|| Config::load(black_box(&empty)))
    });
    // As in production: `fastly compute publish` puts every default in the
    // store, so every key is read and parsed from there.
    let full: HashMap<String, String> = dl_edge::config::KEYS
        .iter()
        .map(|k| (k.name.to_owned(), k.default.to_owned()))
        .collect();
    c.bench_function("config load: every key in the store", |b| {
        b.iter(|| Config::load(black_box(&full)))
    });
}

criterion_group!(decision, benches);
criterion_main!(decision);

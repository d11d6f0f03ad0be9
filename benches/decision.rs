//! The core decision per request, natively: the budget is under 2 µs for a
//! typical request (see docs/performance.md).

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use dl_edge::cache;
use dl_edge::config::Config;
use dl_edge::decision::{decide, Decision, RequestView};

fn corpus() -> Vec<String> {
    include_str!("../tests/fixtures/urls.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').next().unwrap_or("/").to_owned())
        .collect()
}

fn view(target: &str) -> RequestView<'_> {
    RequestView {
        method: "GET",
        host: Some("dl.k8s.io"),
        target,
        range: None,
        header_bytes: 300,
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
    let paths = corpus();
    c.bench_function("decide: whole URL corpus (per corpus)", |b| {
        b.iter(|| {
            for p in &paths {
                black_box(decide(&view(p), &config));
            }
        })
    });
    let empty: HashMap<String, String> = HashMap::new();
    c.bench_function("config load: all defaults", |b| {
        b.iter(|| Config::load(black_box(&empty)))
    });
}

criterion_group!(decision, benches);
criterion_main!(decision);

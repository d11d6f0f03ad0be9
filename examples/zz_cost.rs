// Scratch: instructions per operation under callgrind (not committed).
use dl_edge::config::Config;
use dl_edge::decision::{decide, RequestView};
use dl_edge::locality::Geo;
use dl_edge::telemetry::endpoint::{lines, parse_endpoints};
use dl_edge::telemetry::privacy::IpMode;
use dl_edge::telemetry::record::{LogRecord, RequestMeta, ServiceFields};
use std::collections::HashMap;
use std::hint::black_box;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let what = args[1].as_str();
    let n: usize = args[2].parse().unwrap();
    let config = Config::default();
    let typical = "/release/v1.31.0/bin/linux/amd64/kubectl";
    let view = RequestView {
        method: "GET",
        host: Some("dl.k8s.io"),
        target: typical,
        range: None,
        header_bytes: 300,
        repeated: None,
    };
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
        geo: Some(Geo {
            asn: 8075,
            as_name: "microsoft corporation".into(),
            continent: "NA".into(),
            country: "US".into(),
            region: Some("VA".into()),
            city: "ashburn".into(),
        }),
        start_unix_nanos: 1_795_257_906_123_456_789,
    };
    let decision = decide(&view, &config);
    let hec = parse_endpoints(r#"[{"name":"splunk","format":"hec"}]"#).unwrap();
    let plan_text = include_str!("../docs/shield-plan.example.json");
    let empty: HashMap<String, String> = HashMap::new();
    let full: HashMap<String, String> = dl_edge::config::KEYS
        .iter()
        .map(|k| (k.name.to_owned(), k.default.to_owned()))
        .collect();
    for _ in 0..n {
        match what {
            "log" => {
                let service = ServiceFields {
                    pop: "FRA".into(),
                    version: "42".into(),
                };
                let mut record =
                    LogRecord::begin(black_box(&meta), IpMode::Truncated, None, service);
                record.decided(&decision);
                record.responded(200, Some(49_000_000), Some(31_536_000));
                record.finished(49_000_000, 1_234_567, None);
                black_box(lines(&hec, &record));
            }
            "plan" => {
                black_box(dl_edge::shield::Plan::parse(black_box(plan_text)).unwrap());
            }
            "defaults" => {
                black_box(Config::load(black_box(&empty)));
            }
            "full" => {
                black_box(Config::load(black_box(&full)));
            }
            "decide" => {
                black_box(decide(black_box(&view), &config));
            }
            _ => panic!(),
        }
    }
}

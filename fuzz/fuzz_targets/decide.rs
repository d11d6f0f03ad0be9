//! Fuzzes the whole decision and the log record on arbitrary request
//! bytes: `cargo +nightly fuzz run decide` from fuzz/'s parent (see
//! README). It must never panic, and a fetch must name a safe object.

#![no_main]

use dl_edge::config::Config;
use dl_edge::decision::{decide, Decision, RequestView};
use dl_edge::telemetry::record::{LogRecord, RequestMeta, ServiceFields};
use dl_edge::telemetry::privacy::IpMode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(4, '\n');
    let method = parts.next().unwrap_or("GET");
    let target = parts.next().unwrap_or("/");
    let range = parts.next();
    let host = parts.next();
    let config = Config::default();
    let view = RequestView { method, host, target, range, header_bytes: data.len(), repeated: None };
    let decision = decide(&view, &config);
    if let Decision::Fetch(fetch) = &decision {
        let object = &fetch.target.object;
        assert!(!object.is_empty() && !object.ends_with('/'));
        assert!(!object.split('/').any(|s| s == ".." || s == "." || s.is_empty()));
        assert!(!object.chars().any(char::is_control));
    }
    let meta = RequestMeta { id: "fuzz", method, host, target, range, ..RequestMeta::default() };
    let service = ServiceFields { pop: "FUZ".into(), version: "0".into() };
    let mut record = LogRecord::begin(&meta, IpMode::Truncated, None, service);
    record.decided(&decision);
    let line = record.to_json();
    assert!(!line.contains('\n'));
    let parsed: serde_json::Value = serde_json::from_str(&line).expect("a record is JSON");
    assert_eq!(parsed["request"]["path"], &*record.request.path);
});

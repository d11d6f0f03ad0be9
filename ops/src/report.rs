//! The operator's view of a file of log lines, without Splunk: the same
//! questions the shipped Splunk dashboard answers, printed as tables.
//!
//! Lines may be bare records (`json` endpoints), HEC envelopes (`hec`
//! endpoints), or Viceroy's `<endpoint> :: <line>` output; anything else is
//! counted and skipped.
//!
//! Client requests are counted once: a shielded miss writes the edge's
//! line (`routing.role = edge`) and the shield's (`role = shield`); only
//! the edge's is a request. Shield lines say what the shields did.

use std::collections::HashMap;
use std::fmt::Write;

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

/// Counts gathered from the records.
#[derive(Debug, Default)]
pub struct Report {
    pub records: u64,
    pub skipped: u64,
    /// Downloads by (version, os, arch): (requests, complete, bytes); a
    /// download is complete when its body was not cut (no `error`).
    downloads: HashMap<(String, String, String), (u64, u64, u64)>,
    clouds: HashMap<(String, String), (u64, u64)>,
    hosts: HashMap<String, u64>,
    cache: HashMap<String, u64>,
    errors: HashMap<(u64, String), u64>,
    bytes: u64,
    /// Edge requests by POP and shield: (requests, cache hits).
    pops: HashMap<(String, String), (u64, u64)>,
    /// Requests served after a bucket failover, by the bucket that served.
    failovers: HashMap<String, u64>,
    /// Shield lines by shield: (edge requests, hits, origin fetches).
    shields: HashMap<String, (u64, u64, u64)>,
    pub shield_lines: u64,
}

impl Report {
    /// Reads every line.
    #[cfg(test)]
    pub fn from_lines<'a>(lines: impl IntoIterator<Item = &'a str>) -> Report {
        let mut report = Report::default();
        for line in lines {
            report.add_line(line);
        }
        report
    }

    /// Counts one line: a record in any of its wrappings, or a skip.
    pub fn add_line(&mut self, line: &str) {
        match record_of(line) {
            Some(record) => self.add(&record),
            None if line.trim().is_empty() => {}
            None => self.skipped += 1,
        }
    }

    /// The same tables as data, for scripts: every view a list of rows.
    pub fn to_json(&self) -> Value {
        let rows = |pairs: Vec<Value>| Value::Array(pairs);
        serde_json::json!({
            "requests": self.records,
            "bytes_sent": self.bytes,
            "skipped_lines": self.skipped,
            "shield_lines": self.shield_lines,
            "downloads": rows(sorted(&self.downloads, |(n, _, b)| (*n, *b)).into_iter().map(|((v, o, a), (n, c, b))| {
                serde_json::json!({"version": v, "os": o, "arch": a, "requests": n, "complete": c, "bytes": b})
            }).collect()),
            "clouds": rows(sorted(&self.clouds, |(n, b)| (*n, *b)).into_iter().map(|((c, r), (n, b))| {
                serde_json::json!({"cloud": c, "region": r, "requests": n, "bytes": b})
            }).collect()),
            "hosts": rows(sorted(&self.hosts, |n| (*n, 0)).into_iter().map(|(h, n)| {
                serde_json::json!({"host": h, "requests": n})
            }).collect()),
            "cache_states": rows(sorted(&self.cache, |n| (*n, 0)).into_iter().map(|(s, n)| {
                serde_json::json!({"cache_state": s, "requests": n})
            }).collect()),
            "pops": rows(sorted(&self.pops, |(n, h)| (*n, *h)).into_iter().map(|((p, s), (n, h))| {
                serde_json::json!({"pop": p, "shield": s, "requests": n, "hits": h})
            }).collect()),
            "shields": rows(sorted(&self.shields, |(n, h, _)| (*n, *h)).into_iter().map(|(s, (n, h, o))| {
                serde_json::json!({"shield": s, "edge_requests": n, "hits": h, "origin_fetches": o})
            }).collect()),
            "failovers": rows(sorted(&self.failovers, |n| (*n, 0)).into_iter().map(|(b, n)| {
                serde_json::json!({"bucket": b, "requests": n})
            }).collect()),
            "errors": rows(sorted(&self.errors, |n| (*n, 0)).into_iter().map(|((s, r), n)| {
                serde_json::json!({"status": s, "reason": r, "requests": n})
            }).collect()),
        })
    }

    fn add(&mut self, r: &Rec<'_>) {
        let text = |v: &Option<Cow<'_, str>>| v.as_deref().unwrap_or("-").to_owned();
        let bytes = r.response.bytes_sent;
        let status = u64::from(r.response.status);
        let cache_state = r.response.cache_state.as_deref().unwrap_or("-");
        if r.routing.role.as_deref() == Some("shield") {
            self.shield_lines += 1;
            let entry = self.shields.entry(text(&r.routing.shield)).or_default();
            entry.0 += 1;
            entry.1 += u64::from(cache_state == "hit");
            entry.2 += u64::from(matches!(cache_state, "miss" | "pass"));
            return;
        }
        self.records += 1;
        let pop = (
            text(&r.service.pop),
            r.routing.shield.as_deref().unwrap_or("(none)").to_owned(),
        );
        let entry = self.pops.entry(pop).or_default();
        entry.0 += 1;
        entry.1 += u64::from(cache_state == "hit");
        if r.routing.failover {
            *self.failovers.entry(text(&r.routing.bucket)).or_default() += 1;
        }
        self.bytes += bytes;
        if (200..300).contains(&status) && r.artifact.version.is_some() {
            let key = (
                text(&r.artifact.version),
                text(&r.artifact.os),
                text(&r.artifact.arch),
            );
            let entry = self.downloads.entry(key).or_default();
            entry.0 += 1;
            entry.1 += u64::from(r.error.is_none());
            entry.2 += bytes;
        }
        let cloud = match r.client.cloud.as_deref() {
            Some(cloud) => (cloud.to_owned(), text(&r.client.cloud_region)),
            None => ("(none)".to_owned(), text(&r.client.country)),
        };
        let entry = self.clouds.entry(cloud).or_default();
        entry.0 += 1;
        entry.1 += bytes;
        *self.hosts.entry(text(&r.request.host)).or_default() += 1;
        *self.cache.entry(cache_state.to_owned()).or_default() += 1;
        if status >= 400 || r.error.is_some() {
            let reason = r
                .error
                .as_ref()
                .and_then(|e| e.reason.as_deref())
                .unwrap_or("")
                .to_owned();
            *self.errors.entry((status, reason)).or_default() += 1;
        }
    }

    /// The tables, as plain text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} requests, {} sent, {} lines skipped ({} shield lines, counted apart)\n",
            self.records,
            human_bytes(self.bytes),
            self.skipped,
            self.shield_lines
        );
        let rows = sorted(&self.downloads, |(n, _, b)| (*n, *b));
        table(
            &mut out,
            "Downloads by release, OS and architecture (2xx; complete: not cut short)",
            &["version", "os", "arch", "requests", "complete", "bytes"],
            rows.iter().map(|((v, o, a), (n, c, b))| {
                vec![
                    v.clone(),
                    o.clone(),
                    a.clone(),
                    n.to_string(),
                    c.to_string(),
                    human_bytes(*b),
                ]
            }),
        );
        let rows = sorted(&self.clouds, |(n, b)| (*n, *b));
        let total = self.records.max(1) as f64;
        table(
            &mut out,
            "Traffic by cloud and region (country when not a cloud)",
            &["cloud", "region", "requests", "share", "bytes"],
            rows.iter().map(|((c, r), (n, b))| {
                let share = format!("{:.1}%", *n as f64 * 100.0 / total);
                vec![c.clone(), r.clone(), n.to_string(), share, human_bytes(*b)]
            }),
        );
        let rows = sorted(&self.hosts, |n| (*n, 0));
        table(
            &mut out,
            "Hostnames in use",
            &["host", "requests"],
            rows.iter().map(|(h, n)| vec![h.clone(), n.to_string()]),
        );
        let rows = sorted(&self.cache, |n| (*n, 0));
        table(
            &mut out,
            "Cache efficiency",
            &["cache state", "requests", "share"],
            rows.iter().map(|(s, n)| {
                vec![
                    s.clone(),
                    n.to_string(),
                    format!("{:.1}%", **n as f64 * 100.0 / total),
                ]
            }),
        );
        let ratio = |hits: u64, n: u64| format!("{:.1}%", hits as f64 * 100.0 / n.max(1) as f64);
        let rows = sorted(&self.pops, |(n, h)| (*n, *h));
        table(
            &mut out,
            "Cache hit ratio by POP and shield",
            &["pop", "shield", "requests", "hits", "hit ratio"],
            rows.iter().map(|((p, s), (n, h))| {
                vec![
                    p.clone(),
                    s.clone(),
                    n.to_string(),
                    h.to_string(),
                    ratio(*h, *n),
                ]
            }),
        );
        let rows = sorted(&self.shields, |(n, h, _)| (*n, *h));
        table(
            &mut out,
            "What the shields did (their own lines)",
            &[
                "shield",
                "edge requests",
                "hits",
                "hit ratio",
                "origin fetches",
            ],
            rows.iter().map(|(s, (n, h, o))| {
                vec![
                    s.clone(),
                    n.to_string(),
                    h.to_string(),
                    ratio(*h, *n),
                    o.to_string(),
                ]
            }),
        );
        let rows = sorted(&self.failovers, |n| (*n, 0));
        table(
            &mut out,
            "Failovers, by the bucket that served",
            &["bucket", "requests"],
            rows.iter().map(|(b, n)| vec![b.clone(), n.to_string()]),
        );
        let rows = sorted(&self.errors, |n| (*n, 0));
        table(
            &mut out,
            "Errors",
            &["status", "reason", "requests"],
            rows.iter()
                .map(|((s, r), n)| vec![s.to_string(), r.clone(), n.to_string()]),
        );
        out
    }
}

/// Bytes as people read them: `512 B`, `1.5 KB`, `63.40 GB` (powers of
/// 1000, as network volumes are counted).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KB", "MB", "GB", "TB", "PB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    match unit {
        0 => format!("{n} B"),
        _ => format!("{value:.2} {}", UNITS[unit]),
    }
}

/// The parts of a record the report reads, borrowed from the line (a text
/// written with JSON escapes is copied), so a day of lines allocates
/// little; everything else is skipped unread.
#[derive(Deserialize)]
pub struct Rec<'a> {
    schema: u32,
    #[serde(default, borrow)]
    request: Fields<'a>,
    #[serde(default, borrow)]
    client: Fields<'a>,
    #[serde(default, borrow)]
    artifact: Fields<'a>,
    #[serde(default, borrow)]
    routing: Fields<'a>,
    #[serde(default, borrow)]
    response: Fields<'a>,
    #[serde(default, borrow)]
    service: Fields<'a>,
    #[serde(default, borrow)]
    error: Option<Fields<'a>>,
}

/// One group of a record: every field the report reads from any group.
#[derive(Deserialize, Default)]
struct Fields<'a> {
    #[serde(default, borrow)]
    host: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    cloud: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    cloud_region: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    country: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    version: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    os: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    arch: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    role: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    shield: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    bucket: Option<Cow<'a, str>>,
    #[serde(default)]
    failover: bool,
    #[serde(default)]
    status: u16,
    #[serde(default)]
    bytes_sent: u64,
    #[serde(default, borrow)]
    cache_state: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pop: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    event: Rec<'a>,
}

/// The record in a line, whatever its wrapping: bare, a HEC envelope, or
/// Viceroy's `endpoint :: line`.
pub fn record_of(line: &str) -> Option<Rec<'_>> {
    let json = match line.split_once(" :: ") {
        Some((endpoint, rest)) if !endpoint.contains('{') => rest,
        _ => line,
    };
    let json = json.trim();
    let enveloped = json
        .contains("\"event\":")
        .then(|| serde_json::from_str::<Envelope>(json).ok())
        .flatten();
    let record = match enveloped {
        Some(envelope) => envelope.event,
        None => serde_json::from_str::<Rec>(json).ok()?,
    };
    (record.schema == 1).then_some(record)
}

/// Entries, biggest count first, then by key.
fn sorted<K: Ord + Clone, V>(
    map: &HashMap<K, V>,
    count: impl Fn(&V) -> (u64, u64),
) -> Vec<(K, &V)> {
    let mut rows: Vec<(K, &V)> = map.iter().map(|(k, v)| (k.clone(), v)).collect();
    rows.sort_by(|a, b| count(b.1).cmp(&count(a.1)).then_with(|| a.0.cmp(&b.0)));
    rows
}

fn table(out: &mut String, title: &str, header: &[&str], rows: impl Iterator<Item = Vec<String>>) {
    let rows: Vec<Vec<String>> = rows.collect();
    let empty = rows.is_empty();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let _ = writeln!(out, "{title}");
    let line = |cells: Vec<String>| -> String {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    let _ = writeln!(
        out,
        "{}",
        line(header.iter().map(|h| (*h).to_owned()).collect())
    );
    for row in rows {
        let _ = writeln!(out, "{}", line(row));
    }
    if empty {
        let _ = writeln!(out, "(none)");
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(
        version: Option<&str>,
        host: &str,
        status: u16,
        bytes: u64,
        cloud: Option<&str>,
    ) -> String {
        let v = serde_json::json!({
            "schema": 1,
            "request": {"host": host},
            "client": {"cloud": cloud, "cloud_region": cloud.map(|_| "eastus"), "country": "US"},
            "artifact": {"version": version, "os": "linux", "arch": "amd64"},
            "response": {"status": status, "bytes_sent": bytes, "cache_state": "hit"},
            "error": if status >= 400 { serde_json::json!({"kind": "rejected", "reason": "dot_segment"}) } else { Value::Null },
        });
        v.to_string()
    }

    #[test]
    fn reads_bare_hec_and_viceroy_lines_and_counts_the_views() {
        let bare = record(Some("v1.31.0"), "dl.k8s.io", 200, 100, Some("azure"));
        let hec = format!(
            r#"{{"time":1.0,"host":"x","event":{}}}"#,
            record(Some("v1.31.0"), "cdn.dl.k8s.io", 200, 50, None)
        );
        let viceroy = format!("splunk :: {}", record(None, "dl.k8s.io", 400, 30, None));
        let lines = [bare.as_str(), hec.as_str(), viceroy.as_str(), "garbage", ""];
        let report = Report::from_lines(lines);
        assert_eq!(report.records, 3);
        assert_eq!(report.skipped, 1);
        assert_eq!(report.bytes, 180);
        let key = ("v1.31.0".to_owned(), "linux".to_owned(), "amd64".to_owned());
        assert_eq!(report.downloads[&key], (2, 2, 150));
        assert_eq!(report.hosts["dl.k8s.io"], 2);
        assert_eq!(
            report.clouds[&("azure".to_owned(), "eastus".to_owned())],
            (1, 100)
        );
        assert_eq!(report.errors[&(400, "dot_segment".to_owned())], 1);
        let text = report.render();
        assert!(
            text.contains("3 requests, 180 B sent, 1 lines skipped"),
            "{text}"
        );
        assert!(
            text.contains("v1.31.0  linux  amd64  2         2         150 B"),
            "{text}"
        );
        let json = report.to_json();
        assert_eq!(json["requests"], 3);
        assert_eq!(json["downloads"][0]["version"], "v1.31.0");
        assert_eq!(json["downloads"][0]["bytes"], 150);
        assert_eq!(json["errors"][0]["reason"], "dot_segment");
        assert!(text.contains("cdn.dl.k8s.io  1"), "{text}");
    }

    /// A download the client reset is a request, and its bytes count,
    /// but it is not a complete download.
    #[test]
    fn a_cut_download_is_not_complete() {
        let whole = record(Some("v1.31.0"), "dl.k8s.io", 200, 1000, None);
        let mut cut: Value =
            serde_json::from_str(&record(Some("v1.31.0"), "dl.k8s.io", 200, 10, None)).unwrap();
        cut["error"] = serde_json::json!({"kind": "client", "reason": "client write failed"});
        let cut = cut.to_string();
        let report = Report::from_lines([whole.as_str(), cut.as_str()]);
        let key = ("v1.31.0".to_owned(), "linux".to_owned(), "amd64".to_owned());
        assert_eq!(report.downloads[&key], (2, 1, 1010));
        assert_eq!(report.to_json()["downloads"][0]["complete"], 1);
    }

    /// A shielded miss writes two lines; the report counts one request,
    /// and says what the shield did from the shield's line.
    #[test]
    fn client_requests_are_counted_once() {
        let edge = serde_json::json!({
            "schema": 1,
            "request": {"host": "dl.k8s.io"},
            "client": {"country": "US"},
            "artifact": {"version": "v1.31.0", "os": "linux", "arch": "amd64"},
            "routing": {"role": "edge", "shield": "iad-va-us", "bucket": "kubernetes-release", "failover": true},
            "response": {"status": 200, "bytes_sent": 10, "cache_state": "miss"},
            "service": {"pop": "BWI"},
        });
        let mut shield = edge.clone();
        shield["routing"]["role"] = "shield".into();
        let (edge, shield) = (edge.to_string(), shield.to_string());
        let report = Report::from_lines([edge.as_str(), shield.as_str()]);
        assert_eq!(report.records, 1);
        assert_eq!(report.bytes, 10);
        assert_eq!(report.shield_lines, 1);
        assert_eq!(report.shields["iad-va-us"], (1, 0, 1));
        assert_eq!(
            report.pops[&("BWI".to_owned(), "iad-va-us".to_owned())],
            (1, 0)
        );
        assert_eq!(report.failovers["kubernetes-release"], 1);
        let text = report.render();
        assert!(
            text.contains("1 requests, 10 B sent, 0 lines skipped (1 shield lines"),
            "{text}"
        );
    }

    #[test]
    fn bytes_read_as_people_read_them() {
        for (n, text) in [
            (0, "0 B"),
            (999, "999 B"),
            (1_500, "1.50 KB"),
            (63_400_000_000, "63.40 GB"),
            (5_100_000_000_000_000, "5.10 PB"),
        ] {
            assert_eq!(human_bytes(n), text);
        }
    }
}

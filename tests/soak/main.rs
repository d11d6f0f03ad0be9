//! Soak: mixed traffic from the URL corpus, bad input, injected origin
//! faults, clients that abort mid-download, held-open half requests
//! (slow-loris) and a burst of concurrent range requests for one large
//! object (2,000 in runs of 5 minutes or more, 500 in shorter ones), against the release Wasm in Viceroy, for `SOAK_SECONDS` (default
//! 600). It checks that no 5xx comes back except the injected ones, that
//! every request gets exactly one log line, and that Viceroy's memory does
//! not grow past a bound; then prints a summary.
//!
//! Run it with `scripts/soak [SECONDS]`; `scripts/test` runs 60 seconds.

#[path = "../e2e/http.rs"]
#[allow(dead_code)]
mod http;
#[path = "../e2e/proxy.rs"]
#[allow(dead_code)]
mod proxy;
#[path = "../e2e/stack.rs"]
#[allow(dead_code)]
mod stack;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use stack::{Edge, Origin, Tools};

/// Memory Viceroy may gain over the run, in MiB.
const RSS_GROWTH_BOUND_MIB: u64 = 64;
const LARGE: &str = "/release/v1.31.0/bin/linux/amd64/kubectl";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Good,
    Bad,
    Injected,
    Aborted,
    Range,
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let seconds: u64 = std::env::args()
        .nth(1)
        .filter(|a| !a.starts_with('-'))
        .or_else(|| std::env::var("SOAK_SECONDS").ok())
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let tools = match Tools::find(&root) {
        Ok(tools) => tools,
        Err(why) if std::env::var_os("DL_EDGE_E2E").is_none() => {
            println!("soak: skipped ({why}); scripts/soak installs the tools and runs it");
            return;
        }
        Err(why) => {
            eprintln!("soak: cannot run: {why}");
            std::process::exit(1);
        }
    };
    let work = root.join("target/soak-work");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("create target/soak-work");
    let origin = Origin::start(&tools, &root, &work);
    let (flaky, _) = proxy::start_faulty(proxy::Fault::Unavailable);
    let routes = r#"[{"prefix":"/faulty/","bucket":"faulty-bucket"},{"prefix":"/ci/kops/","bucket":"k8s-staging-kops","strip_prefix":true},{"prefix":"/ci/","bucket":"k8s-release-dev"},{"prefix":"/","bucket":"kubernetes-release"}]"#;
    let config = format!(
        r#"{{"routes": {}, "bucket_backends": "{{\"faulty-bucket\":\"flaky\"}}"}}"#,
        serde_json::to_string(routes).unwrap()
    );
    let extra = format!("\n[local_server.backends.flaky]\nurl = \"http://127.0.0.1:{flaky}\"\n");
    let edge = Edge::start_with(&tools, &root, &work, origin.port, &config, &extra);

    let paths: Vec<String> = std::fs::read_to_string(root.join("tests/fixtures/urls.tsv"))
        .expect("read the URL corpus")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split('\t').next().map(str::to_owned))
        .collect();

    for _ in 0..20 {
        http::raw(
            edge.port,
            &request("GET", "/release/stable.txt", "warmup", ""),
        );
    }
    let rss_start = rss_kib(edge.pid());

    // Slow-loris: half requests held open for the whole run.
    let loris: Vec<TcpStream> = (0..50)
        .filter_map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", edge.port)).ok()?;
            s.write_all(b"GET /release/stable.txt HTTP/1.1\r\nHost: dl.k8s")
                .ok()?;
            Some(s)
        })
        .collect();

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let counter = AtomicUsize::new(0);
    let results: Mutex<HashMap<usize, (Kind, u16)>> = Mutex::new(HashMap::new());
    let started = Instant::now();
    thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                while Instant::now() < deadline {
                    let n = counter.fetch_add(1, Ordering::SeqCst);
                    let (kind, status) = one(edge.port, n, &paths);
                    results.lock().unwrap().insert(n, (kind, status));
                }
            });
        }
        // Half-way, a burst of concurrent range requests for one object.
        scope.spawn(|| {
            thread::sleep(Duration::from_secs(seconds / 2));
            // Thousands in the long run; 500 in the 60-second one.
            let clients = if seconds >= 300 { 400 } else { 100 };
            thread::scope(|burst| {
                for _ in 0..clients {
                    burst.spawn(|| {
                        for _ in 0..5 {
                            let n = counter.fetch_add(1, Ordering::SeqCst);
                            let offset = n % 200_000;
                            let r = http::raw(
                                edge.port,
                                &request(
                                    "GET",
                                    LARGE,
                                    &format!("soak/{n}"),
                                    &format!("Range: bytes={offset}-{}\r\n", offset + 999),
                                ),
                            );
                            results.lock().unwrap().insert(n, (Kind::Range, r.status));
                        }
                    });
                }
            });
        });
    });
    let elapsed = started.elapsed();
    drop(loris);
    let results = results.into_inner().unwrap();
    let sent = results.len();

    let mut problems = Vec::new();
    let mut by_kind: HashMap<Kind, usize> = HashMap::new();
    for (n, (kind, status)) in &results {
        *by_kind.entry(*kind).or_default() += 1;
        let fine = match kind {
            Kind::Good => matches!(status, 200 | 206 | 304),
            Kind::Range => *status == 206,
            Kind::Bad => (400..500).contains(status),
            Kind::Injected => *status == 503,
            Kind::Aborted => true,
        };
        if !fine && problems.len() < 20 {
            problems.push(format!("request {n} ({kind:?}) got {status}"));
        }
    }
    let lines = wait_for_lines(&edge, sent);
    if lines != sent {
        problems.push(format!("{sent} requests but {lines} log lines"));
    }
    let rss_end = rss_kib(edge.pid());
    let growth_mib = rss_end.saturating_sub(rss_start) / 1024;
    if growth_mib > RSS_GROWTH_BOUND_MIB {
        problems.push(format!(
            "Viceroy RSS grew {growth_mib} MiB (bound {RSS_GROWTH_BOUND_MIB})"
        ));
    }
    println!(
        "soak: {sent} requests in {:.0} s ({:.0}/s): {} good, {} range, {} bad (4xx), {} injected 503, {} aborted mid-download; \
         {lines} log lines; 50 half-open connections held; Viceroy RSS {} -> {} MiB",
        elapsed.as_secs_f64(),
        sent as f64 / elapsed.as_secs_f64(),
        by_kind.get(&Kind::Good).unwrap_or(&0),
        by_kind.get(&Kind::Range).unwrap_or(&0),
        by_kind.get(&Kind::Bad).unwrap_or(&0),
        by_kind.get(&Kind::Injected).unwrap_or(&0),
        by_kind.get(&Kind::Aborted).unwrap_or(&0),
        rss_start / 1024,
        rss_end / 1024,
    );
    for p in &problems {
        println!("soak problem: {p}");
    }
    let failed = usize::from(!problems.is_empty());
    println!("soak: {} passed, {failed} failed", 1 - failed);
    if failed > 0 {
        std::process::exit(1);
    }
}

/// One request of the mix; returns its kind and status (0 if aborted).
fn one(port: u16, n: usize, paths: &[String]) -> (Kind, u16) {
    let ua = format!("soak/{n}");
    match n % 20 {
        0..=12 => {
            let path = &paths[n % paths.len()];
            let method = if n.is_multiple_of(3) { "HEAD" } else { "GET" };
            (
                Kind::Good,
                http::raw(port, &request(method, path, &ua, "")).status,
            )
        }
        13 | 14 => {
            let target = [
                "/release/../x",
                "/release/%2e%2e/x",
                "//release/stable.txt",
                "/release/",
            ][n % 4];
            (
                Kind::Bad,
                http::raw(port, &request("GET", target, &ua, "")).status,
            )
        }
        15 => (
            Kind::Bad,
            http::raw(
                port,
                &request("POST", "/release/stable.txt", &ua, "Content-Length: 0\r\n"),
            )
            .status,
        ),
        16 | 17 => (
            Kind::Injected,
            http::raw(port, &request("GET", "/faulty/kubectl", &ua, "")).status,
        ),
        _ => {
            // Read the start of a large download, then hang up.
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                let _ = s.write_all(&request("GET", LARGE, &ua, ""));
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf);
            }
            (Kind::Aborted, 0)
        }
    }
}

fn request(method: &str, target: &str, ua: &str, extra: &str) -> Vec<u8> {
    format!("{method} {target} HTTP/1.1\r\nHost: dl.k8s.io\r\nUser-Agent: {ua}\r\n{extra}Connection: close\r\n\r\n").into_bytes()
}

/// Counts request lines from soak clients, waiting up to a minute for the
/// expected number.
fn wait_for_lines(edge: &Edge, expected: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let count = edge
            .output()
            .lines()
            .filter(|l| l.starts_with("splunk :: ") && l.contains("\"user_agent\":\"soak/"))
            .count();
        if count >= expected || Instant::now() > deadline {
            return count;
        }
        thread::sleep(Duration::from_millis(200));
    }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

//! End-to-end tests: the release Wasm in Viceroy, in front of
//! fake-gcs-server seeded by scripts/seed-origin, hit by curl, wget and raw
//! sockets. `scripts/test` installs the tools and runs this with
//! `DL_EDGE_E2E=1`; without it, missing tools skip the run with a notice.
//!
//! Cases run one at a time so that what the origin saw can be attributed to
//! the request that caused it.

mod bad_input;
mod cli_serve;
mod config;
mod failover;
mod hostile;
mod install_flow;
mod layout;
mod logging;
mod private_bucket;
mod protocol;
mod shielding;

use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::thread;
use std::time::{Duration, Instant};

use dl_edge_testkit::http::{self, Response};
use dl_edge_testkit::proxy::Proxy;
use dl_edge_testkit::stack::{Edge, Origin, OriginHit, Tools};
use dl_edge_testkit::viceroy::ViceroyConfig;

/// What every case gets: the origin, the recording proxy in front of it,
/// an edge with the default config behind the proxy, and a scratch folder.
pub struct Ctx {
    pub root: PathBuf,
    pub work: PathBuf,
    pub tools: Tools,
    pub origin: Origin,
    pub proxy: Proxy,
    pub edge: Edge,
    /// The operator tool, to read the lines the service wrote as an
    /// operator would (`DL_EDGE_OPS`, which scripts/test builds).
    pub ops: PathBuf,
    /// The Fastly CLI scripts/test installs (`FASTLY_CLI`).
    pub fastly_cli: PathBuf,
}

impl Ctx {
    /// GET (or whatever `args` say) through the default edge with curl.
    pub fn curl(&self, path: &str, args: &[&str]) -> Response {
        http::curl(&self.work, self.edge.port, &self.edge.url(path), args)
    }

    /// Starts another edge with these Config Store items (a JSON object),
    /// its `gcs` backend the emulator itself.
    pub fn edge_with(&self, config: &str) -> Edge {
        self.start_edge(&ViceroyConfig::on_loopback(self.origin.port).config_json(config))
    }

    /// Starts another edge with this Viceroy config.
    pub fn start_edge(&self, config: &ViceroyConfig) -> Edge {
        Edge::start(&self.tools, &self.work, config)
    }

    /// Runs `request` and returns what the origin was asked meanwhile.
    ///
    /// A known-good sentinel request follows it through the same edge; once
    /// the sentinel shows up in the origin's log, every earlier hit has too.
    pub fn origin_hits_during<T>(
        &self,
        edge: &Edge,
        request: impl FnOnce() -> T,
    ) -> (T, Vec<OriginHit>) {
        let before = self.origin.hits().len();
        let result = request();
        let sentinel = format!("/release{SENTINEL_OBJECT}");
        let answer = http::curl(&self.work, edge.port, &edge.url(&sentinel), &["-I"]);
        assert_eq!(answer.status, 200, "sentinel request");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let hits = self.origin.hits();
            let is_sentinel =
                |h: &OriginHit| h.method == "HEAD" && h.uri.ends_with(SENTINEL_OBJECT);
            if let Some(pos) = hits[before..].iter().rposition(is_sentinel) {
                let mut during = hits[before..before + pos].to_vec();
                during.retain(|h| h.uri != "/");
                return (result, during);
            }
            assert!(
                Instant::now() < deadline,
                "the sentinel never reached the origin"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The object behind the sentinel request of [`Ctx::origin_hits_during`].
const SENTINEL_OBJECT: &str = "/v1.29.8/kubernetes-manifests.tar.gz";

type Case = (&'static str, fn(&Ctx));

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let ops = std::env::var_os("DL_EDGE_OPS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/debug/dl-edge-ops"));
    let fastly_cli = std::env::var_os("FASTLY_CLI")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            root.join(".tools/fastly-cli/node_modules/@fastly/cli-linux-x64/fastly")
        });
    let Some(tools) = Tools::for_suite(&root, "e2e", "scripts/test", &[&ops, &fastly_cli]) else {
        return;
    };
    let work = root.join("target/e2e-work");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("create target/e2e-work");
    let origin = Origin::start(&tools, &root, &work);
    let proxy = Proxy::start(origin.port);
    let edge = Edge::start(&tools, &work, &ViceroyConfig::on_loopback(proxy.port));
    let ctx = Ctx {
        root,
        work,
        tools,
        origin,
        proxy,
        edge,
        ops,
        fastly_cli,
    };
    let filter = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    let cases: Vec<Case> = [
        install_flow::CASES,
        layout::CASES,
        protocol::CASES,
        bad_input::CASES,
        config::CASES,
        logging::CASES,
        shielding::CASES,
        private_bucket::CASES,
        failover::CASES,
        hostile::CASES,
        cli_serve::CASES,
    ]
    .concat();
    let (mut passed, mut failed) = (0, 0);
    for (name, case) in cases {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| case(&ctx)));
        match outcome {
            Ok(()) => {
                passed += 1;
                println!("test {name} ... ok");
            }
            Err(_) => {
                failed += 1;
                println!("test {name} ... FAILED");
            }
        }
    }
    if failed > 0 {
        println!(
            "--- viceroy output (default edge) ---\n{}",
            tail(&ctx.edge.output(), 40)
        );
    }
    println!("\ne2e: {passed} passed, {failed} failed");
    drop(ctx);
    if failed > 0 {
        std::process::exit(1);
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

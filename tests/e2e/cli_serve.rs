//! The Fastly CLI's own local run: `fastly compute serve --env local`,
//! reading the `fastly.local.toml` the test kit renders (the text
//! `scripts/serve --fastly-cli` writes too) and running the pinned Viceroy
//! (`--viceroy-path`), serves the layout as Viceroy run directly does.

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dl_edge_testkit::http::curl;
use dl_edge_testkit::viceroy::ViceroyConfig;

use crate::Ctx;

pub const CASES: &[crate::Case] = &[("the_fastly_clis_own_local_run_serves_the_layout", cli_serve)];

/// Stops the CLI and the Viceroy it started (they share a process
/// group), and reaps the CLI.
struct Group(std::process::Child);

impl Drop for Group {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.wait();
    }
}

/// The CLI runs in the project folder: paths handed to it must not be
/// relative to ours.
fn absolute(path: &std::path::Path) -> std::path::PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn cli_serve(ctx: &Ctx) {
    let project = ctx.work.join("cli-project");
    std::fs::create_dir_all(project.join("home")).expect("create the CLI project");
    std::fs::write(
        project.join("fastly.local.toml"),
        ViceroyConfig::on_loopback(ctx.origin.port).render(),
    )
    .expect("write fastly.local.toml");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let log = std::fs::File::create(project.join("serve.log")).expect("the CLI's log");
    let _group = Group(
        Command::new(&ctx.fastly_cli)
            .current_dir(&project)
            .env("HOME", project.join("home"))
            .env("FASTLY_DISABLE_WASM_TOOLS", "1")
            .args(["compute", "serve", "--env", "local", "--non-interactive"])
            .arg("--file")
            .arg(absolute(&ctx.tools.wasm))
            .arg("--viceroy-path")
            .arg(absolute(&ctx.tools.viceroy))
            .arg("--addr")
            .arg(format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("the log, twice"))
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("run fastly compute serve"),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "fastly compute serve did not listen: {}",
            std::fs::read_to_string(project.join("serve.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let url = format!("http://dl.k8s.io:{port}/release/stable.txt");
    let r = curl(&ctx.work, port, &url, &[]);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        ctx.origin
            .object("kubernetes-release", "release/stable.txt")
    );
    assert_eq!(r.header("cache-control"), Some("public, max-age=60"));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = std::fs::read_to_string(project.join("serve.log")).unwrap_or_default();
        if out
            .lines()
            .any(|l| l.starts_with("splunk :: ") && l.contains("/release/stable.txt"))
        {
            break;
        }
        assert!(Instant::now() < deadline, "no request line in: {out}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

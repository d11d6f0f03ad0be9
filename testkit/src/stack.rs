//! The services under test: fake-gcs-server seeded with the sample layout,
//! and the release Wasm in Viceroy in front of it, configured by
//! [`ViceroyConfig`].

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::viceroy::ViceroyConfig;

/// Paths of the tools and the Wasm under test.
#[derive(Clone)]
pub struct Tools {
    pub viceroy: PathBuf,
    pub fake_gcs: PathBuf,
    pub wasm: PathBuf,
}

impl Tools {
    /// The tools for a test suite, plus `also` (files it needs besides),
    /// or `None` after saying why it is skipped. When `DL_EDGE_E2E` asks
    /// for the suite, a missing tool is a failure instead.
    pub fn for_suite(root: &Path, suite: &str, runner: &str, also: &[&Path]) -> Option<Tools> {
        let found = Tools::find(root).and_then(|tools| match also.iter().find(|p| !p.exists()) {
            None => Ok(tools),
            Some(missing) => Err(format!("{} is missing", missing.display())),
        });
        match found {
            Ok(tools) => Some(tools),
            Err(why) if std::env::var_os("DL_EDGE_E2E").is_none() => {
                println!("{suite}: skipped ({why}); {runner} installs the tools and runs it");
                None
            }
            Err(why) => {
                eprintln!("{suite}: cannot run: {why}");
                std::process::exit(1);
            }
        }
    }

    /// Finds the tools `scripts/test` installs; `None` with the reason if
    /// one is missing.
    pub fn find(root: &Path) -> Result<Tools, String> {
        let from_env = |var: &str| std::env::var_os(var).map(PathBuf::from);
        let viceroy = from_env("VICEROY").unwrap_or(root.join(".tools/viceroy/bin/viceroy"));
        let wasm = from_env("DL_EDGE_WASM")
            .unwrap_or(root.join("target/wasm32-wasip1/release/dl-edge.wasm"));
        let fake_gcs = from_env("FAKE_GCS").ok_or("FAKE_GCS is not set")?;
        for path in [&viceroy, &fake_gcs, &wasm] {
            if !path.exists() {
                return Err(format!("{} is missing", path.display()));
            }
        }
        Ok(Tools {
            viceroy,
            fake_gcs,
            wasm,
        })
    }
}

/// A child process that is killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The emulator, shared by every Viceroy instance of a run.
pub struct Origin {
    _process: Process,
    pub port: u16,
    pub data: PathBuf,
    log: PathBuf,
}

/// One access-log line of fake-gcs-server: what the origin was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginHit {
    pub method: String,
    /// The raw request URI, exactly as the edge sent it.
    pub uri: String,
    pub status: u16,
}

impl Origin {
    pub fn start(tools: &Tools, root: &Path, work: &Path) -> Origin {
        let data = work.join("origin-data");
        let seeded = Command::new(root.join("scripts/seed-origin"))
            .arg(&data)
            .stdout(Stdio::null())
            .status()
            .expect("run scripts/seed-origin");
        assert!(seeded.success(), "scripts/seed-origin failed");
        let port = free_port();
        let log = work.join("fake-gcs.log");
        let process = Process(
            Command::new(&tools.fake_gcs)
                .args([
                    "-scheme",
                    "http",
                    "-host",
                    "127.0.0.1",
                    "-backend",
                    "memory",
                ])
                .args(["-port", &port.to_string(), "-log-level", "info"])
                .arg("-data")
                .arg(&data)
                .stdout(Stdio::null())
                .stderr(fs::File::create(&log).expect("create emulator log"))
                .spawn()
                .expect("start fake-gcs-server"),
        );
        wait_for_port(port, "fake-gcs-server");
        Origin {
            _process: process,
            port,
            data,
            log,
        }
    }

    /// Every request the emulator has logged so far.
    pub fn hits(&self) -> Vec<OriginHit> {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        text.lines().filter_map(parse_access_line).collect()
    }

    /// Sets one metadata entry of an object through the emulator's JSON
    /// API, as `gsutil setmeta` would; GCS serves it as `x-goog-meta-<key>`.
    pub fn set_metadata(&self, bucket: &str, object: &str, key: &str, value: &str) {
        let body = serde_json::json!({ "metadata": { key: value } }).to_string();
        let name = object.replace('/', "%2F");
        let status = std::process::Command::new("curl")
            .args(["-s", "-f", "-o", "/dev/null", "-X", "PATCH"])
            .args(["-H", "Content-Type: application/json", "-d", &body])
            .arg(format!(
                "http://127.0.0.1:{}/storage/v1/b/{bucket}/o/{name}",
                self.port
            ))
            .status()
            .expect("run curl");
        assert!(
            status.success(),
            "set {key} on {bucket}/{object} in the emulator"
        );
    }

    /// Uploads an object through the emulator's JSON API, as `gsutil cp`
    /// would: for objects too large to keep among the seeded samples.
    pub fn upload(&self, bucket: &str, object: &str, bytes: &[u8]) {
        let file = self
            .data
            .with_file_name(format!("upload-{}", object.replace('/', "_")));
        fs::write(&file, bytes).expect("write the object to upload");
        let status = std::process::Command::new("curl")
            .args(["-s", "-f", "-o", "/dev/null", "-X", "POST"])
            .args(["-H", "Content-Type: application/octet-stream"])
            .arg("--data-binary")
            .arg(format!("@{}", file.display()))
            .arg(format!(
                "http://127.0.0.1:{}/upload/storage/v1/b/{bucket}/o?uploadType=media&name={}",
                self.port,
                object.replace('/', "%2F")
            ))
            .status()
            .expect("run curl");
        let _ = fs::remove_file(&file);
        assert!(status.success(), "upload {bucket}/{object} to the emulator");
    }

    /// The bytes of a seeded object.
    pub fn object(&self, bucket: &str, object: &str) -> Vec<u8> {
        fs::read(self.data.join(bucket).join(object))
            .unwrap_or_else(|e| panic!("seeded object {bucket}/{object}: {e}"))
    }
}

/// Parses `... msg="127.0.0.1 - - [..] \"GET /b/o HTTP/1.1\" 200 0\n"`.
fn parse_access_line(line: &str) -> Option<OriginHit> {
    let request = line.split("\\\"").nth(1)?;
    let mut parts = request.split(' ');
    let method = parts.next()?.to_owned();
    let uri = parts.next()?.to_owned();
    let after = line.split("\\\"").nth(2)?;
    let status = after.split_whitespace().next()?.parse().ok()?;
    Some(OriginHit {
        method,
        uri,
        status,
    })
}

/// The service log's default endpoint name (`service_log_endpoint`).
pub const SERVICE_LOG: &str = "dl_edge_service";

/// A Viceroy instance running the service with one config.
pub struct Edge {
    process: Process,
    pub port: u16,
    pub log: PathBuf,
}

static EDGE_COUNT: AtomicUsize = AtomicUsize::new(0);

impl Edge {
    /// Starts Viceroy running `tools.wasm` with `config`, writing the
    /// rendered config and Viceroy's output into `work`.
    pub fn start(tools: &Tools, work: &Path, config: &ViceroyConfig) -> Edge {
        let n = EDGE_COUNT.fetch_add(1, Ordering::SeqCst);
        let toml_path = work.join(format!("viceroy-{n}.toml"));
        fs::write(&toml_path, config.render()).expect("write viceroy config");
        let port = free_port();
        let log = work.join(format!("viceroy-{n}.log"));
        let out = fs::File::create(&log).expect("create viceroy log");
        let process = Process(
            Command::new(&tools.viceroy)
                .arg("serve")
                .arg("-C")
                .arg(&toml_path)
                .args(["--addr", &format!("127.0.0.1:{port}")])
                .arg(&tools.wasm)
                .stdout(out.try_clone().expect("clone log handle"))
                .stderr(out)
                .spawn()
                .expect("start viceroy"),
        );
        wait_for_port(port, "viceroy");
        Edge { process, port, log }
    }

    /// `http://dl.k8s.io:<port><path>`; clients resolve the name to loopback.
    pub fn url(&self, path: &str) -> String {
        format!("http://dl.k8s.io:{}{}", self.port, path)
    }

    /// The Viceroy process, for memory readings.
    pub fn pid(&self) -> u32 {
        self.process.0.id()
    }

    pub fn output(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The lines Viceroy printed for a log endpoint (`<endpoint> :: <line>`),
    /// parsed as JSON.
    pub fn log_lines(&self, endpoint: &str) -> Vec<serde_json::Value> {
        let prefix = format!("{endpoint} :: ");
        self.output()
            .lines()
            .filter_map(|l| l.strip_prefix(&prefix))
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("{endpoint} line is not JSON ({e}): {l}"))
            })
            .collect()
    }

    /// The service log's records: the `event` of each HEC line (the
    /// default form), or the line itself when it is bare.
    pub fn service_events(&self) -> Vec<serde_json::Value> {
        self.log_lines(SERVICE_LOG)
            .into_iter()
            .map(|line| match line.get("event") {
                Some(event) => event.clone(),
                None => line,
            })
            .collect()
    }

    /// Waits until the service log has at least `count` lines, then returns
    /// their records.
    pub fn wait_for_service_events(&self, count: usize) -> Vec<serde_json::Value> {
        self.wait_for_log_lines(SERVICE_LOG, count);
        self.service_events()
    }

    /// Waits until `endpoint` has at least `count` lines, then returns them.
    pub fn wait_for_log_lines(&self, endpoint: &str, count: usize) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let lines = self.log_lines(endpoint);
            if lines.len() >= count || Instant::now() > deadline {
                return lines;
            }
            thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Whether one of `events` (service-log events) has a message containing
/// `needle`.
pub fn mentions(events: &[serde_json::Value], needle: &str) -> bool {
    events
        .iter()
        .any(|e| e["message"].as_str().unwrap_or("").contains(needle))
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("find a free loopback port")
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        thread::sleep(Duration::from_millis(50));
    }
    panic!("{what} did not listen on 127.0.0.1:{port}");
}

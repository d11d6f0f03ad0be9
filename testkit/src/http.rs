//! Real HTTP clients: curl for ordinary requests, and a raw socket for
//! requests no well-behaved client would send.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A response as a client saw it.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Header names lowercased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn has_header(&self, name: &str) -> bool {
        self.header(name).is_some()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

static CURL_COUNT: AtomicUsize = AtomicUsize::new(0);

/// Runs curl against `url` (host `dl.k8s.io` and friends resolved to
/// loopback) with extra arguments such as `-I` or `-H`.
pub fn curl(work: &Path, port: u16, url: &str, args: &[&str]) -> Response {
    let n = CURL_COUNT.fetch_add(1, Ordering::SeqCst);
    let head_file = work.join(format!("curl-{n}.head"));
    let body_file = work.join(format!("curl-{n}.body"));
    let mut command = Command::new("curl");
    command.args(["-s", "-S", "--path-as-is", "--max-time", "30"]);
    for host in [
        "dl.k8s.io",
        "cdn.dl.k8s.io",
        "dl.k8s.dev",
        "unknown.example",
    ] {
        command.args(["--resolve", &format!("{host}:{port}:127.0.0.1")]);
    }
    command.arg("-D").arg(&head_file).arg("-o").arg(&body_file);
    command.args(args).arg(url);
    let output = command.output().expect("run curl");
    assert!(
        output.status.success(),
        "curl {url} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let head = std::fs::read_to_string(&head_file).expect("read curl headers");
    let body = std::fs::read(&body_file).unwrap_or_default();
    let _ = std::fs::remove_file(&head_file);
    let _ = std::fs::remove_file(&body_file);
    let (status, headers) = parse_head(&head);
    Response {
        status,
        headers,
        body,
    }
}

/// Sends raw bytes and reads the whole answer (the request should carry
/// `Connection: close`).
pub fn raw(port: u16, request: &[u8]) -> Response {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to viceroy");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("set timeout");
    // The server may answer and close before reading a huge request.
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP answer: {:?}", String::from_utf8_lossy(&answer)));
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let (status, headers) = parse_head(&head);
    let mut body = answer[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body,
    }
}

/// Parses the last header block (curl writes one per response it saw).
fn parse_head(head: &str) -> (u16, Vec<(String, String)>) {
    let block = head
        .split("\r\n\r\n")
        .filter(|b| b.starts_with("HTTP/"))
        .last()
        .unwrap_or_else(|| panic!("no status line in {head:?}"));
    let mut lines = block.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..end]);
        let size = usize::from_str_radix(size_text.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        out.extend_from_slice(&data[start..(start + size).min(data.len())]);
        data = &data[(start + size + 2).min(data.len())..];
    }
    out
}

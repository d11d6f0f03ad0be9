//! A small recording proxy between Viceroy and the emulator: it keeps the
//! head of every origin request (request line and headers), which the
//! emulator's access log does not show, and forwards the bytes unchanged
//! apart from `Connection: close`, so each connection carries one request.
//! A gated proxy refuses what its gate does not pass; [`start_faulty`]
//! starts an origin that fails on purpose.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

/// The head of one request the proxy forwarded.
#[derive(Debug, Clone)]
pub struct RequestHead {
    pub line: String,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
}

impl RequestHead {
    /// Viceroy sends `GET /` to every backend when it starts.
    pub fn is_startup_probe(&self) -> bool {
        self.line == "GET / HTTP/1.1"
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub struct Proxy {
    pub port: u16,
    seen: Arc<Mutex<Vec<RequestHead>>>,
}

/// Whether a gated proxy forwards a request; see [`Proxy::start_gated`].
pub type Gate = Arc<dyn Fn(&RequestHead) -> bool + Send + Sync>;

impl Proxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    pub fn start(upstream: u16) -> Proxy {
        Proxy::start_with(upstream, None, None)
    }

    /// A proxy that adds one header line (`age: 25`) to every answer, as a
    /// cache in front of the origin would.
    pub fn start_adding(upstream: u16, header: &'static str) -> Proxy {
        Proxy::start_with(upstream, None, Some(header))
    }

    /// A proxy that answers 403 `SignatureDoesNotMatch` itself, without
    /// forwarding, unless `gate` passes the request (Viceroy's start-up
    /// probe always passes). The end-to-end tests check SigV4 signatures
    /// with it, as GCS's S3-compatible API would.
    pub fn start_gated(
        upstream: u16,
        gate: impl Fn(&RequestHead) -> bool + Send + Sync + 'static,
    ) -> Proxy {
        Proxy::start_with(upstream, Some(Arc::new(gate)), None)
    }

    fn start_with(upstream: u16, gate: Option<Gate>, add: Option<&'static str>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                let log = Arc::clone(&log);
                let gate = gate.clone();
                thread::spawn(move || {
                    let _ = forward(client, upstream, &log, gate.as_ref(), add);
                });
            }
        });
        Proxy { port, seen }
    }

    /// Every request head forwarded so far.
    pub fn seen(&self) -> Vec<RequestHead> {
        self.seen.lock().expect("proxy log").clone()
    }

    /// The requests the service made, without Viceroy's start-up probe.
    pub fn requests(&self) -> Vec<RequestHead> {
        let mut seen = self.seen();
        seen.retain(|h| !h.is_startup_probe());
        seen
    }
}

fn forward(
    mut client: TcpStream,
    upstream: u16,
    log: &Mutex<Vec<RequestHead>>,
    gate: Option<&Gate>,
    add: Option<&str>,
) -> io::Result<()> {
    let head = read_head(&mut client)?;
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let line = lines.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut rewritten = format!("{line}\r\n");
    for (name, value) in headers.iter().filter(|(n, _)| n != "connection") {
        rewritten.push_str(&format!("{name}: {value}\r\n"));
    }
    rewritten.push_str("connection: close\r\n\r\n");
    let head = RequestHead { line, headers };
    let refused = gate.is_some_and(|passes| !head.is_startup_probe() && !passes(&head));
    log.lock().expect("proxy log").push(head);
    if refused {
        let body = "<Error><Code>SignatureDoesNotMatch</Code></Error>";
        let reply = format!(
            "HTTP/1.1 403 Forbidden\r\ncontent-type: application/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        client.write_all(reply.as_bytes())?;
        return client.shutdown(Shutdown::Both);
    }
    let mut server = TcpStream::connect(("127.0.0.1", upstream))?;
    server.write_all(rewritten.as_bytes())?;
    let mut reply = Vec::new();
    server.read_to_end(&mut reply)?;
    if let (Some(header), Some(end)) = (add, reply.windows(2).position(|w| w == b"\r\n")) {
        let line = format!("\r\n{header}");
        reply.splice(end..end, line.into_bytes());
    }
    client.write_all(&reply)?;
    client.shutdown(Shutdown::Both)
}

/// Reads up to the blank line that ends a request head (origin requests
/// carry no body).
fn read_head(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            break;
        }
        head.push(byte[0]);
    }
    head.truncate(head.len().saturating_sub(4));
    Ok(head)
}

/// A broken origin for failover tests.
#[derive(Clone, Copy)]
pub enum Fault {
    /// Answers every request with 503.
    Unavailable,
    /// Reads the request and never answers (until the connection is
    /// dropped after a minute).
    Stall,
}

/// Starts a listener that misbehaves as `fault` says; returns its port and
/// a counter of the requests it received.
pub fn start_faulty(fault: Fault) -> (u16, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the faulty origin");
    let port = listener.local_addr().expect("faulty origin address").port();
    let count = Arc::new(Mutex::new(0));
    let seen = Arc::clone(&count);
    thread::spawn(move || {
        for mut client in listener.incoming().map_while(Result::ok) {
            let seen = Arc::clone(&seen);
            thread::spawn(move || {
                let Ok(head) = read_head(&mut client) else {
                    return;
                };
                if !head.starts_with(b"GET / ") {
                    *seen.lock().expect("fault counter") += 1;
                }
                match fault {
                    Fault::Unavailable => {
                        let body = "backend error";
                        let _ = client.write_all(
                            format!("HTTP/1.1 503 Service Unavailable\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len())
                                .as_bytes(),
                        );
                    }
                    Fault::Stall => thread::sleep(std::time::Duration::from_secs(60)),
                }
            });
        }
    });
    (port, count)
}

//! A small recording proxy between Viceroy and the emulator: it keeps the
//! head of every origin request (request line and headers), which the
//! emulator's access log does not show, and forwards the bytes unchanged
//! apart from `Connection: close`, so each connection carries one request.

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

impl Proxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    pub fn start(upstream: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                let log = Arc::clone(&log);
                thread::spawn(move || {
                    let _ = forward(client, upstream, &log);
                });
            }
        });
        Proxy { port, seen }
    }

    /// Every request head forwarded so far.
    pub fn seen(&self) -> Vec<RequestHead> {
        self.seen.lock().expect("proxy log").clone()
    }
}

fn forward(mut client: TcpStream, upstream: u16, log: &Mutex<Vec<RequestHead>>) -> io::Result<()> {
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
    log.lock()
        .expect("proxy log")
        .push(RequestHead { line, headers });
    let mut server = TcpStream::connect(("127.0.0.1", upstream))?;
    server.write_all(rewritten.as_bytes())?;
    let mut reply = Vec::new();
    server.read_to_end(&mut reply)?;
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

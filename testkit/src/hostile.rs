//! A misbehaving origin: a real HTTP server that answers each path with
//! one way an origin, or a proxy in front of one, can go wrong. No tool
//! does this on demand, so the tests carry this small one.
//!
//! The object name picks the misbehaviour: a request whose path ends in
//! `/hostile/<case>` gets that case's answer; anything else (Viceroy's
//! start-up probe included) a plain 200.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

/// Every case the server knows, by the name the path ends with.
pub const CASES: [&str; 10] = [
    "bad-header-bytes",
    "many-headers",
    "short-body",
    "short-small-body",
    "gzip-error",
    "redirect",
    "age",
    "hop-by-hop",
    "stall",
    "reset",
];

/// The body every well-framed answer carries.
pub const BODY: &[u8] = b"hostile origin body\n";

/// Starts the server on a free loopback port and returns the port.
pub fn start() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the hostile origin");
    let port = listener
        .local_addr()
        .expect("hostile origin address")
        .port();
    thread::spawn(move || {
        for client in listener.incoming().map_while(Result::ok) {
            thread::spawn(move || {
                let _ = answer(client);
            });
        }
    });
    port
}

fn answer(mut client: TcpStream) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte)? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let line = String::from_utf8_lossy(&head);
    let path = line.split(' ').nth(1).unwrap_or("/");
    let case = path
        .rsplit_once("/hostile/")
        .map_or("", |(_, case)| case.split(['?', ' ']).next().unwrap_or(""));
    let ok = |extra: &[u8]| -> Vec<u8> {
        let mut reply = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n",
            BODY.len()
        )
        .into_bytes();
        reply.extend_from_slice(extra);
        reply.extend_from_slice(b"\r\n");
        reply.extend_from_slice(BODY);
        reply
    };
    match case {
        "bad-header-bytes" => {
            client.write_all(&ok(
                b"etag: \"\xff\xfe\"\r\nlast-modified: \xff\r\nx-goog-meta-surrogate-key: k\xffey\r\n",
            ))?;
        }
        "many-headers" => {
            let many: String = (0..90).map(|i| format!("x-extra-{i}: {i}\r\n")).collect();
            client.write_all(&ok(many.as_bytes()))?;
        }
        "short-body" => {
            client.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 100000\r\nconnection: close\r\n\r\nthirteen byte",
            )?;
        }
        "short-small-body" => {
            // Small enough for the edge to read whole before it answers.
            client.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2000\r\nconnection: close\r\n\r\nthirteen byte",
            )?;
        }
        "gzip-error" => {
            // Gzip of "<Error>NoSuchKey in kubernetes-release</Error>".
            let gzip: &[u8] = &[
                0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xb3, 0x71, 0x2d, 0x2a,
                0xca, 0x2f, 0xb2, 0xf3, 0xcb, 0x0f, 0x2e, 0x4d, 0xce, 0xf0, 0x4e, 0xad, 0x54, 0xc8,
                0xcc, 0x53, 0xc8, 0x2e, 0x4d, 0x4a, 0x2d, 0xca, 0x4b, 0x2d, 0x49, 0x2d, 0xd6, 0x2d,
                0x4a, 0xcd, 0x49, 0x4d, 0x2c, 0x4e, 0xb5, 0xd1, 0x87, 0x28, 0x03, 0x00, 0xfa, 0x24,
                0x24, 0x59, 0x2e, 0x00, 0x00, 0x00,
            ];
            let mut reply = format!(
                "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/xml\r\ncontent-encoding: gzip\r\ncontent-range: bytes 0-61/62\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                gzip.len()
            )
            .into_bytes();
            reply.extend_from_slice(gzip);
            client.write_all(&reply)?;
        }
        "redirect" => {
            let body = b"<a href=\"https://storage.googleapis.com/kubernetes-release/x\">moved</a>";
            let mut reply = format!(
                "HTTP/1.1 302 Found\r\nlocation: https://storage.googleapis.com/kubernetes-release/x\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            )
            .into_bytes();
            reply.extend_from_slice(body);
            client.write_all(&reply)?;
        }
        "age" => client.write_all(&ok(b"age: 99999\r\n"))?,
        "hop-by-hop" => client.write_all(&ok(
            b"keep-alive: timeout=5\r\nupgrade: h2c\r\ntrailer: x-checksum\r\nproxy-authenticate: Basic\r\nwww-authenticate: Basic realm=\"bucket\"\r\nset-cookie: session=1\r\nrefresh: 0; url=https://evil.example/\r\ncontent-disposition: attachment; filename=\"evil.sh\"\r\nx-amz-request-id: abc\r\n",
        ))?,
        "stall" => thread::sleep(Duration::from_secs(20)),
        "reset" => {
            let mut reply = b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: 1000000\r\nconnection: close\r\n\r\n".to_vec();
            reply.extend(std::iter::repeat_n(b'x', 4096));
            client.write_all(&reply)?;
            client.flush()?;
            thread::sleep(Duration::from_millis(100));
            // SO_LINGER 0 would send a reset; closing both ways mid-body
            // is what an origin that dies looks like to its client.
            client.shutdown(Shutdown::Both)?;
        }
        _ => client.write_all(&ok(b""))?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(port: u16, path: &str) -> Vec<u8> {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes())
            .unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        out
    }

    #[test]
    fn each_case_misbehaves_as_named() {
        let port = start();
        let bad = get(port, "/kubernetes-release/release/hostile/bad-header-bytes");
        assert!(bad.windows(2).any(|w| w == b"\xff\xfe"));
        let short = get(port, "/b/hostile/short-body");
        assert!(short.ends_with(b"thirteen byte"));
        assert!(
            String::from_utf8_lossy(&get(port, "/b/hostile/redirect")).starts_with("HTTP/1.1 302")
        );
        let plain = get(port, "/");
        assert!(plain.ends_with(BODY));
        assert_eq!(CASES.len(), 10);
    }
}

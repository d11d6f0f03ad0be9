//! Sends the response to the client, counting the bytes that go out.

use std::io::{self, Read, Write};

use fastly::http::FramingHeadersMode;
use fastly::Response;

/// What reached the client.
pub struct Delivered {
    pub bytes: u64,
    /// Why the body stopped short, if it did.
    pub error: Option<String>,
}

/// Streams the body through a fixed buffer, so nothing is held in memory and
/// the log can say how many bytes were sent. A response with a
/// `Content-Length` keeps it (streaming would otherwise turn it into
/// chunked encoding, and HEAD would lose it: product rule 4).
pub fn deliver(mut response: Response, head: bool) -> Delivered {
    if response.contains_header("content-length") {
        response.set_framing_headers_mode(FramingHeadersMode::ManuallyFromHeaders);
    }
    let mut body = response.take_body();
    let mut out = response.stream_to_client();
    let mut bytes = 0u64;
    let mut error = None;
    if !head {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    error = Some(format!("origin body failed: {e}"));
                    break;
                }
            };
            if let Err(e) = out.write_all(&buf[..n]) {
                error = Some(format!("client write failed: {e}"));
                break;
            }
            bytes += n as u64;
        }
    }
    if let Err(e) = out.finish() {
        error.get_or_insert(format!("client write failed: {e}"));
    }
    Delivered { bytes, error }
}

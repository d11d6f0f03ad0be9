//! Sends the response to the client and says how many body bytes it
//! carried.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use fastly::http::FramingHeadersMode;
use fastly::Response;

/// The client's response went out: a panic after this cannot answer it
/// (the panic hook in `logging` reads it).
pub static RESPONSE_SENT: AtomicBool = AtomicBool::new(false);

/// What was handed to the client.
pub struct Delivered {
    pub bytes: u64,
    /// Why the body stopped short, if it did.
    pub error: Option<String>,
}

/// Sends the response. With a `Content-Length` (edge answers and origin
/// responses almost always have one; `length` is its value) the platform
/// copies the body itself and the length is what was sent: the fast path, measured in
/// docs/performance.md at several times the throughput of streaming the
/// body through the Wasm instance under Viceroy. The length is kept by
/// manual framing (product rule 4: HEAD must keep it). A body of unknown
/// length is streamed through a small buffer and counted.
pub fn deliver(mut response: Response, head: bool, length: Option<u64>) -> Delivered {
    RESPONSE_SENT.store(true, Ordering::SeqCst);
    if let Some(length) = length {
        response.set_framing_headers_mode(FramingHeadersMode::ManuallyFromHeaders);
        response.send_to_client();
        return Delivered {
            bytes: if head { 0 } else { length },
            error: None,
        };
    }
    if matches!(response.get_status().as_u16(), 204 | 304) {
        response.send_to_client();
        return Delivered {
            bytes: 0,
            error: None,
        };
    }
    let mut body = response.take_body();
    let mut out = response.stream_to_client();
    let (bytes, mut error) = if head {
        (0, None)
    } else {
        copy_counted(&mut body, &mut out)
    };
    if let Err(e) = out.finish() {
        error.get_or_insert(format!("client write failed: {e}"));
    }
    Delivered { bytes, error }
}

/// Copies the body through a small buffer, counting what was written.
fn copy_counted(body: &mut impl Read, out: &mut impl Write) -> (u64, Option<String>) {
    let mut buf = vec![0u8; 16 * 1024];
    let mut bytes = 0u64;
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => return (bytes, None),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return (bytes, Some(format!("origin body failed: {e}"))),
        };
        if let Err(e) = out.write_all(&buf[..n]) {
            return (bytes, Some(format!("client write failed: {e}")));
        }
        bytes += n as u64;
    }
}

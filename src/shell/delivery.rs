//! Sends the response to the client and says how many body bytes really
//! left, and whose side cut the body short if it stopped early.

use std::sync::atomic::{AtomicBool, Ordering};

use dl_edge::telemetry::delivery::{copy_counted, fill, short_body, Cut};
use fastly::http::FramingHeadersMode;
use fastly::{Body, Response};

/// The client's response went out: a panic after this cannot answer it
/// (the panic hook in `logging` reads it).
pub static RESPONSE_SENT: AtomicBool = AtomicBool::new(false);

/// The largest read buffer for a streamed body. A read returns at most
/// what the platform has at hand, so a large buffer only means fewer host
/// calls on a fast origin. Fresh Wasm memory is zero already, so a buffer
/// is only paid for in the pages reads really touch. docs/performance.md
/// has the 256 MiB figure with it.
const MAX_BUFFER: usize = 2 * 1024 * 1024;

/// A fetched body up to this length is read whole before the response
/// goes: one send instead of a stream, write and finish (measured faster
/// for the 4 KiB object in docs/performance.md), and the client's bytes
/// are all handed over at once, so there is no reset to count.
const READ_WHOLE_MAX: u64 = 64 * 1024;

/// What was handed to the client.
pub struct Delivered {
    /// Body bytes the platform accepted for the client.
    pub bytes: u64,
    /// Why the body stopped short, and whose side cut it, if it did.
    pub cut: Option<(Cut, String)>,
}

/// Where the response body comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Made here (a rejection or a preflight): the guest holds every
    /// byte, so the platform sends it in one call.
    Edge,
    /// Fetched (origin or shield): copied through the instance and
    /// counted, so a client reset or an origin's short body shows in
    /// the log as what it is.
    Fetched,
}

/// Sends the response. A `Content-Length` (`length`) is kept by manual
/// framing (product rule 4: HEAD must keep it), and a fetched body that
/// does not reach it is cut, never finished, so the client sees an
/// incomplete response rather than a short file that looks whole.
pub fn deliver(
    mut response: Response,
    source: Source,
    head: bool,
    length: Option<u64>,
) -> Delivered {
    RESPONSE_SENT.store(true, Ordering::SeqCst);
    if length.is_some() {
        response.set_framing_headers_mode(FramingHeadersMode::ManuallyFromHeaders);
    }
    let bodiless = head || matches!(response.get_status().as_u16(), 204 | 304);
    if bodiless || source == Source::Edge {
        response.send_to_client();
        let bytes = if bodiless { 0 } else { length.unwrap_or(0) };
        return Delivered { bytes, cut: None };
    }
    let body = response.take_body();
    match length {
        Some(len) if len <= READ_WHOLE_MAX => read_whole(response, body, len),
        _ => stream(body, response.stream_to_client(), length),
    }
}

/// Reads a small fetched body whole, then sends it. A short one goes out
/// as it came, under its `Content-Length`, so the client sees an
/// incomplete response, as from a stream.
fn read_whole(mut response: Response, mut body: Body, len: u64) -> Delivered {
    let mut buf = vec![0u8; len as usize];
    let (got, mut cut) = fill(&mut body, &mut buf);
    if cut.is_none() && got < buf.len() {
        cut = Some((Cut::Origin, short_body(got as u64, len)));
    }
    buf.truncate(got);
    response.set_body(buf);
    response.send_to_client();
    Delivered {
        bytes: got as u64,
        cut,
    }
}

/// Copies a fetched body to the client, counting the bytes the platform
/// took.
fn stream(
    mut body: Body,
    mut out: fastly::http::body::StreamingBody,
    length: Option<u64>,
) -> Delivered {
    let size = length.map_or(64 * 1024, |l| l.clamp(1, MAX_BUFFER as u64) as usize);
    let mut buf = vec![0u8; size];
    let (bytes, mut cut) = copy_counted(&mut body, &mut out, &mut buf);
    if cut.is_none() {
        if let Some(expected) = length.filter(|&l| l != bytes) {
            cut = Some((Cut::Origin, short_body(bytes, expected)));
        }
    }
    match &cut {
        // Finishing a cut body would close a chunked response cleanly,
        // and the client would keep a short file as if it were whole.
        Some(_) => {
            let _ = out.abandon();
        }
        None => {
            if let Err(e) = out.finish() {
                cut = Some((Cut::Client, format!("client write failed: {e}")));
            }
        }
    }
    Delivered { bytes, cut }
}

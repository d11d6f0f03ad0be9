//! Sends the response to the client and says how many body bytes really
//! left, and whose side cut the body short if it stopped early.

use std::sync::atomic::{AtomicBool, Ordering};

use dl_edge::telemetry::delivery::{
    copy_counted, read_exactly, stream_buffer, Cut, CutShort, READ_WHOLE_MAX,
};
use fastly::handle::{BodyHandle, ResponseHandle, StreamingBodyHandle};

use super::answer::{Answer, AnswerBody};

/// The client's response went out: a panic after this cannot answer it
/// (the panic hook in `logging` reads it).
pub static RESPONSE_SENT: AtomicBool = AtomicBool::new(false);

/// How long a cut stream waits for what it was given to leave before it
/// is abandoned.
const CUT_PAUSE_MS: u64 = 20;

/// What was handed to the client.
pub struct Delivered {
    /// The `Content-Length` the answer was sent with, if it had one.
    pub length: Option<u64>,
    /// Body bytes the platform accepted for the client.
    pub bytes: u64,
    /// Why the body stopped short, and whose side cut it, if it did.
    pub cut: Option<CutShort>,
    /// The status of the answer sent instead of the one planned, if the
    /// body turned out short before anything was sent (`length` is then
    /// that answer's).
    pub replaced: Option<u16>,
}

/// Sends the answer. Its `Content-Length` is kept by manual framing
/// (product rule 4: HEAD must keep it), and a fetched body that does not
/// reach it is cut, never finished, so the client sees an incomplete
/// response rather than a short file that looks whole.
// Its own stack frame: see `shell` on stack depth.
#[inline(never)]
pub fn deliver(answer: Answer, head: bool) -> Delivered {
    RESPONSE_SENT.store(true, Ordering::SeqCst);
    let length = answer.content_length();
    let bodiless = head || matches!(answer.status, 204 | 304);
    let response = answer.head(length.is_some());
    let body = match answer.body {
        _ if bodiless => None,
        AnswerBody::Empty => None,
        AnswerBody::Text(text) => Some(BodyHandle::from(&*text)),
        AnswerBody::Fetched(body) => {
            return match length {
                Some(len) if len <= READ_WHOLE_MAX => read_whole(response, body, len),
                _ => {
                    let out = response.stream_to_client(BodyHandle::new());
                    stream(body, out, length)
                }
            };
        }
    };
    let bytes = if body.is_some() {
        length.unwrap_or(0)
    } else {
        0
    };
    response.send_to_client(body.unwrap_or_else(BodyHandle::new));
    Delivered {
        length,
        bytes,
        cut: None,
        replaced: None,
    }
}

/// Reads a small fetched body whole, then sends it. One that comes up
/// short is known to be before anything is sent, so the client gets a
/// clear 502 instead of a response that stalls short of its length.
fn read_whole(response: ResponseHandle, mut body: BodyHandle, len: u64) -> Delivered {
    match read_exactly(&mut body, len as usize) {
        Ok(buf) => {
            response.send_to_client(BodyHandle::from(buf));
            Delivered {
                length: Some(len),
                bytes: len,
                cut: None,
                replaced: None,
            }
        }
        Err(cut) => {
            // Nothing was sent yet: this head is dropped unsent.
            drop(response);
            let bytes = INCOMPLETE.len() as u64;
            deliver(super::origin::edge_error(502, INCOMPLETE), false);
            Delivered {
                length: Some(bytes),
                bytes,
                cut: Some(cut),
                replaced: Some(502),
            }
        }
    }
}

/// The answer to a small object the origin sent incomplete.
const INCOMPLETE: &str = "bad gateway: the origin sent an incomplete object, try again\n";

/// Copies a fetched body to the client, counting the bytes the platform
/// took.
fn stream(mut body: BodyHandle, mut out: StreamingBodyHandle, length: Option<u64>) -> Delivered {
    let mut buf = stream_buffer(length);
    let (bytes, mut cut) = copy_counted(&mut body, &mut out, &mut buf, length);
    match &cut {
        // Finishing a cut body would close a chunked response cleanly,
        // and the client would keep a short file as if it were whole.
        // Abandoning it at once can cut the connection before the bytes
        // already handed over (the status line among them) leave: under
        // Viceroy 6 of 100 clients got no answer at all. A short pause,
        // on this failure path only, lets them go first.
        Some(_) => {
            if bytes > 0 {
                std::thread::sleep(std::time::Duration::from_millis(CUT_PAUSE_MS));
            }
            let _ = out.abandon();
        }
        None => {
            if let Err(e) = out.finish() {
                cut = Some((Cut::Client, format!("client write failed: {e}")));
            }
        }
    }
    Delivered {
        length,
        bytes,
        cut,
        replaced: None,
    }
}

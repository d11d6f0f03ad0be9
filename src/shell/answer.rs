//! The client's response: made in the guest, and handed to the host in one
//! go when `delivery` sends it.
//!
//! `fastly::Response` parses each header name into a map entry of its own
//! (two `Rc`s and a hash each) and wraps every body in a reader and a
//! writer with 8 KiB buffers of their own. The service's responses need
//! none of that: their header names are known, each is set once, and the
//! body is either text the edge wrote or the origin's body handle, passed
//! on (docs/performance.md).

use std::borrow::Cow;

use fastly::handle::{BodyHandle, ResponseHandle};
use fastly::http::{FramingHeadersMode, StatusCode};

use dl_edge::primitives::headers::is_text;

use super::headers::set_value;

/// A response to the client, not yet sent.
pub struct Answer {
    pub status: u16,
    headers: Vec<(&'static str, Cow<'static, str>)>,
    pub body: AnswerBody,
}

/// What the client's body is made of.
pub enum AnswerBody {
    /// Text the edge wrote: an error, a rejection.
    Text(Cow<'static, str>),
    /// The origin's (or shield's) body.
    Fetched(BodyHandle),
    /// None: a 304, a preflight, an answer to be fetched again.
    Empty,
}

impl Answer {
    pub fn new(status: u16, body: AnswerBody) -> Answer {
        Answer {
            status,
            // Room for a fetched object's: the origin's kept ones and the
            // edge's own, so the list is not regrown on the way.
            headers: Vec::with_capacity(16),
            body,
        }
    }

    /// A short text of the edge's own, with `headers` and its length.
    pub fn text(
        status: u16,
        headers: &[(&'static str, &'static str)],
        body: impl Into<Cow<'static, str>>,
    ) -> Answer {
        let body = body.into();
        let mut answer = Answer::new(status, AnswerBody::Empty);
        for &(name, value) in headers {
            answer.append(name, value);
        }
        if !body.is_empty() {
            answer.append("content-length", body.len().to_string());
            answer.body = AnswerBody::Text(body);
        }
        answer
    }

    /// Adds a value of `name`. A value that is not a valid field value
    /// (visible ASCII, spaces and tabs) is left out, where `fastly`'s
    /// header map would have panicked on it.
    pub fn append(&mut self, name: &'static str, value: impl Into<Cow<'static, str>>) {
        let value = value.into();
        if is_text(value.as_bytes()) {
            self.headers.push((name, value));
        }
    }

    /// Sets `name` to `value`, replacing any value it had.
    pub fn set(&mut self, name: &'static str, value: impl Into<Cow<'static, str>>) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.append(name, value);
    }

    /// The first value of `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }

    /// The body's length as its `Content-Length` says.
    pub fn content_length(&self) -> Option<u64> {
        self.header("content-length")
            .and_then(|v| v.trim().parse().ok())
    }

    /// The status and headers written into a new response handle: one
    /// host call each. With `manual_framing` the host keeps the
    /// `Content-Length` set here, as a HEAD's answer needs.
    pub fn head(&self, manual_framing: bool) -> ResponseHandle {
        let mut handle = ResponseHandle::new();
        handle.set_status(StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_GATEWAY));
        let id = handle.as_u32();
        for (name, value) in &self.headers {
            // The host refuses only an invalid name or value, and
            // `append` lets neither in.
            let _ = set_value(id, fastly_sys::fastly_http_resp::header_append, name, value);
        }
        if manual_framing {
            handle.set_framing_headers_mode(FramingHeadersMode::ManuallyFromHeaders);
        }
        handle
    }
}

//! Requests to a backend (a GCS bucket or a shield POP), made on their
//! handles, and their answers read back from handles.
//!
//! `fastly::Request` parses the URL with the `url` crate, keeps each
//! header in a map entry of its own, sets every request option with a host
//! call of its own, and keeps the whole request beside the answer it got;
//! `fastly::Response` wraps the answer in a header map and a buffered
//! body. The service builds its backend requests from a host, a path and
//! a few headers it knows are valid, and reads the answer once, so it
//! makes both on the handles: one host call per part, no copies kept
//! (docs/performance.md).
//!
//! The HTTP cache's after-send hook needs `fastly::Request`; the request
//! built here becomes one with [`fastly::Request::from_handles`] for that send
//! only (see `origin::send_hooked`).

use fastly::handle::{BodyHandle, CacheOverride, RequestHandle, ResponseHandle};
use fastly::http::Method;
use fastly::Backend;
use fastly_shared::FastlyStatus;

use super::headers::set_value;

/// Builds a request for `https://{host}{path}` with `headers`, on a new
/// handle. `Err` names the part the host refused: a request missing a
/// part must not be sent.
pub fn request<'a>(
    method: &Method,
    host: &'a str,
    path: &str,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<RequestHandle, String> {
    let handle = RequestHandle::new();
    let id = handle.as_u32();
    let method = method.as_str();
    let url = ["https://", host, path].concat();
    // SAFETY (both calls): each slice is valid for its length, and the
    // host only reads it.
    let set = unsafe { fastly_sys::fastly_http_req::method_set(id, method.as_ptr(), method.len()) };
    refused(set, "method", method)?;
    let set = unsafe { fastly_sys::fastly_http_req::uri_set(id, url.as_ptr(), url.len()) };
    refused(set, "URL", &url)?;
    for (name, value) in [("host", host)].into_iter().chain(headers) {
        let set = set_value(id, fastly_sys::fastly_http_req::header_insert, name, value);
        refused(set, name, value)?;
    }
    Ok(handle)
}

/// `Err` saying which part of a backend request the host refused.
fn refused(status: FastlyStatus, part: &str, value: &str) -> Result<(), String> {
    if status.is_ok() {
        Ok(())
    } else {
        Err(format!(
            "the host refused the request's {part} {value:?} ({status:?})"
        ))
    }
}

/// A backend's answer.
pub enum Received {
    /// On its handles: how every answer comes without the HTTP cache, and
    /// a fresh one with it.
    Handles {
        status: u16,
        response: ResponseHandle,
        body: BodyHandle,
    },
    /// A stale hit from the HTTP cache, kept whole: `fastly` runs the
    /// stale-while-revalidate refresh it started when the response is
    /// dropped, which must wait until the client has its answer.
    Stale(Box<fastly::Response>),
}

impl Received {
    /// The answer's status.
    pub fn status(&self) -> u16 {
        match self {
            Received::Handles { status, .. } => *status,
            Received::Stale(response) => response.get_status().as_u16(),
        }
    }

    /// The answer to a hooked send, on its handles unless it is a stale
    /// hit: `get_ttl` is `Some(0)` exactly for a stale cached response.
    pub fn of(response: fastly::Response) -> Received {
        if response.get_ttl() == Some(std::time::Duration::ZERO) {
            return Received::Stale(Box::new(response));
        }
        let status = response.get_status().as_u16();
        let (response, body) = response.into_handles();
        Received::Handles {
            status,
            response,
            body,
        }
    }
}

/// Sends without the cache (a pass): the request's handle and an empty
/// body straight to the host. `Err` is why no answer came.
pub fn send_uncached(mut request: RequestHandle, backend: &Backend) -> Result<Received, String> {
    request.set_cache_override(&CacheOverride::Pass);
    let (response, body) = request
        .send_to_backend(BodyHandle::new(), backend)
        .map_err(|cause| format!("{cause:?}"))?;
    let mut status = 0;
    // SAFETY: `status` is writable; the host writes a u16 into it.
    let read = unsafe { fastly_sys::fastly_http_resp::status_get(response.as_u32(), &mut status) };
    if !read.is_ok() {
        return Err(format!(
            "the host could not read the answer's status ({read:?})"
        ));
    }
    Ok(Received::Handles {
        status,
        response,
        body,
    })
}

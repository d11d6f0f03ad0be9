//! The client request, with its raw request target.

use std::borrow::Cow;
use std::net::IpAddr;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use dl_edge::decision::RequestView;
use dl_edge::locality::Geo;
use dl_edge::locality::{self, Locality};
use dl_edge::primitives::headers::Headers;
use dl_edge::request::conditional::Conditions;
use dl_edge::telemetry::record::RequestMeta;
use fastly::handle::{client_request_and_body, RequestHandle};
use fastly::http::Method;

use super::headers::{self, read_one};

/// The client request and what the core needs from it, lent from the
/// URI and headers as the host gave them (no value is copied).
pub struct ClientRequest {
    /// Kept open for [`ClientRequest::offers_http_cache`].
    handle: RequestHandle,
    pub started: Instant,
    start_unix_nanos: u64,
    id: String,
    protocol: Cow<'static, str>,
    client_ip: Option<IpAddr>,
    geo: Option<Geo<'static>>,
    /// `None` if the host could not give it: a method the service does
    /// not answer (405).
    method: Option<Method>,
    /// The request URI as received (see [`raw_uri`]).
    uri: String,
    headers: Headers,
}

impl ClientRequest {
    /// Takes the client request of this instance.
    // Its own stack frame: see `shell` on stack depth.
    #[inline(never)]
    pub fn take() -> ClientRequest {
        let started = Instant::now();
        let start_unix_nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| {
            d.as_secs() * 1_000_000_000 + u64::from(d.subsec_nanos())
        });
        let (handle, body) = client_request_and_body();
        let uri = raw_uri(&handle);
        // Client metadata is read from the handle: a `Request` built from
        // handles does not count as the client request.
        let client_ip = handle.client_ip_addr();
        let id = handle
            .client_request_id()
            .unwrap_or_else(|| fastly::compute_runtime::sandbox_id().to_owned());
        let protocol = dl_edge::request::protocol(handle.get_version());
        let method = handle
            .get_method(32)
            .or_else(|e| handle.get_method(e.needed_buf_size))
            .ok();
        let headers = headers::of_request(&handle);
        // The body stays unread: a download request has none.
        drop(body);
        ClientRequest {
            handle,
            started,
            start_unix_nanos,
            id,
            protocol,
            client_ip,
            geo: client_ip.and_then(geo),
            method,
            uri,
            headers,
        }
    }

    /// The first value of header `name` (U+FFFD if it is not text).
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.text(name)
    }

    /// The `dl-edge-shield` header, if an edge (or a client) sent one.
    pub fn shield_header(&self) -> Option<&str> {
        self.header(super::shielding::SHIELD_HEADER)
    }

    /// The `dl-edge-debug` header: with the right token, responses say
    /// which bucket served them.
    pub fn debug_header(&self) -> Option<&str> {
        self.header("dl-edge-debug")
    }

    /// The method, empty if the host could not give it.
    fn method(&self) -> &str {
        self.method.as_ref().map_or("", Method::as_str)
    }

    /// The request target: the URI's path and query, as received.
    fn target(&self) -> &str {
        dl_edge::request::path::request_target(&self.uri)
    }

    /// Whether the platform offers the HTTP cache API that the after-send
    /// hook needs. Fastly does; Viceroy answers "unsupported" (platform.md).
    ///
    /// `fastly` asks the host the same question of the request it sends,
    /// and refuses a hooked send when the answer is no, but only after it
    /// has set the hooked send up and built an error that holds the
    /// request: 30 µs of guest CPU per request under Viceroy
    /// (`scripts/profile`), for a send that never happens. Asked of the
    /// client's request, which is what `fastly` asks it of whenever a
    /// service forwards the client's own request. One host call, made once
    /// per fetch; the send still falls back if it is refused anyway.
    pub fn offers_http_cache(&self) -> bool {
        let mut cacheable = 0;
        // SAFETY: the handle is the open client request; the host writes
        // one u32.
        let status = unsafe {
            fastly_sys::fastly_http_cache::is_request_cacheable(
                self.handle.as_u32(),
                &mut cacheable,
            )
        };
        status != fastly_shared::FastlyStatus::UNSUPPORTED
    }

    pub fn view(&self) -> RequestView<'_> {
        RequestView {
            method: self.method(),
            host: self.header("host"),
            target: self.target(),
            range: self.header("range"),
            header_bytes: self.headers.size(),
            repeated: ["host", "range"]
                .into_iter()
                .find(|name| self.headers.repeats(name)),
        }
    }

    /// When the request started, in seconds since 1970.
    pub fn start_unix_seconds(&self) -> i64 {
        (self.start_unix_nanos / 1_000_000_000) as i64
    }

    /// What the log record starts from.
    pub fn meta(&self) -> RequestMeta<'_> {
        RequestMeta {
            id: &self.id,
            method: self.method(),
            host: self.header("host"),
            target: self.target(),
            protocol: &self.protocol,
            user_agent: self.header("user-agent"),
            referer: self.header("referer"),
            range: self.header("range"),
            client_ip: self.client_ip,
            geo: self.geo.as_ref(),
            start_unix_nanos: self.start_unix_nanos,
        }
    }

    /// Where the client is: cloud region, Azure ASN, or geo.
    pub fn locality(&self) -> Locality {
        locality::locate(self.client_ip, self.geo.as_ref())
    }

    pub fn conditions(&self) -> Conditions<'_> {
        Conditions {
            if_match: self.header("if-match"),
            if_unmodified_since: self.header("if-unmodified-since"),
            if_none_match: self.header("if-none-match"),
            if_modified_since: self.header("if-modified-since"),
            if_range: self.header("if-range"),
        }
    }
}

/// The platform's geolocation of `ip`, read through the raw ABI and
/// the core's JSON reader: `fastly::geo` parses the same record with
/// serde_json, the last user of it in the Wasm (docs/performance.md).
/// The record's text is leaked, as what lives as long as the request is
/// (`shell`), and the names are lent from it.
fn geo(ip: IpAddr) -> Option<Geo<'static>> {
    let (v4, v6);
    let octets: &[u8] = match ip {
        IpAddr::V4(ip) => {
            v4 = ip.octets();
            &v4
        }
        IpAddr::V6(ip) => {
            v6 = ip.octets();
            &v6
        }
    };
    let mut record = Vec::new();
    // SAFETY: `read_one` passes a pointer to `len` writable bytes and
    // reads back at most `len` written.
    let read = read_one(&mut record, |ptr, len, written| unsafe {
        fastly_sys::fastly_geo::lookup(octets.as_ptr(), octets.len(), ptr, len, written)
    })
    .is_ok();
    let text = String::from_utf8(record).ok().filter(|_| read)?;
    Geo::from_json(text.leak())
}

/// The request URI exactly as the host received it.
///
/// `fastly::Request` parses the URI with the `url` crate, which resolves
/// `..` and `%2e%2e` segments before the service could see them; the raw
/// ABI call returns it untouched.
fn raw_uri(handle: &RequestHandle) -> String {
    let mut buf = Vec::new();
    // SAFETY: `read_one` passes a pointer to `len` writable bytes and
    // reads back at most `len` written.
    let read = read_one(&mut buf, |ptr, len, written| unsafe {
        fastly_sys::fastly_http_req::uri_get(handle.as_u32(), ptr, len, written)
    })
    .is_ok();
    if !read {
        return String::new();
    }
    // Kept as read when it is UTF-8, as it nearly always is; copied only
    // to replace what is not.
    String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

//! The client request, with its raw request target.

use std::net::IpAddr;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use dl_edge::decision::RequestView;
use dl_edge::locality::Geo;
use dl_edge::locality::{self, Locality};
use dl_edge::request::conditional::Conditions;
use dl_edge::telemetry::record::RequestMeta;
use fastly::handle::{client_request_and_body, RequestHandle};

use super::headers::{self, read_one};

/// The client request and what the core needs from it.
pub struct ClientRequest {
    /// Kept open for [`ClientRequest::offers_http_cache`].
    handle: RequestHandle,
    pub started: Instant,
    start_unix_nanos: i128,
    id: String,
    protocol: String,
    client_ip: Option<IpAddr>,
    geo: Option<Geo>,
    /// The `dl-edge-shield` header, if an edge (or a client) sent one.
    pub shield_header: Option<String>,
    /// The `dl-edge-debug` header: with the right token, responses say
    /// which bucket served them.
    pub debug_header: Option<String>,
    user_agent: Option<String>,
    referer: Option<String>,
    method: String,
    host: Option<String>,
    target: String,
    range: Option<String>,
    if_match: Option<String>,
    if_unmodified_since: Option<String>,
    if_none_match: Option<String>,
    if_modified_since: Option<String>,
    if_range: Option<String>,
    header_bytes: usize,
    repeated: Option<&'static str>,
}

impl ClientRequest {
    /// Takes the client request of this instance.
    // Its own stack frame: see `shell` on stack depth.
    #[inline(never)]
    pub fn take() -> ClientRequest {
        let started = Instant::now();
        let start_unix_nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i128);
        let (handle, body) = client_request_and_body();
        let target = dl_edge::request::path::request_target(&raw_uri(&handle)).to_owned();
        // Client metadata is read from the handle: a `Request` built from
        // handles does not count as the client request.
        let client_ip = handle.client_ip_addr();
        let id = handle
            .client_request_id()
            .unwrap_or_else(|| fastly::compute_runtime::sandbox_id().to_owned());
        let protocol = dl_edge::request::protocol(handle.get_version()).into_owned();
        let method = handle
            .get_method(32)
            .or_else(|e| handle.get_method(e.needed_buf_size))
            .map_or_else(|_| String::new(), |m| m.as_str().to_owned());
        let headers = headers::of_request(&handle);
        // The body stays unread: a download request has none.
        drop(body);
        let header = |name: &str| headers.text(name);
        ClientRequest {
            handle,
            started,
            start_unix_nanos,
            id,
            protocol,
            client_ip,
            geo: client_ip.and_then(geo),
            shield_header: header(super::shielding::SHIELD_HEADER),
            debug_header: header("dl-edge-debug"),
            user_agent: header("user-agent"),
            referer: header("referer"),
            method,
            host: header("host"),
            range: header("range"),
            if_match: header("if-match"),
            if_unmodified_since: header("if-unmodified-since"),
            if_none_match: header("if-none-match"),
            if_modified_since: header("if-modified-since"),
            if_range: header("if-range"),
            repeated: ["host", "range"]
                .into_iter()
                .find(|name| headers.repeats(name)),
            header_bytes: headers.size(),
            target,
        }
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
            method: &self.method,
            host: self.host.as_deref(),
            target: &self.target,
            range: self.range.as_deref(),
            header_bytes: self.header_bytes,
            repeated: self.repeated,
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
            method: &self.method,
            host: self.host.as_deref(),
            target: &self.target,
            protocol: &self.protocol,
            user_agent: self.user_agent.as_deref(),
            referer: self.referer.as_deref(),
            range: self.range.as_deref(),
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
            if_match: self.if_match.as_deref(),
            if_unmodified_since: self.if_unmodified_since.as_deref(),
            if_none_match: self.if_none_match.as_deref(),
            if_modified_since: self.if_modified_since.as_deref(),
            if_range: self.if_range.as_deref(),
        }
    }
}

/// The platform's geolocation of `ip`, read through the raw ABI and
/// the core's JSON reader: `fastly::geo` parses the same record with
/// serde_json, the last user of it in the Wasm (docs/performance.md).
fn geo(ip: IpAddr) -> Option<Geo> {
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
    Geo::from_json(std::str::from_utf8(&record).ok().filter(|_| read)?)
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

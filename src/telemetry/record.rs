//! The one structured record written per client request (schema version 1).
//!
//! It is built along the request: begun from what the client sent, filled
//! in from the decision and the response, and finished with the bytes sent.
//! The shell serializes it once, at the end. Optional fields are left out
//! when unknown: at billions of lines a month the nulls would be a third of
//! the log volume. docs/log-record.schema.json describes it. No secret,
//! token, query string or Authorization value is ever copied into it.

use std::borrow::Cow;
use std::net::IpAddr;

use crate::locality::{Geo, Locality};
use crate::primitives::json::Object;
use crate::primitives::words;
use crate::telemetry::client_tool;
use crate::telemetry::delivery::Cut;
use crate::telemetry::privacy::{self, IpMode};

/// The schema version written in every record.
pub const SCHEMA_VERSION: u32 = 1;

/// Room for a typical line (about 1 KB), so it is not regrown on the way.
pub const LINE_CAPACITY: usize = 1536;

/// Longest user agent, referer or path copied into a record.
const MAX_TEXT: usize = 512;

/// What the shell knows about the request before any decision.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta<'a> {
    pub id: &'a str,
    pub method: &'a str,
    pub host: Option<&'a str>,
    /// The raw request target; its query is never logged.
    pub target: &'a str,
    pub protocol: &'a str,
    pub user_agent: Option<&'a str>,
    pub referer: Option<&'a str>,
    pub range: Option<&'a str>,
    pub client_ip: Option<IpAddr>,
    pub geo: Option<&'a Geo<'a>>,
    /// Request start, nanoseconds since 1970 (a `u64` holds them until
    /// 2554; an `i128` brought 128-bit division into the Wasm).
    pub start_unix_nanos: u64,
}

/// The record lends what it takes unchanged from the request and its
/// decision (`'r`: the [`RequestMeta`]'s text and the decision's): the
/// shell keeps both for the whole request, so the record makes no copy
/// of them (docs/performance.md).
#[derive(Debug, Clone, PartialEq)]
pub struct LogRecord<'r> {
    pub schema: u32,
    pub time: TimeFields,
    pub request: RequestFields<'r>,
    pub client: ClientFields<'r>,
    pub artifact: ArtifactFields<'r>,
    pub routing: RoutingFields<'r>,
    pub response: ResponseFields,
    pub service: ServiceFields,
    pub error: Option<ErrorFields>,
    /// How many config values were bad and replaced by defaults.
    pub config_warnings: u32,
    /// Emergency overrides in force for this request.
    pub overrides: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TimeFields {
    /// Request start, RFC 3339 with milliseconds, UTC.
    pub start: String,
    pub start_epoch_ms: i64,
    /// Written as `duration_ms` with three decimals.
    pub duration_us: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RequestFields<'r> {
    pub id: Cow<'r, str>,
    pub method: Cow<'r, str>,
    /// The hostname the client used, lowercased, without port, if the
    /// service serves it; `unknown` otherwise (see [`LogRecord::host_among`]).
    pub host: Option<Cow<'r, str>>,
    /// What the client sent as Host, clipped, when it is no served host.
    pub host_sent: Option<Cow<'r, str>>,
    /// The raw path as received, without the query.
    pub path: Cow<'r, str>,
    pub query_dropped: bool,
    pub range: Option<Cow<'r, str>>,
    pub protocol: Cow<'r, str>,
    pub user_agent: Option<Cow<'r, str>>,
    /// Without its query string.
    pub referer: Option<Cow<'r, str>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClientFields<'r> {
    pub ip: Option<String>,
    pub asn: Option<u32>,
    pub as_name: Option<Cow<'r, str>>,
    pub continent: Option<Cow<'r, str>>,
    pub country: Option<Cow<'r, str>>,
    pub region: Option<Cow<'r, str>>,
    pub city: Option<Cow<'r, str>>,
    pub cloud: Option<String>,
    pub cloud_region: Option<String>,
    /// The region group the shield plan used.
    pub group: Option<&'static str>,
    /// How the client was placed: `aws`, `gcp`, `azure-asn`, `geo`, `none`.
    pub locality_source: Option<&'static str>,
    pub tool: &'static str,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ArtifactFields<'r> {
    pub class: Option<&'static str>,
    pub version: Option<Cow<'r, str>>,
    pub major: Option<u64>,
    pub minor: Option<u64>,
    pub patch: Option<u64>,
    pub pre_release: Option<Cow<'r, str>>,
    pub build: Option<Cow<'r, str>>,
    pub os: Option<&'static str>,
    pub arch: Option<&'static str>,
    pub file: Option<Cow<'r, str>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoutingFields<'r> {
    pub bucket: Option<Cow<'r, str>>,
    pub object: Option<Cow<'r, str>>,
    pub shield: Option<String>,
    pub shield_rule: Option<String>,
    /// `edge` or `shield`.
    pub role: &'static str,
    pub failover: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResponseFields {
    pub status: u16,
    pub bytes_sent: u64,
    pub content_length: Option<u64>,
    /// The edge TTL chosen, in seconds; null when not stored.
    pub ttl: Option<u32>,
    pub cache_state: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceFields {
    pub pop: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ErrorFields {
    /// `rejected` (the edge refused the request), `origin` (the origin
    /// failed) or `client` (the client went away mid-response).
    pub kind: &'static str,
    pub reason: String,
}

impl<'r> LogRecord<'r> {
    /// Starts the record from what the client sent.
    pub fn begin(
        meta: &RequestMeta<'r>,
        ip_mode: IpMode,
        salt: Option<&[u8]>,
        service: ServiceFields,
    ) -> LogRecord<'r> {
        let start_epoch_ms = (meta.start_unix_nanos / 1_000_000) as i64;
        let (path, query) = split_query(meta.target);
        let geo = meta.geo;
        LogRecord {
            schema: SCHEMA_VERSION,
            time: TimeFields {
                start: crate::primitives::utc::rfc3339_millis(start_epoch_ms),
                start_epoch_ms,
                duration_us: 0,
            },
            request: RequestFields {
                id: Cow::Borrowed(meta.id),
                method: clip(meta.method, 32),
                host_sent: None,
                // Lowered after the cut: ASCII case keeps every length.
                host: meta.host.map(|h| lowercase(clip(h, 256))),
                path: clip(path, MAX_TEXT),
                query_dropped: query,
                range: meta.range.map(|r| clip(r, 128)),
                protocol: Cow::Borrowed(meta.protocol),
                user_agent: meta.user_agent.map(|ua| clip(ua, MAX_TEXT)),
                referer: meta
                    .referer
                    .map(|r| match without_userinfo(split_query(r).0) {
                        Cow::Borrowed(r) => clip(r, MAX_TEXT),
                        Cow::Owned(r) => Cow::Owned(clip(&r, MAX_TEXT).into_owned()),
                    }),
            },
            client: ClientFields {
                ip: privacy::client_ip(meta.client_ip, ip_mode, salt),
                asn: geo.map(|g| g.asn),
                as_name: geo.map(|g| Cow::Borrowed(g.as_name.as_ref())),
                continent: geo.map(|g| Cow::Borrowed(g.continent.as_ref())),
                country: geo.map(|g| Cow::Borrowed(g.country.as_ref())),
                region: geo.and_then(|g| g.region.as_deref().map(Cow::Borrowed)),
                city: geo.map(|g| Cow::Borrowed(g.city.as_ref())),
                cloud: None,
                cloud_region: None,
                group: None,
                locality_source: None,
                tool: client_tool::from_user_agent(meta.user_agent),
            },
            artifact: ArtifactFields::default(),
            routing: RoutingFields {
                bucket: None,
                object: None,
                shield: None,
                shield_rule: None,
                role: "edge",
                failover: false,
            },
            response: ResponseFields {
                status: 0,
                bytes_sent: 0,
                content_length: None,
                ttl: None,
                cache_state: None,
            },
            service,
            error: None,
            config_warnings: 0,
            overrides: Vec::new(),
        }
    }

    /// Records where the client is.
    pub fn located(&mut self, locality: &Locality) {
        self.client.cloud = locality.cloud.map(str::to_owned);
        self.client.cloud_region = locality.cloud_region.clone();
        self.client.group = Some(locality.group.as_str());
        self.client.locality_source = Some(locality.source);
    }

    /// Records the shield hop: this instance's role, the shield chosen and
    /// the plan rule that chose it.
    pub fn shielded(&mut self, role: &'static str, shield: Option<String>, rule: Option<String>) {
        self.routing.role = role;
        self.routing.shield = shield;
        self.routing.shield_rule = rule;
    }

    /// Records the response status, its length and the edge TTL chosen.
    pub fn responded(&mut self, status: u16, content_length: Option<u64>, ttl: Option<u32>) {
        self.response.status = status;
        self.response.content_length = content_length;
        self.response.ttl = ttl;
    }

    /// Records an origin failure.
    pub fn origin_failed(&mut self, reason: &str) {
        self.error = Some(ErrorFields {
            kind: "origin",
            reason: clip(reason, MAX_TEXT).into_owned(),
        });
    }

    /// Records that the service itself failed (it panicked): the one
    /// line this request gets says so.
    pub fn panicked(&mut self, message: &str) {
        self.error = Some(ErrorFields {
            kind: "internal",
            reason: clip(message, MAX_TEXT).into_owned(),
        });
    }

    /// Closes the record once the body is sent (or cut short):
    /// `bytes_sent` is what the platform took for the client, and a cut
    /// is the request's error unless an earlier one explains it.
    pub fn finished(&mut self, bytes_sent: u64, duration_nanos: u64, cut: Option<(Cut, &str)>) {
        self.response.bytes_sent = bytes_sent;
        self.time.duration_us = duration_nanos / 1000;
        if let Some((cut, reason)) = cut {
            if self.error.is_none() {
                self.error = Some(ErrorFields {
                    kind: cut.kind(),
                    reason: clip(reason, MAX_TEXT).into_owned(),
                });
            }
        }
    }

    /// Pins `request.host` to a hostname the service serves, or `unknown`:
    /// it becomes Splunk's indexed `host` and feeds the "hostnames in use"
    /// view, so a client must not choose it. The raw value, clipped, goes
    /// in `request.host_sent`.
    pub fn host_among(&mut self, served: &[String]) {
        let Some(given) = self.request.host.take() else {
            return;
        };
        // `begin` lowered it: the name is the part before any port.
        let name = crate::request::host::hostname(&given)
            .filter(|n| served.iter().any(|h| h == n))
            .map(str::len);
        match name {
            Some(len) => self.request.host = Some(prefix(given, len)),
            None => {
                self.request.host = Some(Cow::Borrowed("unknown"));
                self.request.host_sent = Some(given);
            }
        }
    }

    /// Whether this request counts as an error for `min_class = errors`.
    pub fn is_error(&self) -> bool {
        self.response.status >= 400 || self.error.is_some()
    }

    /// The record as one JSON object, appended to `out`; fields without a
    /// value are left out (docs/log-record.schema.json).
    pub fn write_json(&self, out: &mut String) {
        let mut record = Object::open(out);
        record.uint("schema", self.schema.into());

        let time = &self.time;
        let mut o = record.object("time");
        o.str("start", &time.start);
        o.int("start_epoch_ms", time.start_epoch_ms);
        o.thousandths("duration_ms", time.duration_us as i64);
        o.close();

        let request = &self.request;
        let mut o = record.object("request");
        o.str("id", &request.id);
        o.str("method", &request.method);
        o.opt_str("host", request.host.as_deref());
        o.opt_str("host_sent", request.host_sent.as_deref());
        o.str("path", &request.path);
        o.bool("query_dropped", request.query_dropped);
        o.opt_str("range", request.range.as_deref());
        o.str("protocol", &request.protocol);
        o.opt_str("user_agent", request.user_agent.as_deref());
        o.opt_str("referer", request.referer.as_deref());
        o.close();

        let client = &self.client;
        let mut o = record.object("client");
        o.opt_str("ip", client.ip.as_deref());
        o.opt_uint("asn", client.asn.map(u64::from));
        o.opt_str("as_name", client.as_name.as_deref());
        o.opt_str("continent", client.continent.as_deref());
        o.opt_str("country", client.country.as_deref());
        o.opt_str("region", client.region.as_deref());
        o.opt_str("city", client.city.as_deref());
        o.opt_str("cloud", client.cloud.as_deref());
        o.opt_str("cloud_region", client.cloud_region.as_deref());
        o.opt_str("group", client.group);
        o.opt_str("locality_source", client.locality_source);
        o.str("tool", client.tool);
        o.close();

        let artifact = &self.artifact;
        let mut o = record.object("artifact");
        o.opt_str("class", artifact.class);
        o.opt_str("version", artifact.version.as_deref());
        o.opt_uint("major", artifact.major);
        o.opt_uint("minor", artifact.minor);
        o.opt_uint("patch", artifact.patch);
        o.opt_str("pre_release", artifact.pre_release.as_deref());
        o.opt_str("build", artifact.build.as_deref());
        o.opt_str("os", artifact.os);
        o.opt_str("arch", artifact.arch);
        o.opt_str("file", artifact.file.as_deref());
        o.close();

        let routing = &self.routing;
        let mut o = record.object("routing");
        o.opt_str("bucket", routing.bucket.as_deref());
        o.opt_str("object", routing.object.as_deref());
        o.opt_str("shield", routing.shield.as_deref());
        o.opt_str("shield_rule", routing.shield_rule.as_deref());
        o.str("role", routing.role);
        o.bool("failover", routing.failover);
        o.close();

        let response = &self.response;
        let mut o = record.object("response");
        o.uint("status", response.status.into());
        o.uint("bytes_sent", response.bytes_sent);
        o.opt_uint("content_length", response.content_length);
        o.opt_uint("ttl", response.ttl.map(u64::from));
        o.opt_str("cache_state", response.cache_state);
        o.close();

        let mut o = record.object("service");
        o.str("pop", &self.service.pop);
        o.str("version", &self.service.version);
        o.close();

        if let Some(error) = &self.error {
            let mut o = record.object("error");
            o.str("kind", error.kind);
            o.str("reason", &error.reason);
            o.close();
        }
        record.uint("config_warnings", self.config_warnings.into());
        record.strings("overrides", &self.overrides);
        record.close();
    }

    /// The record as one JSON line.
    pub fn to_json(&self) -> String {
        let mut line = String::with_capacity(LINE_CAPACITY);
        self.write_json(&mut line);
        line
    }
}

/// `/a/b?x=1` → (`/a/b`, true). A fragment counts as a query.
fn split_query(target: &str) -> (&str, bool) {
    // A byte search: `?` and `#` are ASCII, so where one is, a character
    // starts (a `char` pattern decodes every character on the way, about
    // 800 instructions more for a typical path).
    match target.bytes().position(|b| b == b'?' || b == b'#') {
        Some(i) => (&target[..i], true),
        None => (target, false),
    }
}

/// Text for a log field: at most `max` bytes, cut on a character
/// boundary, with control characters, line and paragraph separators
/// (U+2028, U+2029, which JSON leaves raw and some readers take as line
/// ends) and bidi controls (which make a line read differently from what
/// it holds) replaced by U+FFFD.
pub fn clip(text: &str, max: usize) -> Cow<'_, str> {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let text = &text[..end];
    // Printable ASCII, nearly every value, has nothing to replace: lent
    // as it is instead of copied a character at a time (measured in the
    // log record benchmark, docs/performance.md).
    if words::printable(text.as_bytes()) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| if is_unsafe(c) { '\u{fffd}' } else { c })
            .collect(),
    )
}

/// `text` in ASCII lowercase, copied only if it has an uppercase letter.
fn lowercase(text: Cow<'_, str>) -> Cow<'_, str> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        let mut text = text.into_owned();
        text.make_ascii_lowercase();
        Cow::Owned(text)
    } else {
        text
    }
}

/// The first `len` bytes of `text` (a character boundary), lent where
/// `text` is.
fn prefix(text: Cow<'_, str>, len: usize) -> Cow<'_, str> {
    match text {
        Cow::Borrowed(text) => Cow::Borrowed(&text[..len]),
        Cow::Owned(mut text) => {
            text.truncate(len);
            Cow::Owned(text)
        }
    }
}

fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{061c}' | '\u{200e}' | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// A URL without the `user:password@` of its authority: a Referer's
/// credentials are never logged.
fn without_userinfo(url: &str) -> Cow<'_, str> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Cow::Borrowed(url);
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => Cow::Owned(format!("{scheme}://{}", &rest[at + 1..])),
        None => Cow::Borrowed(url),
    }
}

/// Longest version and build text copied into a record.
pub const MAX_VERSION: usize = 64;
/// Longest file name copied into a record.
pub const MAX_FILE: usize = 256;
/// Longest object name copied into a record.
pub const MAX_OBJECT: usize = MAX_TEXT;

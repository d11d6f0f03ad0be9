//! Named log endpoints and the line each one gets.
//!
//! Every endpoint that selects a request gets exactly one line for it, in
//! its format: `hec` (a Splunk HTTP Event Collector envelope) or `json` (the
//! bare record). The shell writes each line with a single write call, since
//! the platform turns every write into a line.

use std::borrow::Cow;

use crate::primitives::json::{self, Object, Reader};
use crate::telemetry::record::{LogRecord, LINE_CAPACITY};

/// The shape of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `{"time", "host", "source", "sourcetype", "index"?, "event": record}`.
    Hec,
    /// The record itself.
    Json,
}

/// Which requests an endpoint wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MinClass {
    #[default]
    All,
    /// Status 400 and above, or any error.
    Errors,
}

/// One entry of the `log_endpoints` key.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEndpoint {
    pub name: String,
    pub format: Format,
    /// Default 1.
    pub sample_rate: f64,
    pub min_class: MinClass,
    /// HEC only: the Splunk index; omitted means the token's default.
    pub index: Option<String>,
    /// Default `dl-edge` (the defaults are static text: the config is
    /// parsed on every request).
    pub source: Cow<'static, str>,
    /// Default `dl-edge:request`.
    pub sourcetype: Cow<'static, str>,
}

impl LogEndpoint {
    /// An endpoint with every optional field at its default.
    fn new(name: String, format: Format, sourcetype: &'static str) -> LogEndpoint {
        LogEndpoint {
            name,
            format,
            sample_rate: 1.0,
            min_class: MinClass::All,
            index: None,
            source: Cow::Borrowed("dl-edge"),
            sourcetype: Cow::Borrowed(sourcetype),
        }
    }

    const FIELDS: &'static [&'static str] = &[
        "name",
        "format",
        "sample_rate",
        "min_class",
        "index",
        "source",
        "sourcetype",
    ];

    /// One endpoint's JSON object, with `sourcetype` defaulting to
    /// `default_sourcetype`.
    fn read(
        r: &mut Reader<'_>,
        default_sourcetype: &'static str,
    ) -> Result<LogEndpoint, json::Error> {
        let (mut name, mut format) = (None, None);
        let mut endpoint = LogEndpoint::new(String::new(), Format::Json, default_sourcetype);
        r.fields(Self::FIELDS, |r, field| {
            match field {
                "name" => name = Some(r.string()?),
                "format" => {
                    format = Some(r.one_of(
                        &[("hec", Format::Hec), ("json", Format::Json)],
                        "is neither hec nor json",
                    )?)
                }
                "sample_rate" => endpoint.sample_rate = r.f64()?,
                "min_class" => {
                    endpoint.min_class = r.one_of(
                        &[("all", MinClass::All), ("errors", MinClass::Errors)],
                        "is neither all nor errors",
                    )?
                }
                "index" => endpoint.index = Some(r.string()?),
                "source" => endpoint.source = r.string()?.into(),
                "sourcetype" => endpoint.sourcetype = r.string()?.into(),
                _ => r.skip()?,
            }
            Ok(())
        })?;
        endpoint.name = json::required(name, "name")?;
        endpoint.format = json::required(format, "format")?;
        Ok(endpoint)
    }
}

/// The sourcetype of request lines in HEC form.
pub const REQUEST_SOURCETYPE: &str = "dl-edge:request";

/// Why a `log_endpoints` value (or an endpoint name) was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointError {
    /// Not a JSON list of endpoints (or an endpoint), with the reader's detail.
    NotAList(String),
    BadName(String),
    SampleRate(String),
    Duplicate(String),
}

impl std::fmt::Display for EndpointError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EndpointError::NotAList(detail) => write!(f, "not a list of log endpoints: {detail}"),
            EndpointError::BadName(name) => write!(f, "{name:?} is not a valid log endpoint name"),
            EndpointError::SampleRate(name) => {
                write!(f, "{name}: sample_rate must be between 0 and 1")
            }
            EndpointError::Duplicate(name) => write!(f, "endpoint {name} appears twice"),
        }
    }
}

/// Parses and checks the `log_endpoints` value.
pub fn parse_endpoints(value: &str) -> Result<Vec<LogEndpoint>, EndpointError> {
    let endpoints = json::read(value, |r| {
        r.list_of(|r| LogEndpoint::read(r, REQUEST_SOURCETYPE))
    })
    .map_err(|e| EndpointError::NotAList(e.to_string()))?;
    for e in &endpoints {
        check_endpoint_name(&e.name)?;
        if !(0.0..=1.0).contains(&e.sample_rate) {
            return Err(EndpointError::SampleRate(e.name.clone()));
        }
    }
    if let Some(dup) = endpoints
        .iter()
        .enumerate()
        .find(|(i, e)| endpoints[..*i].iter().any(|o| o.name == e.name))
    {
        return Err(EndpointError::Duplicate(dup.1.name.clone()));
    }
    Ok(endpoints)
}

/// The platform's rules for an endpoint name: not empty, no `:` or newline,
/// not `stdout` or `stderr`.
pub fn check_endpoint_name(name: &str) -> Result<(), EndpointError> {
    let valid = !name.is_empty()
        && name.len() <= 256
        && !name.contains([':', '\n', '\r'])
        && name != "stdout"
        && name != "stderr";
    if valid {
        Ok(())
    } else {
        Err(EndpointError::BadName(name.to_owned()))
    }
}

impl LogEndpoint {
    /// Whether this endpoint gets a line for this request: its class, then
    /// a sample that depends only on the request id, so a request is in or
    /// out the same way on every endpoint with the same rate.
    pub fn selects(&self, record: &LogRecord) -> bool {
        if self.min_class == MinClass::Errors && !record.is_error() {
            return false;
        }
        sampled(&record.request.id, self.sample_rate)
    }
}

/// Deterministic sampling: FNV-1a of the id, mapped to [0, 1).
pub fn sampled(id: &str, rate: f64) -> bool {
    if rate >= 1.0 {
        return true;
    }
    let hash = crate::primitives::fnv::fnv1a(id.bytes());
    ((hash >> 11) as f64 / (1u64 << 53) as f64) < rate
}

/// The lines for one request: `(endpoint name, line)` for every endpoint
/// that selects it. The record is written once per format.
pub fn lines<'e>(endpoints: &'e [LogEndpoint], record: &LogRecord) -> Vec<(&'e str, String)> {
    let mut bare: Option<String> = None;
    endpoints
        .iter()
        .filter(|e| e.selects(record))
        .map(|e| {
            let line = match e.format {
                Format::Json => bare.get_or_insert_with(|| record.to_json()).clone(),
                Format::Hec => hec_line(e, record),
            };
            (e.name.as_str(), line)
        })
        .collect()
}

/// A Splunk HEC event: `time` in epoch seconds with milliseconds.
pub fn hec_line(endpoint: &LogEndpoint, record: &LogRecord) -> String {
    let host = record.request.host.as_deref().unwrap_or("unknown");
    hec_event(endpoint, host, record.time.start_epoch_ms, |out| {
        record.write_json(out)
    })
}

/// `{"time", "host", "source", "sourcetype", "index"?, "event"}` around
/// an event that `event` writes.
fn hec_event(
    endpoint: &LogEndpoint,
    host: &str,
    epoch_ms: i64,
    event: impl FnOnce(&mut String),
) -> String {
    let mut line = String::with_capacity(LINE_CAPACITY);
    let mut envelope = Object::open(&mut line);
    envelope.thousandths("time", epoch_ms);
    envelope.str("host", host);
    envelope.str("source", &endpoint.source);
    envelope.str("sourcetype", &endpoint.sourcetype);
    envelope.opt_str("index", endpoint.index.as_deref());
    event(envelope.value("event"));
    envelope.close();
    line
}

/// A line for the service log: warnings and errors about the service itself
/// (config, failover, logging, panics), never about one request's outcome.
/// docs/service-log.schema.json describes both of its forms.
#[derive(Debug)]
pub struct ServiceLogLine<'a> {
    pub level: &'static str,
    pub kind: &'static str,
    pub message: &'a str,
    pub request_id: &'a str,
}

impl ServiceLogLine<'_> {
    /// The line in the endpoint's format: a HEC envelope (`host` a served
    /// hostname or `unknown`, `time` in epoch seconds) or the bare line;
    /// the line's own `time` is `epoch_ms` in RFC 3339.
    pub fn to_line(&self, endpoint: &LogEndpoint, host: &str, epoch_ms: i64) -> String {
        match endpoint.format {
            Format::Json => {
                let mut line = String::with_capacity(256);
                self.write_json(&mut line, epoch_ms);
                line
            }
            Format::Hec => hec_event(endpoint, host, epoch_ms, |out| {
                self.write_json(out, epoch_ms)
            }),
        }
    }

    fn write_json(&self, out: &mut String, epoch_ms: i64) {
        let mut o = Object::open(out);
        o.str("time", &crate::primitives::utc::rfc3339_millis(epoch_ms));
        o.str("level", self.level);
        o.str("kind", self.kind);
        o.str("message", self.message);
        o.str("request_id", self.request_id);
        o.close();
    }
}

/// The sourcetype of service-log lines in HEC form.
pub const SERVICE_SOURCETYPE: &str = "dl-edge:service";

/// Parses the `service_log_endpoint` value: a bare endpoint name (HEC
/// lines, sourcetype `dl-edge:service`), or a JSON object like a
/// `log_endpoints` entry (`{"name": "archive", "format": "json"}`).
pub fn parse_service_endpoint(value: &str) -> Result<LogEndpoint, EndpointError> {
    if !value.starts_with('{') {
        check_endpoint_name(value)?;
        return Ok(LogEndpoint::new(
            value.to_owned(),
            Format::Hec,
            SERVICE_SOURCETYPE,
        ));
    }
    let endpoint = json::read(value, |r| LogEndpoint::read(r, SERVICE_SOURCETYPE))
        .map_err(|e| EndpointError::NotAList(e.to_string()))?;
    check_endpoint_name(&endpoint.name)?;
    Ok(endpoint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_endpoints_with_defaults() {
        let e = parse_endpoints(r#"[{"name":"splunk","format":"hec","index":"k8s"},{"name":"bucket","format":"json","sample_rate":0.1,"min_class":"errors"}]"#).unwrap();
        assert_eq!(e[0].format, Format::Hec);
        assert_eq!(e[0].sample_rate, 1.0);
        assert_eq!(e[0].min_class, MinClass::All);
        assert_eq!(e[0].index.as_deref(), Some("k8s"));
        assert_eq!(e[0].sourcetype, "dl-edge:request");
        assert_eq!(e[1].min_class, MinClass::Errors);
    }

    #[test]
    fn bad_endpoint_lists_say_why() {
        use EndpointError::*;
        let name = |n: &str| n.to_owned();
        for (value, why) in [
            (r#"[{"name":"a:b","format":"json"}]"#, BadName(name("a:b"))),
            (
                r#"[{"name":"stdout","format":"json"}]"#,
                BadName(name("stdout")),
            ),
            (
                r#"[{"name":"x","format":"json","sample_rate":2}]"#,
                SampleRate(name("x")),
            ),
            (
                r#"[{"name":"x","format":"json"},{"name":"x","format":"hec"}]"#,
                Duplicate(name("x")),
            ),
        ] {
            assert_eq!(parse_endpoints(value), Err(why), "{value}");
        }
        // The reader's words say what is wrong with the JSON.
        for (value, detail) in [
            (
                r#"[{"name":"x","format":"xml"}]"#,
                r#"format: "xml" is neither hec nor json"#,
            ),
            (
                r#"[{"name":"x","format":"json","min_class":"some"}]"#,
                r#"min_class: "some" is neither all nor errors"#,
            ),
            (
                r#"[{"name":"x","format":"json","colour":"red"}]"#,
                "unknown field `colour`",
            ),
            (r#"[{"format":"json"}]"#, "missing field `name`"),
            (
                r#"{"name":"x","format":"json"}"#,
                "expected a list, found an object",
            ),
            ("splunk", "expected a JSON value at byte 0"),
        ] {
            match parse_endpoints(value) {
                Err(NotAList(d)) => assert!(d.contains(detail), "{value}: {d}"),
                other => panic!("{value}: {other:?}"),
            }
        }
    }

    #[test]
    fn sampling_is_deterministic_and_close_to_the_rate() {
        let ids: Vec<String> = (0..10_000).map(|i| format!("req-{i:08x}")).collect();
        let first: Vec<bool> = ids.iter().map(|id| sampled(id, 0.25)).collect();
        let again: Vec<bool> = ids.iter().map(|id| sampled(id, 0.25)).collect();
        assert_eq!(first, again);
        let kept = first.iter().filter(|k| **k).count();
        assert!((2200..2800).contains(&kept), "{kept} of 10000 kept at 0.25");
        assert!(ids.iter().all(|id| sampled(id, 1.0)));
        assert!(!ids.iter().any(|id| sampled(id, 0.0)));
        // A request kept at a low rate is kept at every higher rate.
        assert!(ids
            .iter()
            .filter(|id| sampled(id, 0.1))
            .all(|id| sampled(id, 0.5)));
    }

    fn service_schema() -> jsonschema::Validator {
        let schema: serde_json::Value = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs/service-log.schema.json"
        )))
        .unwrap();
        jsonschema::validator_for(&schema).unwrap()
    }

    /// A bare name gets HEC envelopes with the service's sourcetype; a
    /// JSON object chooses the format. Both forms match the schema.
    #[test]
    fn service_log_lines_follow_their_endpoints_format() {
        let line = ServiceLogLine {
            level: "warn",
            kind: "config",
            message: "config key ttl_marker = \"soon\": \"soon\" is not a whole number; using the default",
            request_id: "req-1",
        };
        let hec = parse_service_endpoint("dl_edge_service").unwrap();
        assert_eq!(
            (hec.format, hec.sourcetype.as_ref()),
            (Format::Hec, SERVICE_SOURCETYPE)
        );
        let text = line.to_line(&hec, "dl.k8s.io", 1_795_257_906_123);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["sourcetype"], "dl-edge:service");
        assert_eq!(value["time"], 1_795_257_906.123);
        assert_eq!(value["event"]["kind"], "config");
        assert_eq!(value["event"]["time"], "2026-11-21T10:45:06.123Z");
        let schema = service_schema();
        assert!(schema.is_valid(&value), "{text}");
        let bare = parse_service_endpoint(r#"{"name":"archive","format":"json"}"#).unwrap();
        assert_eq!(bare.sourcetype, SERVICE_SOURCETYPE);
        let text = line.to_line(&bare, "dl.k8s.io", 0);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["kind"], "config");
        assert!(schema.is_valid(&value), "{text}");
        assert!(!schema.is_valid(&serde_json::json!({"message": "raw panic text"})));
        assert!(parse_service_endpoint("std:out").is_err());
        assert!(parse_service_endpoint(r#"{"name":"x","format":"xml"}"#).is_err());
    }
}

//! Traffic to replay: the lines `dl-edge-ops traffic` writes from a
//! profile (`ops/profiles/dl-k8s-io.json` by default), and the service's
//! own log lines, client lines only.
//!
//! A traffic line is one JSON object per request, in time order:
//!
//! ```json
//! {"t":1795219200000,"method":"GET","path":"/release/v1.37.1/bin/linux/amd64/kubectl",
//!  "status":200,"size":57000000,"bytes":57000000,"lat":39.0,"lon":-77.5,
//!  "asn":8075,"continent":"NA","country":"US","region":"VA"}
//! ```
//!
//! `size` is the object's whole size (what a cache miss fetches), `bytes`
//! what the client got (a range, nothing for HEAD). The client is placed by
//! `cloud` + `cloud_region`, or `asn` + geo, or geo alone, as the service
//! places it; `lat` and `lon` pick its edge POP, or `pop` names it.

use std::borrow::Cow;

use serde::Deserialize;

use dl_edge::locality::{self, Geo, RegionGroup};

/// One request as the simulator replays it.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// Milliseconds since 1970.
    pub t: i64,
    pub head: bool,
    pub path: String,
    pub range: Option<String>,
    pub status: u16,
    /// The whole object's size, when known.
    pub size: Option<u64>,
    /// What reached the client.
    pub bytes: u64,
    pub group: RegionGroup,
    pub client: Client,
}

/// Where the request entered the CDN.
#[derive(Debug, Clone, PartialEq)]
pub enum Client {
    /// The edge POP, as the log line names it.
    Pop(String),
    /// The client's position; the nearest POP is its edge.
    At(f64, f64),
    /// Only the region group is known; its centre stands for the client.
    Group,
}

/// The fields a traffic line or a log record may carry; everything is
/// borrowed from the line, so reading ten million lines allocates little.
/// A traffic line's placing fields are [`Place`]'s, written out rather
/// than `#[serde(flatten)]`ed: flattening makes serde buffer every line
/// into an intermediate map before reading it.
#[derive(Deserialize)]
struct Line<'a> {
    #[serde(default)]
    schema: Option<u32>,
    // The traffic line's own fields.
    #[serde(default)]
    t: Option<i64>,
    #[serde(default, borrow)]
    method: Option<&'a str>,
    /// A path written with JSON escapes is copied; the rest are borrowed.
    #[serde(default, borrow)]
    path: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    range: Option<&'a str>,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    bytes: Option<u64>,
    #[serde(default)]
    lat: Option<f64>,
    #[serde(default)]
    lon: Option<f64>,
    #[serde(default, borrow)]
    pop: Option<&'a str>,
    #[serde(default, borrow)]
    cloud: Option<&'a str>,
    #[serde(default, borrow)]
    cloud_region: Option<&'a str>,
    #[serde(default)]
    asn: Option<u32>,
    #[serde(default, borrow)]
    continent: Option<&'a str>,
    #[serde(default, borrow)]
    country: Option<&'a str>,
    #[serde(default, borrow)]
    region: Option<&'a str>,
    // A log record's parts.
    /// A record's `time` object, or a HEC envelope's epoch seconds.
    #[serde(default)]
    time: Option<TimeField>,
    #[serde(default, borrow)]
    request: Option<RecordRequest<'a>>,
    #[serde(default, borrow)]
    client: Option<Place<'a>>,
    #[serde(default, borrow)]
    routing: Option<Routing<'a>>,
    #[serde(default)]
    response: Option<RecordResponse>,
    #[serde(default, borrow)]
    service: Option<Service<'a>>,
    // A HEC envelope's record.
    #[serde(default, borrow)]
    event: Option<Box<Line<'a>>>,
}

/// How a client is placed, in a traffic line or a record's `client`.
#[derive(Deserialize, Default)]
struct Place<'a> {
    #[serde(default, borrow)]
    cloud: Option<&'a str>,
    #[serde(default, borrow)]
    cloud_region: Option<&'a str>,
    #[serde(default)]
    asn: Option<u32>,
    #[serde(default, borrow)]
    continent: Option<&'a str>,
    #[serde(default, borrow)]
    country: Option<&'a str>,
    #[serde(default, borrow)]
    region: Option<&'a str>,
    #[serde(default, borrow)]
    group: Option<&'a str>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum TimeField {
    Record { start_epoch_ms: i64 },
    Envelope(serde::de::IgnoredAny),
}

#[derive(Deserialize)]
struct RecordRequest<'a> {
    #[serde(borrow)]
    method: &'a str,
    #[serde(borrow)]
    path: Cow<'a, str>,
    #[serde(default, borrow)]
    range: Option<&'a str>,
}

#[derive(Deserialize)]
struct Routing<'a> {
    #[serde(borrow)]
    role: &'a str,
}

#[derive(Deserialize)]
struct RecordResponse {
    status: u16,
    #[serde(default)]
    bytes_sent: u64,
    #[serde(default)]
    content_length: Option<u64>,
}

#[derive(Deserialize)]
struct Service<'a> {
    #[serde(borrow)]
    pop: &'a str,
}

/// What a line says, or why it is not replayed.
#[derive(Debug, Clone, PartialEq)]
pub enum Read {
    Request(Request),
    /// A shield's line for an edge's request: the edge's line counts it.
    ShieldLine,
    /// Not a request: a service-log line, garbage, an empty line.
    Skip,
}

/// Reads one line: a traffic line, a bare log record, a HEC envelope, or
/// Viceroy's `endpoint :: line` output of either.
pub fn read_line(line: &str) -> Read {
    let line = line.trim();
    let json = match line.find(" :: ") {
        Some(i) if !line.starts_with('{') => &line[i + 4..],
        _ => line,
    };
    let Ok(parsed) = serde_json::from_str::<Line>(json) else {
        return Read::Skip;
    };
    let parsed = match parsed.event {
        Some(event) => *event,
        None => parsed,
    };
    if parsed.schema.is_some() {
        from_record(parsed)
    } else {
        from_traffic(parsed)
    }
}

fn from_traffic(line: Line<'_>) -> Read {
    let (Some(t), Some(path)) = (line.t, line.path.as_deref()) else {
        return Read::Skip;
    };
    let client = match (line.pop, line.lat, line.lon) {
        (Some(pop), ..) => Client::Pop(pop.to_owned()),
        (None, Some(lat), Some(lon)) => Client::At(lat, lon),
        _ => Client::Group,
    };
    let bytes = line.bytes.unwrap_or(0);
    Read::Request(Request {
        t,
        head: line.method == Some("HEAD"),
        path: path.to_owned(),
        range: line.range.map(str::to_owned),
        status: line.status.unwrap_or(200),
        size: line.size.or((bytes > 0).then_some(bytes)),
        bytes,
        group: group_of(&Place {
            cloud: line.cloud,
            cloud_region: line.cloud_region,
            asn: line.asn,
            continent: line.continent,
            country: line.country,
            region: line.region,
            group: None,
        }),
        client,
    })
}

fn from_record(line: Line<'_>) -> Read {
    if line.routing.as_ref().is_some_and(|r| r.role != "edge") {
        return Read::ShieldLine;
    }
    let (Some(TimeField::Record { start_epoch_ms }), Some(request), Some(response)) =
        (line.time, line.request, line.response)
    else {
        return Read::Skip;
    };
    let place = line.client.unwrap_or_default();
    let client = match line.service {
        Some(service) if service.pop != "XXX" => Client::Pop(service.pop.to_owned()),
        _ => Client::Group,
    };
    let whole = matches!(response.status, 200) && !request.method.eq_ignore_ascii_case("HEAD");
    Read::Request(Request {
        t: start_epoch_ms,
        head: request.method.eq_ignore_ascii_case("HEAD"),
        path: request.path.into_owned(),
        range: request.range.map(str::to_owned),
        status: response.status,
        size: if whole {
            response.content_length.or(Some(response.bytes_sent))
        } else {
            None
        },
        bytes: response.bytes_sent,
        group: group_of(&place),
        client,
    })
}

/// The region group, as the service decides it: the group a record
/// names, else the cloud region, else an Azure ASN or geo.
fn group_of(place: &Place<'_>) -> RegionGroup {
    if let Some(group) = place.group.and_then(RegionGroup::parse) {
        return group;
    }
    if let (Some(cloud), Some(region)) = (place.cloud, place.cloud_region) {
        if let Some(group) = locality::group_for_cloud_region(cloud, region) {
            return group;
        }
    }
    let geo = Geo {
        asn: place.asn.unwrap_or(0),
        continent: place.continent.unwrap_or("").into(),
        country: place.country.unwrap_or("").into(),
        region: place.region.map(Into::into),
        ..Geo::default()
    };
    locality::locate(None, Some(&geo)).group
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_traffic_lines_placing_clients_as_the_service_does() {
        let Read::Request(r) = read_line(
            r#"{"t":5,"method":"HEAD","path":"/release/stable.txt","status":200,"size":7,"bytes":0,"lat":39.0,"lon":-77.5,"asn":8075,"continent":"NA","country":"US","region":"VA"}"#,
        ) else {
            panic!("a request")
        };
        assert!(r.head);
        assert_eq!((r.t, r.size, r.bytes), (5, Some(7), 0));
        assert_eq!(r.group, RegionGroup::NaEast);
        assert_eq!(r.client, Client::At(39.0, -77.5));
        let Read::Request(r) = read_line(
            r#"{"t":6,"path":"/x","bytes":3,"cloud":"aws","cloud_region":"eu-central-1"}"#,
        ) else {
            panic!("a request")
        };
        assert_eq!(r.group, RegionGroup::EuropeCentral);
        assert_eq!((r.status, r.size), (200, Some(3)));
        assert_eq!(read_line("garbage"), Read::Skip);
        assert_eq!(read_line(""), Read::Skip);
    }

    #[test]
    fn reads_client_log_lines_and_counts_shield_lines_apart() {
        let record = r#"{"schema":1,"time":{"start":"x","start_epoch_ms":1000,"duration_ms":1.0},"request":{"id":"a","method":"GET","host":"dl.k8s.io","path":"/release/stable.txt","query_dropped":false,"protocol":"HTTP/1.1"},"client":{"group":"asia-north","tool":"curl"},"artifact":{},"routing":{"role":"edge","failover":false},"response":{"status":200,"bytes_sent":7,"content_length":7},"service":{"pop":"TYO","version":"1"},"config_warnings":0}"#;
        let Read::Request(r) = read_line(record) else {
            panic!("a request")
        };
        assert_eq!(r.group, RegionGroup::AsiaNorth);
        assert_eq!(r.client, Client::Pop("TYO".into()));
        assert_eq!((r.t, r.size, r.bytes), (1000, Some(7), 7));
        let hec = format!(r#"splunk :: {{"time":1.0,"host":"dl.k8s.io","event":{record}}}"#);
        assert!(matches!(read_line(&hec), Read::Request(_)));
        let shield = record.replace(r#""role":"edge""#, r#""role":"shield""#);
        assert_eq!(read_line(&shield), Read::ShieldLine);
        let service = r#"dl_edge_service :: {"time":"x","level":"warn","kind":"config","message":"m","request_id":"a"}"#;
        assert_eq!(read_line(service), Read::Skip);
    }
}

//! Parsers of Config Store values: each returns the value, or why it is
//! not one as a [`ValueError`].

use std::fmt;

use crate::config::names::{is_bucket_name, is_route_prefix};
use crate::config::overrides::OverrideError;
use crate::primitives::few;
use crate::primitives::json::{self, Reader};
use crate::shield::PlanProblem;
use crate::telemetry::endpoint::EndpointError;
use crate::telemetry::privacy::IpMode;

/// A public path prefix and the bucket it is served from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub prefix: String,
    pub bucket: String,
    pub strip_prefix: bool,
    /// Tried when `bucket` (and a migration's other bucket) fails.
    pub fallback: Option<String>,
    /// The bucket a migration moves to; `bucket` is the old one.
    pub new_bucket: Option<String>,
    /// Share of objects (by a stable hash of their name) served from
    /// `new_bucket` first.
    pub new_percent: u8,
}

impl Route {
    const FIELDS: &'static [&'static str] = &[
        "prefix",
        "bucket",
        "strip_prefix",
        "fallback",
        "new_bucket",
        "new_percent",
    ];

    /// One entry of `routes`, before its names are checked.
    fn read(r: &mut Reader<'_>) -> Result<Route, json::Error> {
        let (mut prefix, mut bucket) = (None, None);
        let mut route = Route {
            prefix: String::new(),
            bucket: String::new(),
            strip_prefix: false,
            fallback: None,
            new_bucket: None,
            new_percent: 0,
        };
        r.fields(Self::FIELDS, |r, name| {
            match name {
                "prefix" => prefix = Some(r.string()?),
                "bucket" => bucket = Some(r.string()?),
                "strip_prefix" => route.strip_prefix = r.bool()?,
                "fallback" => route.fallback = Some(r.string()?),
                "new_bucket" => route.new_bucket = Some(r.string()?),
                "new_percent" => route.new_percent = r.uint()?,
                _ => r.skip()?,
            }
            Ok(())
        })?;
        route.prefix = json::required(prefix, "prefix")?;
        route.bucket = json::required(bucket, "bucket")?;
        Ok(route)
    }
}

/// How the bucket is named in origin requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginStyle {
    Path,
    VirtualHost,
}

/// Why a Config Store value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueError {
    /// Not the JSON shape the key takes (`expected`), with the reader's detail.
    Json {
        expected: &'static str,
        detail: String,
    },
    /// Not one of the words the key takes, listed.
    OneOf(&'static str),
    NoHosts,
    NotHostname(String),
    /// A backend name: letters, digits, `-` and `_`.
    NotName,
    NotBucket(String),
    /// A route prefix must start and end with `/`.
    RoutePrefix(String),
    /// A route's `new_percent` over 100.
    NewPercent(String),
    DuplicatePrefix(String),
    BackendOf {
        bucket: String,
        error: Box<ValueError>,
    },
    /// The version alias must start with `/` and not end with it.
    Alias,
    PrefixNotAbsolute(String),
    NotWholeNumber(String),
    OutOfRange {
        min: usize,
        max: usize,
    },
    NotRate,
    Endpoint(EndpointError),
    /// The whole plan (not a plan), or one entry of it (dropped alone).
    Plan(PlanProblem),
    /// One entry of the `overrides` list, refused while the others stand.
    Override {
        name: String,
        error: OverrideError,
    },
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ValueError::*;
        match self {
            Json { expected, detail } => write!(f, "not {expected}: {detail}"),
            OneOf(words) => write!(f, "must be {words}"),
            NoHosts => f.write_str("at least one host is needed"),
            NotHostname(v) => write!(f, "{v:?} is not a hostname"),
            NotName => f.write_str("must be letters, digits, - and _"),
            NotBucket(b) => write!(f, "{b:?} is not a GCS bucket name"),
            RoutePrefix(p) => write!(f, "route prefix {p:?} must start and end with /"),
            NewPercent(p) => write!(f, "route {p:?}: new_percent must be 0 to 100"),
            DuplicatePrefix(p) => write!(f, "route prefix {p:?} appears twice"),
            BackendOf { bucket, error } => write!(f, "backend of {bucket}: {error}"),
            Alias => f.write_str("must start with / and not end with /"),
            PrefixNotAbsolute(p) => write!(f, "prefix {p:?} must start with /"),
            NotWholeNumber(v) => write!(f, "{v:?} is not a whole number"),
            OutOfRange { min, max } => write!(f, "must be between {min} and {max}"),
            NotRate => f.write_str("must be a number between 0 and 1"),
            Endpoint(e) => e.fmt(f),
            Plan(problem) => problem.fmt(f),
            Override { name, error } => {
                write!(f, "override {name}: {error}; the override is refused")
            }
        }
    }
}

impl From<EndpointError> for ValueError {
    fn from(e: EndpointError) -> Self {
        ValueError::Endpoint(e)
    }
}

impl From<PlanProblem> for ValueError {
    fn from(problem: PlanProblem) -> Self {
        ValueError::Plan(problem)
    }
}

/// A JSON value of the shape `read` takes, or why not.
pub fn json<T>(
    value: &str,
    expected: &'static str,
    read: impl FnOnce(&mut Reader<'_>) -> Result<T, json::Error>,
) -> Result<T, ValueError> {
    json::read(value, read).map_err(|e| ValueError::Json {
        expected,
        detail: e.to_string(),
    })
}

pub fn list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}

pub fn parse_hosts(value: &str) -> Result<Vec<String>, ValueError> {
    let hosts: Vec<String> = list(value)
        .map(|h| {
            parse_hostname(h).map(|mut h| {
                h.make_ascii_lowercase();
                h
            })
        })
        .collect::<Result<_, _>>()?;
    if hosts.is_empty() {
        return Err(ValueError::NoHosts);
    }
    Ok(hosts)
}

pub fn parse_hostname(value: &str) -> Result<String, ValueError> {
    let valid = !value.is_empty()
        && value.len() <= 253
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if valid {
        Ok(value.to_owned())
    } else {
        Err(ValueError::NotHostname(value.to_owned()))
    }
}

pub fn parse_name(value: &str) -> Result<String, ValueError> {
    let valid = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
    if valid {
        Ok(value.to_owned())
    } else {
        Err(ValueError::NotName)
    }
}

pub fn check_bucket(name: &str) -> Result<(), ValueError> {
    if is_bucket_name(name) {
        Ok(())
    } else {
        Err(ValueError::NotBucket(name.to_owned()))
    }
}

pub fn check_route_prefix(prefix: &str) -> Result<(), ValueError> {
    if is_route_prefix(prefix) {
        Ok(())
    } else {
        Err(ValueError::RoutePrefix(prefix.to_owned()))
    }
}

/// Longest prefix first, so the first route that matches is the most
/// specific one.
pub fn sort_routes(routes: &mut [Route]) {
    few::sort_by(routes, |a, b| a.prefix.len() > b.prefix.len());
}

pub fn parse_routes(value: &str) -> Result<Vec<Route>, ValueError> {
    let mut routes = json(value, "a list of routes", |r| r.list_of(Route::read))?;
    for route in &routes {
        check_route_prefix(&route.prefix)?;
        let buckets = [
            Some(&route.bucket),
            route.fallback.as_ref(),
            route.new_bucket.as_ref(),
        ];
        for bucket in buckets.into_iter().flatten() {
            check_bucket(bucket)?;
        }
        if route.new_percent > 100 {
            return Err(ValueError::NewPercent(route.prefix.clone()));
        }
    }
    sort_routes(&mut routes);
    if let Some(pair) = routes.windows(2).find(|w| w[0].prefix == w[1].prefix) {
        return Err(ValueError::DuplicatePrefix(pair[0].prefix.clone()));
    }
    Ok(routes)
}

pub fn parse_buckets(value: &str) -> Result<Vec<String>, ValueError> {
    list(value)
        .map(|b| check_bucket(b).map(|()| b.to_owned()))
        .collect()
}

pub fn parse_bucket_backends(value: &str) -> Result<few::Map<String, String>, ValueError> {
    let map = json(value, "an object of bucket to backend", |r| {
        r.strings_by_name()
    })?;
    for (bucket, backend) in &map {
        check_bucket(bucket)?;
        parse_name(backend).map_err(|e| ValueError::BackendOf {
            bucket: bucket.clone(),
            error: Box::new(e),
        })?;
    }
    Ok(map)
}

pub fn parse_alias(value: &str) -> Result<String, ValueError> {
    if value.is_empty() {
        return Ok(String::new());
    }
    if !value.starts_with('/') || value.ends_with('/') {
        return Err(ValueError::Alias);
    }
    Ok(value.to_owned())
}

pub fn parse_prefixes(value: &str) -> Result<Vec<String>, ValueError> {
    list(value)
        .map(|p| {
            if p.starts_with('/') {
                Ok(p.to_owned())
            } else {
                Err(ValueError::PrefixNotAbsolute(p.to_owned()))
            }
        })
        .collect()
}

pub fn parse_origin_style(value: &str) -> Result<OriginStyle, ValueError> {
    match value {
        "path" => Ok(OriginStyle::Path),
        "virtual-host" => Ok(OriginStyle::VirtualHost),
        _ => Err(ValueError::OneOf("`path` or `virtual-host`")),
    }
}

pub fn parse_int(value: &str, min: usize, max: usize) -> Result<usize, ValueError> {
    let n: usize = value
        .parse()
        .map_err(|_| ValueError::NotWholeNumber(value.to_owned()))?;
    if n < min || n > max {
        return Err(ValueError::OutOfRange { min, max });
    }
    Ok(n)
}

pub fn parse_bool(value: &str) -> Result<bool, ValueError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ValueError::OneOf("true or false")),
    }
}

pub fn parse_rate(value: &str) -> Result<f64, ValueError> {
    match value.parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
        _ => Err(ValueError::NotRate),
    }
}

pub fn parse_seconds(value: &str) -> Result<u32, ValueError> {
    parse_int(value, 0, 10 * 365 * 24 * 3600).map(|n| n as u32)
}

pub fn parse_ip_mode(value: &str) -> Result<IpMode, ValueError> {
    IpMode::parse(value).ok_or(ValueError::OneOf("full, truncated, hashed or none"))
}

//! Parsers of Config Store values: each returns the value, or why it is
//! not one.

use serde::Deserialize;

/// A public path prefix and the bucket it is served from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub prefix: String,
    pub bucket: String,
    #[serde(default)]
    pub strip_prefix: bool,
    /// Tried when `bucket` (and a migration's other bucket) fails.
    #[serde(default)]
    pub fallback: Option<String>,
    /// The bucket a migration moves to; `bucket` is the old one.
    #[serde(default)]
    pub new_bucket: Option<String>,
    /// Share of objects (by a stable hash of their name) served from
    /// `new_bucket` first.
    #[serde(default)]
    pub new_percent: u8,
}

/// How the bucket is named in origin requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginStyle {
    Path,
    VirtualHost,
}

pub fn list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}

pub fn parse_hosts(value: &str) -> Result<Vec<String>, String> {
    let hosts: Vec<String> = list(value)
        .map(|h| parse_hostname(h).map(|h| h.to_ascii_lowercase()))
        .collect::<Result<_, _>>()?;
    if hosts.is_empty() {
        return Err("at least one host is needed".into());
    }
    Ok(hosts)
}

pub fn parse_hostname(value: &str) -> Result<String, String> {
    let valid = !value.is_empty()
        && value.len() <= 253
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if valid {
        Ok(value.to_owned())
    } else {
        Err(format!("{value:?} is not a hostname"))
    }
}

pub fn parse_name(value: &str) -> Result<String, String> {
    let valid = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
    if valid {
        Ok(value.to_owned())
    } else {
        Err("must be letters, digits, - and _".into())
    }
}

/// GCS bucket names: 3 to 63 of lowercase letters, digits, `-`, `_`, `.`.
pub fn valid_bucket(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        })
}

pub fn parse_routes(value: &str) -> Result<Vec<Route>, String> {
    let mut routes: Vec<Route> =
        serde_json::from_str(value).map_err(|e| format!("not a list of routes: {e}"))?;
    for route in &routes {
        if !route.prefix.starts_with('/') || !route.prefix.ends_with('/') {
            return Err(format!(
                "route prefix {:?} must start and end with /",
                route.prefix
            ));
        }
        let buckets = [
            Some(&route.bucket),
            route.fallback.as_ref(),
            route.new_bucket.as_ref(),
        ];
        if let Some(bad) = buckets.into_iter().flatten().find(|b| !valid_bucket(b)) {
            return Err(format!("{bad:?} is not a GCS bucket name"));
        }
        if route.new_percent > 100 {
            return Err(format!(
                "route {:?}: new_percent must be 0 to 100",
                route.prefix
            ));
        }
    }
    routes.sort_by_key(|r| std::cmp::Reverse(r.prefix.len()));
    if let Some(pair) = routes.windows(2).find(|w| w[0].prefix == w[1].prefix) {
        return Err(format!("route prefix {:?} appears twice", pair[0].prefix));
    }
    Ok(routes)
}

pub fn parse_buckets(value: &str) -> Result<Vec<String>, String> {
    list(value)
        .map(|b| {
            if valid_bucket(b) {
                Ok(b.to_owned())
            } else {
                Err(format!("{b:?} is not a GCS bucket name"))
            }
        })
        .collect()
}

pub fn parse_bucket_backends(
    value: &str,
) -> Result<std::collections::BTreeMap<String, String>, String> {
    let map: std::collections::BTreeMap<String, String> = serde_json::from_str(value)
        .map_err(|e| format!("not an object of bucket to backend: {e}"))?;
    for (bucket, backend) in &map {
        if !valid_bucket(bucket) {
            return Err(format!("{bucket:?} is not a GCS bucket name"));
        }
        parse_name(backend).map_err(|e| format!("backend of {bucket}: {e}"))?;
    }
    Ok(map)
}

pub fn parse_alias(value: &str) -> Result<String, String> {
    if value.is_empty() {
        return Ok(String::new());
    }
    if !value.starts_with('/') || value.ends_with('/') {
        return Err("must start with / and not end with /".into());
    }
    Ok(value.to_owned())
}

pub fn parse_prefixes(value: &str) -> Result<Vec<String>, String> {
    list(value)
        .map(|p| {
            if p.starts_with('/') {
                Ok(p.to_owned())
            } else {
                Err(format!("prefix {p:?} must start with /"))
            }
        })
        .collect()
}

pub fn parse_origin_style(value: &str) -> Result<OriginStyle, String> {
    match value {
        "path" => Ok(OriginStyle::Path),
        "virtual-host" => Ok(OriginStyle::VirtualHost),
        _ => Err("must be `path` or `virtual-host`".into()),
    }
}

pub fn parse_int(value: &str, min: usize, max: usize) -> Result<usize, String> {
    let n: usize = value
        .parse()
        .map_err(|_| format!("{value:?} is not a whole number"))?;
    if n < min || n > max {
        return Err(format!("must be between {min} and {max}"));
    }
    Ok(n)
}

pub fn parse_bool(value: &str) -> Result<bool, String> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("must be true or false".into()),
    }
}

pub fn parse_rate(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
        _ => Err("must be a number between 0 and 1".into()),
    }
}

pub fn parse_seconds(value: &str) -> Result<u32, String> {
    parse_int(value, 0, 10 * 365 * 24 * 3600).map(|n| n as u32)
}

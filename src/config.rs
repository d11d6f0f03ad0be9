//! Tuning read from the Config Store (`dl_edge_config`).
//!
//! Every key is declared once in [`KEYS`], beside its default and its
//! meaning; the README table is checked against that list. Every key is
//! parsed before anything is reported, so all bad values come back together,
//! and each bad value falls back to its default: serving never fails because
//! of config.

use std::collections::HashMap;

use serde::Deserialize;

use crate::log_endpoint::{check_endpoint_name, parse_endpoints, LogEndpoint};
use crate::overrides::{self, Override};
use crate::privacy::IpMode;
use crate::shield::Plan;

/// Where config values come from: the Config Store in the shell, a map in
/// tests and native tools.
pub trait ConfigSource {
    fn get(&self, key: &str) -> Option<String>;
}

impl ConfigSource for HashMap<String, String> {
    fn get(&self, key: &str) -> Option<String> {
        HashMap::get(self, key).cloned()
    }
}

impl ConfigSource for HashMap<&str, &str> {
    fn get(&self, key: &str) -> Option<String> {
        HashMap::get(self, key).map(|v| (*v).to_owned())
    }
}

/// One Config Store key: its name, value type, default and effect.
pub struct Key {
    pub name: &'static str,
    pub kind: &'static str,
    pub default: &'static str,
    pub effect: &'static str,
}

/// Every key the service reads, with its default (the Kubernetes profile).
pub const KEYS: &[Key] = &[
    Key {
        name: "hosts",
        kind: "comma-separated hostnames",
        default: "dl.k8s.io,cdn.dl.k8s.io,dl.k8s.dev",
        effect: "Host header values served; others get 421. The port is ignored.",
    },
    Key {
        name: "routes",
        kind: "JSON list of {prefix, bucket, strip_prefix}",
        default: r#"[{"prefix":"/ci/kops/","bucket":"k8s-staging-kops","strip_prefix":true},{"prefix":"/ci/","bucket":"k8s-release-dev"},{"prefix":"/","bucket":"kubernetes-release"}]"#,
        effect: "Public path prefix to bucket; the longest prefix wins. With strip_prefix the prefix is removed from the object name. A path no route matches gets 404 at the edge.",
    },
    Key {
        name: "version_alias",
        kind: "path prefix or empty",
        default: "/release",
        effect: "`/vX.Y.Z/...` is served as `<alias>/vX.Y.Z/...`; empty turns the alias off.",
    },
    Key {
        name: "allowed_prefixes",
        kind: "comma-separated path prefixes or empty",
        default: "",
        effect: "Empty: every path goes to its route. Otherwise an allowlist: a path (after `/` and alias rewriting) outside these prefixes gets 404 without an origin fetch.",
    },
    Key {
        name: "origin_backend",
        kind: "backend name",
        default: "gcs",
        effect: "The fastly.toml backend that reaches GCS.",
    },
    Key {
        name: "origin_host",
        kind: "hostname",
        default: "storage.googleapis.com",
        effect: "The GCS XML API host.",
    },
    Key {
        name: "origin_style",
        kind: "`path` or `virtual-host`",
        default: "path",
        effect: "Path style: `GET /<bucket>/<object>` with Host `<origin_host>`; virtual-host style: `GET /<object>` with Host `<bucket>.<origin_host>`.",
    },
    Key {
        name: "bucket_backends",
        kind: "JSON object {bucket: backend name}",
        default: "{}",
        effect: "The backend for a bucket (another region, another timeout); buckets not listed use `origin_backend`.",
    },
    Key {
        name: "signed_buckets",
        kind: "comma-separated bucket names",
        default: "",
        effect: "Private buckets: origin requests to these are signed with GCS HMAC keys (SigV4, region `auto`) read from the Secret Store `dl_edge_secrets` as `hmac.<bucket>.access_key` and `hmac.<bucket>.secret_key`. A refused signature is a 502 for the client and an error on the service log.",
    },
    Key {
        name: "max_path_bytes",
        kind: "integer, 1..=8192",
        default: "1024",
        effect: "Longest raw request path accepted; longer gets 400.",
    },
    Key {
        name: "max_header_bytes",
        kind: "integer, 1024..=1048576",
        default: "16384",
        effect: "Largest total size of request header names and values; larger gets 431.",
    },
    Key {
        name: "ttl_immutable",
        kind: "seconds",
        default: "31536000",
        effect: "Edge TTL and client max-age for artifacts under a release version directory.",
    },
    Key {
        name: "ttl_marker",
        kind: "seconds",
        default: "60",
        effect: "Edge TTL and client max-age for markers (stable.txt, latest-1.31.txt, ...).",
    },
    Key {
        name: "ttl_mutable",
        kind: "seconds",
        default: "300",
        effect: "Edge TTL and client max-age for other files (index.html, JSON, ...).",
    },
    Key {
        name: "ttl_not_found",
        kind: "seconds, at most 300",
        default: "10",
        effect: "Edge TTL and client max-age for 404 and 410 answers from the origin.",
    },
    Key {
        name: "stale_while_revalidate",
        kind: "seconds",
        default: "60",
        effect: "How long the edge may serve a stale copy while it revalidates (cacheable classes).",
    },
    Key {
        name: "stale_if_error",
        kind: "seconds",
        default: "86400",
        effect: "How long the edge may serve a stale copy while the origin fails (cacheable classes).",
    },
    Key {
        name: "log_endpoints",
        kind: "JSON list of {name, format, sample_rate, min_class, index, source, sourcetype}",
        default: r#"[{"name":"splunk","format":"hec"}]"#,
        effect: "Where each request's log line goes. `format` is `hec` (Splunk HTTP Event Collector envelope) or `json` (the bare record); `sample_rate` 0..1 (default 1) samples by request id; `min_class` `all` (default) or `errors`. `index`, `source` (default `dl-edge`) and `sourcetype` (default `dl-edge:request`) fill the HEC envelope.",
    },
    Key {
        name: "service_log_endpoint",
        kind: "log endpoint name",
        default: "dl_edge_service",
        effect: "Receives the service's own warnings (bad config values, unknown endpoints, origin failures) and panics, as JSON lines.",
    },
    Key {
        name: "warning_sample_rate",
        kind: "number, 0..=1",
        default: "0.01",
        effect: "Share of requests (by request id) that repeat config warnings to the service log; each request re-reads the config, so 1 would write a warning on every request while a value is bad.",
    },
    Key {
        name: "log_client_ip",
        kind: "`full`, `truncated`, `hashed` or `none`",
        default: "truncated",
        effect: "Client IP in log lines: in full, truncated to /24 (IPv4) or /48 (IPv6), HMAC-SHA256 with the salt `log_ip_salt` from the Secret Store `dl_edge_secrets` (truncated if the salt is missing), or left out.",
    },
    Key {
        name: "log_at_shield",
        kind: "`true` or `false`",
        default: "true",
        effect: "Whether a shield writes a line (marked `role: shield`) for the requests edges send it; the edge always writes the client's line.",
    },
    Key {
        name: "overrides",
        kind: "JSON list of {name, kind, expires, ...}",
        default: "[]",
        effect: "Emergency overrides, each with a mandatory UTC expiry (`\"expires\":\"2026-11-22T18:00:00Z\"`), ignored once past it: `{\"kind\":\"force_bucket\",\"prefix\":\"/release/\",\"bucket\":...}`, `{\"kind\":\"no_shield\"}`, `{\"kind\":\"max_ttl\",\"seconds\":60}`. Every log line names the overrides in force; an entry without a valid expiry is refused with a warning.",
    },
    Key {
        name: "shield_plan",
        kind: "JSON shield plan (docs/shielding.md)",
        default: r#"{"default":["chi-il-us"],"unversioned":["chi-il-us"]}"#,
        effect: "Which shield POP fetches each request from the origin, by region group and release version; the default is one static shield, as Kubernetes runs today. Check a plan with `dl-edge-ops plan check` before uploading it.",
    },
];

/// Longest TTL a 404 may get, whatever the config says (product rule 1).
pub const MAX_NOT_FOUND_TTL: u32 = 300;

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

/// Edge TTLs and stale windows, in seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheSettings {
    pub immutable_ttl: u32,
    pub marker_ttl: u32,
    pub mutable_ttl: u32,
    pub not_found_ttl: u32,
    pub stale_while_revalidate: u32,
    pub stale_if_error: u32,
}

/// The parsed configuration used for one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub hosts: Vec<String>,
    /// Sorted longest prefix first.
    pub routes: Vec<Route>,
    pub version_alias: String,
    pub allowed_prefixes: Vec<String>,
    pub origin_backend: String,
    pub origin_host: String,
    pub origin_style: OriginStyle,
    pub signed_buckets: Vec<String>,
    pub bucket_backends: std::collections::BTreeMap<String, String>,
    pub max_path_bytes: usize,
    pub max_header_bytes: usize,
    pub cache: CacheSettings,
    pub logging: LogSettings,
    pub shield_plan: Plan,
    pub overrides: Vec<Override>,
}

/// Where and how request lines are written.
#[derive(Debug, Clone, PartialEq)]
pub struct LogSettings {
    pub endpoints: Vec<LogEndpoint>,
    pub service_endpoint: String,
    pub warning_sample_rate: f64,
    pub client_ip: IpMode,
    pub at_shield: bool,
}

/// A bad config value that was replaced by its default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    pub key: &'static str,
    pub value: String,
    pub reason: String,
    /// The whole key fell back to its default (otherwise one entry of a
    /// list was dropped).
    pub fell_back: bool,
}

impl std::fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "config key {} = {:?}: {}",
            self.key, self.value, self.reason
        )?;
        if self.fell_back {
            write!(f, "; using the default")?;
        }
        Ok(())
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::load(&HashMap::<String, String>::new()).0
    }
}

impl Config {
    /// Reads every key, parses it, and replaces each bad value by its
    /// default. Returns the config and every problem found.
    pub fn load(source: &dyn ConfigSource) -> (Config, Vec<ConfigWarning>) {
        let mut reader = Reader {
            source,
            warnings: Vec::new(),
        };
        let config = Config {
            hosts: reader.read("hosts", parse_hosts),
            routes: reader.read("routes", parse_routes),
            version_alias: reader.read("version_alias", parse_alias),
            allowed_prefixes: reader.read("allowed_prefixes", parse_prefixes),
            origin_backend: reader.read("origin_backend", parse_name),
            origin_host: reader.read("origin_host", parse_hostname),
            origin_style: reader.read("origin_style", parse_origin_style),
            signed_buckets: reader.read("signed_buckets", parse_buckets),
            bucket_backends: reader.read("bucket_backends", parse_bucket_backends),
            max_path_bytes: reader.read("max_path_bytes", |v| parse_int(v, 1, 8192)),
            max_header_bytes: reader.read("max_header_bytes", |v| parse_int(v, 1024, 1 << 20)),
            cache: CacheSettings {
                immutable_ttl: reader.read("ttl_immutable", parse_seconds),
                marker_ttl: reader.read("ttl_marker", parse_seconds),
                mutable_ttl: reader.read("ttl_mutable", parse_seconds),
                not_found_ttl: reader.read("ttl_not_found", |v| {
                    parse_int(v, 0, MAX_NOT_FOUND_TTL as usize).map(|n| n as u32)
                }),
                stale_while_revalidate: reader.read("stale_while_revalidate", parse_seconds),
                stale_if_error: reader.read("stale_if_error", parse_seconds),
            },
            logging: LogSettings {
                endpoints: reader.read("log_endpoints", parse_endpoints),
                service_endpoint: reader.read("service_log_endpoint", |v| {
                    check_endpoint_name(v).map(|()| v.to_owned())
                }),
                warning_sample_rate: reader.read("warning_sample_rate", parse_rate),
                client_ip: reader.read("log_client_ip", IpMode::parse),
                at_shield: reader.read("log_at_shield", parse_bool),
            },
            shield_plan: reader.read("shield_plan", |v| Plan::parse(v).map_err(|p| p.join("; "))),
            overrides: reader.read_partly("overrides", overrides::parse),
        };
        (config, reader.warnings)
    }

    /// The route with the longest prefix that `path` starts with.
    pub fn route_for(&self, path: &str) -> Option<&Route> {
        self.routes.iter().find(|r| path.starts_with(&r.prefix))
    }

    /// Whether `host` (a Host header value, port allowed) is served.
    pub fn serves_host(&self, host: &str) -> bool {
        let name = strip_port(host);
        self.hosts.iter().any(|h| h.eq_ignore_ascii_case(name))
    }
}

/// The hostname of a Host header value: `dl.k8s.io:443` → `dl.k8s.io`,
/// `[::1]:7676` → `[::1]`.
pub fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |end| &host[..=end]);
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

struct Reader<'a> {
    source: &'a dyn ConfigSource,
    warnings: Vec<ConfigWarning>,
}

impl Reader<'_> {
    /// Parses `key` from the source, or its default; a bad value is
    /// recorded and the default used instead.
    fn read<T>(&mut self, key: &'static str, parse: impl Fn(&str) -> Result<T, String>) -> T {
        if let Some(value) = self.source.get(key) {
            match parse(value.trim()) {
                Ok(parsed) => return parsed,
                Err(reason) => self.warnings.push(ConfigWarning {
                    key,
                    value,
                    reason,
                    fell_back: true,
                }),
            }
        }
        parse(default_of(key))
            .unwrap_or_else(|e| panic!("built-in default of {key} is invalid: {e}"))
    }
}

impl Reader<'_> {
    /// Like `read`, for a list whose bad entries are dropped one by one
    /// (each reported) while the good ones stand.
    fn read_partly<T>(
        &mut self,
        key: &'static str,
        parse: impl Fn(&str) -> Result<(T, Vec<overrides::Refused>), String>,
    ) -> T {
        let value = self.source.get(key);
        let text = value.as_deref().map_or_else(|| default_of(key), str::trim);
        match parse(text) {
            Ok((parsed, refused)) => {
                for (entry, reason) in refused {
                    self.warnings.push(ConfigWarning {
                        key,
                        value: entry,
                        reason,
                        fell_back: false,
                    });
                }
                parsed
            }
            Err(reason) => {
                self.warnings.push(ConfigWarning {
                    key,
                    value: value.unwrap_or_default(),
                    reason,
                    fell_back: true,
                });
                parse(default_of(key)).expect("built-in default is valid").0
            }
        }
    }
}

fn default_of(key: &str) -> &'static str {
    KEYS.iter()
        .find(|k| k.name == key)
        .map(|k| k.default)
        .unwrap_or_else(|| panic!("config key {key} is not declared in KEYS"))
}

fn list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}

fn parse_hosts(value: &str) -> Result<Vec<String>, String> {
    let hosts: Vec<String> = list(value)
        .map(|h| parse_hostname(h).map(|h| h.to_ascii_lowercase()))
        .collect::<Result<_, _>>()?;
    if hosts.is_empty() {
        return Err("at least one host is needed".into());
    }
    Ok(hosts)
}

fn parse_hostname(value: &str) -> Result<String, String> {
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

fn parse_name(value: &str) -> Result<String, String> {
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
fn valid_bucket(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        })
}

fn parse_routes(value: &str) -> Result<Vec<Route>, String> {
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

fn parse_buckets(value: &str) -> Result<Vec<String>, String> {
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

fn parse_bucket_backends(
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

fn parse_alias(value: &str) -> Result<String, String> {
    if value.is_empty() {
        return Ok(String::new());
    }
    if !value.starts_with('/') || value.ends_with('/') {
        return Err("must start with / and not end with /".into());
    }
    Ok(value.to_owned())
}

fn parse_prefixes(value: &str) -> Result<Vec<String>, String> {
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

fn parse_origin_style(value: &str) -> Result<OriginStyle, String> {
    match value {
        "path" => Ok(OriginStyle::Path),
        "virtual-host" => Ok(OriginStyle::VirtualHost),
        _ => Err("must be `path` or `virtual-host`".into()),
    }
}

fn parse_int(value: &str, min: usize, max: usize) -> Result<usize, String> {
    let n: usize = value
        .parse()
        .map_err(|_| format!("{value:?} is not a whole number"))?;
    if n < min || n > max {
        return Err(format!("must be between {min} and {max}"));
    }
    Ok(n)
}

fn parse_bool(value: &str) -> Result<bool, String> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("must be true or false".into()),
    }
}

fn parse_rate(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
        _ => Err("must be a number between 0 and 1".into()),
    }
}

fn parse_seconds(value: &str) -> Result<u32, String> {
    parse_int(value, 0, 10 * 365 * 24 * 3600).map(|n| n as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(pairs: &[(&str, &str)]) -> (Config, Vec<ConfigWarning>) {
        let map: HashMap<&str, &str> = pairs.iter().copied().collect();
        Config::load(&map)
    }

    #[test]
    fn every_default_parses_without_warnings() {
        let (config, warnings) = load(&[]);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(config.hosts, ["dl.k8s.io", "cdn.dl.k8s.io", "dl.k8s.dev"]);
        assert_eq!(config.routes[0].prefix, "/ci/kops/");
        assert_eq!(config.routes.last().unwrap().prefix, "/");
        assert_eq!(config.cache.immutable_ttl, 31_536_000);
        assert_eq!(config.cache.marker_ttl, 60);
        assert_eq!(config.cache.not_found_ttl, 10);
        assert_eq!(config.origin_style, OriginStyle::Path);
    }

    #[test]
    fn every_bad_value_is_reported_in_one_pass_and_replaced_by_its_default() {
        let (config, warnings) = load(&[
            ("hosts", ""),
            ("routes", "[{\"prefix\":\"ci\",\"bucket\":\"b\"}]"),
            ("version_alias", "release"),
            ("origin_style", "sideways"),
            ("max_path_bytes", "-3"),
            ("ttl_marker", "soon"),
            ("ttl_not_found", "86400"),
            ("allowed_prefixes", "release/"),
        ]);
        let keys: Vec<&str> = warnings.iter().map(|w| w.key).collect();
        assert_eq!(
            keys,
            [
                "hosts",
                "routes",
                "version_alias",
                "allowed_prefixes",
                "origin_style",
                "max_path_bytes",
                "ttl_marker",
                "ttl_not_found"
            ]
        );
        assert_eq!(config, Config::default());
        assert!(warnings[7].to_string().contains("between 0 and 300"));
    }

    #[test]
    fn good_values_replace_defaults() {
        let (config, warnings) = load(&[
            ("hosts", "Example.org, dl.example.org"),
            (
                "routes",
                r#"[{"prefix":"/","bucket":"main-bucket"},{"prefix":"/nightly/","bucket":"nightly","strip_prefix":true}]"#,
            ),
            ("origin_style", "virtual-host"),
            ("ttl_marker", "30"),
            ("version_alias", ""),
        ]);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(config.hosts, ["example.org", "dl.example.org"]);
        assert_eq!(config.routes[0].prefix, "/nightly/", "longest prefix first");
        assert_eq!(config.origin_style, OriginStyle::VirtualHost);
        assert_eq!(config.cache.marker_ttl, 30);
        assert_eq!(config.version_alias, "");
    }

    #[test]
    fn duplicate_route_prefixes_are_refused() {
        let (_, warnings) = load(&[(
            "routes",
            r#"[{"prefix":"/","bucket":"aaa"},{"prefix":"/","bucket":"bbb"}]"#,
        )]);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].reason.contains("twice"));
    }

    #[test]
    fn hosts_match_without_port_or_case() {
        let config = Config::default();
        for host in ["dl.k8s.io", "DL.K8S.IO", "dl.k8s.io:443", "cdn.dl.k8s.io"] {
            assert!(config.serves_host(host), "{host}");
        }
        for host in ["evil.example", "dl.k8s.io.evil.example", "", "[::1]:80"] {
            assert!(!config.serves_host(host), "{host}");
        }
    }

    /// `fastly compute publish` creates the store with these items on a new
    /// service, so they must be the defaults (an empty default has none).
    #[test]
    fn fastly_toml_setup_carries_every_default() {
        let manifest = include_str!("../fastly.toml");
        for key in KEYS.iter().filter(|k| !k.default.is_empty()) {
            let item = format!(
                "[setup.config_stores.dl_edge_config.items.{}]\nvalue = '{}'\n",
                key.name, key.default
            );
            assert!(manifest.contains(&item), "fastly.toml lacks {item}");
        }
    }

    #[test]
    fn the_default_shield_plan_is_the_builtin_one() {
        assert_eq!(default_of("shield_plan"), crate::shield::DEFAULT_PLAN);
        assert_eq!(Config::default().shield_plan, Plan::builtin());
    }

    #[test]
    fn readme_documents_every_key() {
        let readme = include_str!("../README.md");
        for key in KEYS {
            assert!(
                readme.contains(&format!("| `{}` |", key.name)),
                "README.md config table lacks {}",
                key.name
            );
        }
    }
}

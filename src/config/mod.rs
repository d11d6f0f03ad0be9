//! Tuning read from the Config Store (`dl_edge_config`).
//!
//! Every key is declared once in [`KEYS`], beside its default and its
//! meaning; the README table is checked against that list. Every key is
//! parsed before anything is reported, so all bad values come back together,
//! and each bad value falls back to its default: serving never fails because
//! of config.

use std::borrow::Cow;
use std::collections::HashMap;

pub mod keys;
pub mod names;
pub mod overrides;
pub mod snapshot;
pub mod values;

use crate::key;
use crate::shield::{Plan, PlanProblem};
use crate::telemetry::endpoint::{parse_endpoints, parse_service_endpoint, LogEndpoint};
use crate::telemetry::privacy::IpMode;
pub use keys::{Declared, Key, KEYS};
use overrides::Override;
use values::*;
pub use values::{OriginStyle, Route, ValueError};

/// Where config values come from: the Config Store in the shell, a map in
/// tests and native tools.
/// A value is lent where the source holds it (a snapshot, a map), so
/// reading the config copies no value it does not keep.
pub trait ConfigSource {
    fn get(&self, key: Declared) -> Option<Cow<'_, str>>;
}

impl ConfigSource for HashMap<String, String> {
    fn get(&self, key: Declared) -> Option<Cow<'_, str>> {
        HashMap::get(self, key.name()).map(|v| Cow::Borrowed(v.as_str()))
    }
}

impl ConfigSource for HashMap<&str, &str> {
    fn get(&self, key: Declared) -> Option<Cow<'_, str>> {
        HashMap::get(self, key.name()).map(|v| Cow::Borrowed(*v))
    }
}

/// Longest TTL a 404 may get, whatever the config says (product rule 1).
pub const MAX_NOT_FOUND_TTL: u32 = 300;

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
    pub bucket_backends: crate::primitives::few::Map<String, String>,
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
    /// Where the service's own log goes, and in which format.
    pub service_endpoint: LogEndpoint,
    pub warning_sample_rate: f64,
    pub client_ip: IpMode,
    pub at_shield: bool,
}

/// A bad config value that was replaced by its default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    pub key: &'static str,
    pub value: String,
    pub reason: ValueError,
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
            hosts: reader.read(key!("hosts"), parse_hosts),
            routes: reader.read(key!("routes"), parse_routes),
            version_alias: reader.read(key!("version_alias"), parse_alias),
            allowed_prefixes: reader.read(key!("allowed_prefixes"), parse_prefixes),
            origin_backend: reader.read(key!("origin_backend"), parse_name),
            origin_host: reader.read(key!("origin_host"), parse_hostname),
            origin_style: reader.read(key!("origin_style"), parse_origin_style),
            signed_buckets: reader.read(key!("signed_buckets"), parse_buckets),
            bucket_backends: reader.read(key!("bucket_backends"), parse_bucket_backends),
            max_path_bytes: reader.read(key!("max_path_bytes"), |v| parse_int(v, 1, 8192)),
            max_header_bytes: reader
                .read(key!("max_header_bytes"), |v| parse_int(v, 1024, 1 << 20)),
            cache: CacheSettings {
                immutable_ttl: reader.read(key!("ttl_immutable"), parse_seconds),
                marker_ttl: reader.read(key!("ttl_marker"), parse_seconds),
                mutable_ttl: reader.read(key!("ttl_mutable"), parse_seconds),
                not_found_ttl: reader.read(key!("ttl_not_found"), |v| {
                    parse_int(v, 0, MAX_NOT_FOUND_TTL as usize).map(|n| n as u32)
                }),
                stale_while_revalidate: reader.read(key!("stale_while_revalidate"), parse_seconds),
                stale_if_error: reader.read(key!("stale_if_error"), parse_seconds),
            },
            logging: LogSettings {
                endpoints: reader.read(key!("log_endpoints"), parse_endpoints),
                service_endpoint: reader.read(key!("service_log_endpoint"), parse_service_endpoint),
                warning_sample_rate: reader.read(key!("warning_sample_rate"), parse_rate),
                client_ip: reader.read(key!("log_client_ip"), parse_ip_mode),
                at_shield: reader.read(key!("log_at_shield"), parse_bool),
            },
            shield_plan: reader.read_partly(key!("shield_plan"), read_plan),
            overrides: reader.read_partly(key!("overrides"), read_overrides),
        };
        (config, reader.warnings)
    }

    /// The route with the longest prefix that `path` starts with.
    pub fn route_for(&self, path: &str) -> Option<&Route> {
        self.routes.iter().find(|r| path.starts_with(&r.prefix))
    }

    /// Whether `host` (a Host header value, port allowed) is served.
    pub fn serves_host(&self, host: &str) -> bool {
        let name = crate::request::host::strip_port(host);
        self.hosts.iter().any(|h| h.eq_ignore_ascii_case(name))
    }
}

struct Reader<'a> {
    source: &'a dyn ConfigSource,
    warnings: Vec<ConfigWarning>,
}

impl Reader<'_> {
    /// Parses `key` from the source, or its default; a bad value is
    /// recorded and the default used instead.
    fn read<T, E: Into<ValueError>>(
        &mut self,
        key: Declared,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> T {
        if let Some(value) = self.source.get(key) {
            match parse(value.trim()) {
                Ok(parsed) => return parsed,
                Err(reason) => self.warnings.push(ConfigWarning {
                    key: key.name(),
                    value: value.into_owned(),
                    reason: reason.into(),
                    fell_back: true,
                }),
            }
        }
        match parse(key.default()) {
            Ok(parsed) => parsed,
            Err(e) => panic!(
                "built-in default of {} is invalid: {}",
                key.name(),
                e.into()
            ),
        }
    }
}

impl Reader<'_> {
    /// Like `read`, for a value whose bad entries are dropped one by one
    /// (each reported) while the good ones stand. `parse` gives the value
    /// and what it dropped, or why the whole value is refused.
    fn read_partly<T>(
        &mut self,
        key: Declared,
        parse: impl Fn(&str) -> Result<(T, Dropped), ValueError>,
    ) -> T {
        let value = self.source.get(key);
        let text = value.as_deref().map_or_else(|| key.default(), str::trim);
        match parse(text) {
            Ok((parsed, dropped)) => {
                for (entry, reason) in dropped {
                    self.warnings.push(ConfigWarning {
                        key: key.name(),
                        value: entry,
                        reason,
                        fell_back: false,
                    });
                }
                parsed
            }
            Err(reason) => {
                self.warnings.push(ConfigWarning {
                    key: key.name(),
                    value: value.map(Cow::into_owned).unwrap_or_default(),
                    reason,
                    fell_back: true,
                });
                // Said with Display: `expect` would carry every error's
                // Debug form in the Wasm for a panic that cannot happen.
                match parse(key.default()) {
                    Ok((parsed, _)) => parsed,
                    Err(e) => panic!("built-in default of {} is invalid: {e}", key.name()),
                }
            }
        }
    }
}

/// The entries a value lost, each named (an override's name, a rule's, a
/// code), with why.
type Dropped = Vec<(String, ValueError)>;

/// The `overrides` key: refused entries are dropped, the rest stand.
fn read_overrides(text: &str) -> Result<(Vec<Override>, Dropped), ValueError> {
    let (overrides, refused) = overrides::parse(text).map_err(|e| ValueError::Json {
        expected: "a list of overrides",
        detail: e.to_string(),
    })?;
    let refused = refused
        .into_iter()
        .map(|overrides::Refused { name, error }| {
            (name.clone(), ValueError::Override { name, error })
        })
        .collect();
    Ok((overrides, refused))
}

/// The `shield_plan` key: bad entries are dropped, the rest of the plan
/// stands; codes the bundled POP list lacks are no warning here (the
/// platform decides, at request time).
fn read_plan(text: &str) -> Result<(Plan, Dropped), ValueError> {
    let (plan, problems) = Plan::parse(text)?;
    let dropped = problems
        .into_iter()
        .filter(PlanProblem::is_error)
        .map(|p| (p.entry(), ValueError::Plan(p)))
        .collect();
    Ok((plan, dropped))
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
        let reasons: Vec<&ValueError> = warnings.iter().map(|w| &w.reason).collect();
        assert_eq!(
            reasons,
            [
                &ValueError::NoHosts,
                &ValueError::RoutePrefix("ci".into()),
                &ValueError::Alias,
                &ValueError::PrefixNotAbsolute("release/".into()),
                &ValueError::OneOf("`path` or `virtual-host`"),
                &ValueError::NotWholeNumber("-3".into()),
                &ValueError::NotWholeNumber("soon".into()),
                &ValueError::OutOfRange { min: 0, max: 300 },
            ]
        );
        assert_eq!(
            warnings[7].to_string(),
            "config key ttl_not_found = \"86400\": must be between 0 and 300; using the default"
        );
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
        assert_eq!(warnings[0].reason, ValueError::DuplicatePrefix("/".into()));
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
        let manifest = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/fastly.toml"));
        for key in KEYS.iter().filter(|k| !k.default.is_empty()) {
            let item = format!(
                "[setup.config_stores.dl_edge_config.items.{}]\nvalue = '{}'\n",
                key.name, key.default
            );
            assert!(manifest.contains(&item), "fastly.toml lacks {item}");
        }
    }

    /// A bad plan entry is dropped alone and reported; a value that is no
    /// plan at all falls back to the built-in plan.
    #[test]
    fn a_bad_plan_entry_is_dropped_alone() {
        let (config, warnings) = load(&[(
            "shield_plan",
            r#"{"default":["iad-va-us"],"rules":[{"name":"typo","versions":"<1.x","shields":[]},{"name":"old","versions":"<1.28","shields":["chi-il-us"]}]}"#,
        )]);
        assert_eq!(config.shield_plan.default, ["iad-va-us"]);
        assert_eq!(config.shield_plan.rules.len(), 1);
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].value, "rule typo");
        assert!(!warnings[0].fell_back);
        assert!(matches!(
            warnings[0].reason,
            ValueError::Plan(PlanProblem::RuleVersions { .. })
        ));
        let (config, warnings) = load(&[("shield_plan", "[]")]);
        assert_eq!(config.shield_plan, Plan::builtin());
        assert!(warnings[0].fell_back);
    }

    #[test]
    fn the_default_shield_plan_is_the_builtin_one() {
        assert_eq!(Config::default().shield_plan, Plan::builtin());
    }

    #[test]
    fn readme_documents_every_key() {
        let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));
        for key in KEYS {
            // An empty default is shown as empty, or absent where the key
            // is not created at all (`snapshot`).
            let defaults = match key.default {
                "" => vec!["(empty)".to_owned(), "(absent)".to_owned()],
                d => vec![format!("`{d}`")],
            };
            let rows: Vec<String> = defaults
                .iter()
                .map(|d| format!("| `{}` | {} | {d} | {} |\n", key.name, key.kind, key.effect))
                .collect();
            assert!(
                rows.iter().any(|row| readme.contains(row)),
                "README.md config table lacks {}",
                rows[0]
            );
        }
    }
}

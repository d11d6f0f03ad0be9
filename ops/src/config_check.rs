//! The config checker: everything wrong with a Config Store file, before an
//! operator uploads it. The service itself never fails on bad config (it
//! falls back key by key); this is where the mistakes get caught loudly.

use std::collections::{BTreeSet, HashMap};

use dl_edge::config::overrides::Action;
use dl_edge::config::{Config, ConfigWarning, KEYS};
use dl_edge::primitives::utc::format_utc;

/// One finding. Every kind but [`Problem::ExpiredOverride`] is an error,
/// and errors make the checker exit non-zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The file is not a JSON object, with serde's detail.
    NotAnObject(String),
    /// A value that is not a string, as JSON.
    NotAString { key: String, json: String },
    /// A key the service does not read.
    UnknownKey(String),
    /// A value the service would refuse, and what it would do instead.
    BadValue(ConfigWarning),
    /// An override past its expiry: harmless, but clutter.
    ExpiredOverride { name: String, expired: i64 },
    /// A bucket reached through a backend `fastly.toml` does not set up.
    MissingBackend { bucket: String, backend: String },
}

impl Problem {
    pub fn is_error(&self) -> bool {
        !matches!(self, Problem::ExpiredOverride { .. })
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::NotAnObject(detail) => write!(f, "not a JSON object of strings: {detail}"),
            Problem::NotAString { key, json } => write!(
                f,
                "{key}: Config Store values are strings; write {json:?}"
            ),
            Problem::UnknownKey(key) => write!(f, "{key}: unknown key (the service ignores it)"),
            Problem::BadValue(warning) => warning.fmt(f),
            Problem::ExpiredOverride { name, expired } => write!(
                f,
                "overrides: {name} expired at {}; the service ignores it, remove it",
                format_utc(*expired)
            ),
            Problem::MissingBackend { bucket, backend } => write!(
                f,
                "bucket {bucket} is reached through backend {backend:?}, which fastly.toml does not set up"
            ),
        }
    }
}

/// Checks a Config Store file (a flat JSON object of string values, the
/// format Viceroy and `fastly config-store-entry` use) against the keys the
/// service knows, the backends `fastly.toml` sets up (when a manifest is
/// given), and the time `now`.
pub fn check(file: &str, fastly_toml: Option<&str>, now: i64) -> Vec<Problem> {
    let map: HashMap<String, String> =
        match serde_json::from_str::<HashMap<String, serde_json::Value>>(file) {
            Ok(raw) => {
                let mut map = HashMap::new();
                let mut problems = Vec::new();
                for (key, value) in raw {
                    match value {
                        serde_json::Value::String(s) => {
                            map.insert(key, s);
                        }
                        other => problems.push(Problem::NotAString {
                            key,
                            json: other.to_string(),
                        }),
                    }
                }
                if !problems.is_empty() {
                    return problems;
                }
                map
            }
            Err(e) => return vec![Problem::NotAnObject(e.to_string())],
        };
    let mut problems = Vec::new();
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    for key in keys {
        if !KEYS.iter().any(|k| k.name == key) {
            problems.push(Problem::UnknownKey(key.clone()));
        }
    }
    let (config, warnings) = Config::load(&map);
    problems.extend(warnings.into_iter().map(Problem::BadValue));
    for o in &config.overrides {
        if now >= o.expires {
            problems.push(Problem::ExpiredOverride {
                name: o.name.clone(),
                expired: o.expires,
            });
        }
    }
    let Some(fastly_toml) = fastly_toml else {
        return problems;
    };
    let backends = setup_backends(fastly_toml);
    let mut buckets = BTreeSet::new();
    for route in &config.routes {
        buckets.insert(route.bucket.clone());
        buckets.extend(route.fallback.clone());
        buckets.extend(route.new_bucket.clone());
    }
    for o in &config.overrides {
        if let Action::ForceBucket { bucket, .. } = &o.action {
            buckets.insert(bucket.clone());
        }
    }
    for bucket in buckets {
        let backend = config
            .bucket_backends
            .get(&bucket)
            .unwrap_or(&config.origin_backend);
        if !backends.contains(backend) {
            problems.push(Problem::MissingBackend {
                backend: backend.clone(),
                bucket,
            });
        }
    }
    problems
}

/// The backend names under `[setup.backends.<name>]` in fastly.toml.
fn setup_backends(fastly_toml: &str) -> BTreeSet<String> {
    fastly_toml
        .lines()
        .filter_map(|l| l.trim().strip_prefix("[setup.backends.")?.strip_suffix(']'))
        .filter(|name| !name.contains('.'))
        .map(|name| name.trim_matches('"').to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use dl_edge::config::overrides::OverrideError;
    use dl_edge::config::ValueError;

    const TOML: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../fastly.toml"));
    const NOW: i64 = 1_795_257_906;

    #[test]
    fn an_empty_file_and_the_defaults_are_clean() {
        assert!(check("{}", Some(TOML), NOW).is_empty());
        assert!(check(
            r#"{"ttl_marker":"30","hosts":"dl.k8s.io"}"#,
            Some(TOML),
            NOW
        )
        .is_empty());
    }

    #[test]
    fn every_problem_is_reported() {
        let found = check(
            r#"{"ttl_marker":"soon","colour":"red","routes":"[{\"prefix\":\"/\",\"bucket\":\"main\",\"fallback\":\"backup-eu\"}]",
                "bucket_backends":"{\"backup-eu\":\"gcs_eu\"}",
                "overrides":"[{\"name\":\"old\",\"kind\":\"no_shield\",\"expires\":\"2020-01-01T00:00:00Z\"},{\"name\":\"forever\",\"kind\":\"no_shield\"}]"}"#,
            Some(TOML),
            NOW,
        );
        let bad = |key, value: &str, reason, fell_back| {
            Problem::BadValue(ConfigWarning {
                key,
                value: value.to_owned(),
                reason,
                fell_back,
            })
        };
        assert_eq!(
            found,
            [
                Problem::UnknownKey("colour".into()),
                bad(
                    "ttl_marker",
                    "soon",
                    ValueError::NotWholeNumber("soon".into()),
                    true
                ),
                bad(
                    "overrides",
                    "forever",
                    ValueError::Override {
                        name: "forever".into(),
                        error: OverrideError::MissingExpiry
                    },
                    false
                ),
                Problem::ExpiredOverride {
                    name: "old".into(),
                    expired: 1_577_836_800
                },
                Problem::MissingBackend {
                    bucket: "backup-eu".into(),
                    backend: "gcs_eu".into()
                },
            ]
        );
        assert_eq!(
            found[3].to_string(),
            "overrides: old expired at 2020-01-01T00:00:00Z; the service ignores it, remove it"
        );
        assert_eq!(
            found[4].to_string(),
            "bucket backup-eu is reached through backend \"gcs_eu\", which fastly.toml does not set up"
        );
    }

    #[test]
    fn values_must_be_strings() {
        let found = check(r#"{"ttl_marker":30}"#, Some(TOML), NOW);
        assert_eq!(
            found,
            [Problem::NotAString {
                key: "ttl_marker".into(),
                json: "30".into()
            }]
        );
        assert_eq!(
            found[0].to_string(),
            "ttl_marker: Config Store values are strings; write \"30\""
        );
        assert!(matches!(
            check("[1,2]", Some(TOML), NOW).as_slice(),
            [Problem::NotAnObject(_)]
        ));
    }

    #[test]
    fn an_expired_override_is_a_warning_not_an_error() {
        let problems = check(
            r#"{"overrides":"[{\"name\":\"old\",\"kind\":\"no_shield\",\"expires\":\"2020-01-01T00:00:00Z\"}]"}"#,
            Some(TOML),
            NOW,
        );
        assert_eq!(problems.len(), 1);
        assert!(!problems[0].is_error());
    }

    /// Without a manifest the backends are not checked; the rest is.
    #[test]
    fn without_a_manifest_backends_are_not_checked() {
        let file =
            r#"{"ttl_marker":"soon","bucket_backends":"{\"kubernetes-release\":\"nowhere\"}"}"#;
        let with = check(file, Some(TOML), NOW);
        let without = check(file, None, NOW);
        assert!(with
            .iter()
            .any(|p| matches!(p, Problem::MissingBackend { .. })));
        assert!(!without
            .iter()
            .any(|p| matches!(p, Problem::MissingBackend { .. })));
        assert_eq!(without.len(), 1, "{without:?}");
    }
}

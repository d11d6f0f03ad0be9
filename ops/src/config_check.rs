//! The config checker: everything wrong with a Config Store file, before an
//! operator uploads it. The service itself never fails on bad config (it
//! falls back key by key); this is where the mistakes get caught loudly.

use std::collections::{BTreeSet, HashMap};

use dl_edge::config::{Config, KEYS};

/// One finding. Errors make the checker exit non-zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub error: bool,
    pub message: String,
}

/// Checks a Config Store file (a flat JSON object of string values, the
/// format Viceroy and `fastly config-store-entry` use) against the keys the
/// service knows, the backends `fastly.toml` sets up, and the time `now`.
pub fn check(file: &str, fastly_toml: &str, now: i64) -> Vec<Problem> {
    let error = |message: String| Problem {
        error: true,
        message,
    };
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
                        other => problems.push(error(format!(
                            "{key}: Config Store values are strings; write {:?}",
                            other.to_string()
                        ))),
                    }
                }
                if !problems.is_empty() {
                    return problems;
                }
                map
            }
            Err(e) => return vec![error(format!("not a JSON object of strings: {e}"))],
        };
    let mut problems = Vec::new();
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    for key in keys {
        if !KEYS.iter().any(|k| k.name == key) {
            problems.push(error(format!(
                "{key}: unknown key (the service ignores it)"
            )));
        }
    }
    let (config, warnings) = Config::load(&map);
    problems.extend(warnings.iter().map(|w| error(w.to_string())));
    for o in &config.overrides {
        if now >= o.expires {
            problems.push(Problem {
                error: false,
                message: format!(
                    "overrides: {} expired at {}; the service ignores it, remove it",
                    o.name,
                    dl_edge::primitives::utc::format_utc(o.expires)
                ),
            });
        }
    }
    let backends = setup_backends(fastly_toml);
    let mut buckets = BTreeSet::new();
    for route in &config.routes {
        buckets.insert(route.bucket.clone());
        buckets.extend(route.fallback.clone());
        buckets.extend(route.new_bucket.clone());
    }
    for o in &config.overrides {
        if let dl_edge::config::overrides::Action::ForceBucket { bucket, .. } = &o.action {
            buckets.insert(bucket.clone());
        }
    }
    for bucket in buckets {
        let backend = config
            .bucket_backends
            .get(&bucket)
            .unwrap_or(&config.origin_backend);
        if !backends.contains(backend) {
            problems.push(error(format!(
                "bucket {bucket} is reached through backend {backend:?}, which fastly.toml does not set up"
            )));
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

    const TOML: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../fastly.toml"));
    const NOW: i64 = 1_795_257_906;

    fn messages(file: &str) -> Vec<String> {
        check(file, TOML, NOW)
            .into_iter()
            .map(|p| p.message)
            .collect()
    }

    #[test]
    fn an_empty_file_and_the_defaults_are_clean() {
        assert!(check("{}", TOML, NOW).is_empty());
        assert!(check(r#"{"ttl_marker":"30","hosts":"dl.k8s.io"}"#, TOML, NOW).is_empty());
    }

    #[test]
    fn every_problem_is_reported() {
        let found = messages(
            r#"{"ttl_marker":"soon","colour":"red","routes":"[{\"prefix\":\"/\",\"bucket\":\"main\",\"fallback\":\"backup-eu\"}]",
                "bucket_backends":"{\"backup-eu\":\"gcs_eu\"}",
                "overrides":"[{\"name\":\"old\",\"kind\":\"no_shield\",\"expires\":\"2020-01-01T00:00:00Z\"},{\"name\":\"forever\",\"kind\":\"no_shield\"}]"}"#,
        );
        let expect = [
            "colour: unknown key",
            "config key ttl_marker",
            "override forever: an expiry",
            "overrides: old expired at 2020-01-01T00:00:00Z",
            "bucket backup-eu is reached through backend \"gcs_eu\", which fastly.toml does not set up",
        ];
        for e in expect {
            assert!(
                found.iter().any(|m| m.contains(e)),
                "missing {e:?} in {found:#?}"
            );
        }
        assert_eq!(found.len(), expect.len(), "{found:#?}");
    }

    #[test]
    fn values_must_be_strings() {
        let found = messages(r#"{"ttl_marker":30}"#);
        assert_eq!(
            found,
            ["ttl_marker: Config Store values are strings; write \"30\""]
        );
        assert!(messages("[1,2]")[0].starts_with("not a JSON object"));
    }

    #[test]
    fn an_expired_override_is_a_warning_not_an_error() {
        let problems = check(
            r#"{"overrides":"[{\"name\":\"old\",\"kind\":\"no_shield\",\"expires\":\"2020-01-01T00:00:00Z\"}]"}"#,
            TOML,
            NOW,
        );
        assert_eq!(problems.len(), 1);
        assert!(!problems[0].error);
    }
}

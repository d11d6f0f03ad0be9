//! The config checker: everything wrong with a Config Store file, before an
//! operator uploads it. The service itself never fails on bad config (it
//! falls back key by key); this is where the mistakes get caught loudly.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use dl_edge::config::overrides::Action;
use dl_edge::config::snapshot::{self, Snapshot, SnapshotError};
use dl_edge::config::{Config, ConfigWarning, KEYS};
use dl_edge::primitives::utc::format_utc;

/// One finding. Every kind but [`Problem::ExpiredOverride`] is an error,
/// and errors make the checker exit non-zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The file is neither a JSON object of strings nor what `fastly
    /// config-store-entry list --json` prints, with the detail.
    NotAnObject(String),
    /// A key given twice: the store keeps one of them.
    DuplicateKey(String),
    /// A value that is not a string, as JSON.
    NotAString { key: String, json: String },
    /// A value over the Config Store's limit, in characters.
    TooLong { key: String, chars: usize },
    /// A key the service does not read, and the key it may have meant.
    UnknownKey {
        key: String,
        meant: Option<&'static str>,
    },
    /// The manifest is not TOML, with the parser's detail.
    BadManifest(String),
    /// A value the service would refuse, and what it would do instead.
    BadValue(ConfigWarning),
    /// An override past its expiry: harmless, but clutter.
    ExpiredOverride { name: String, expired: i64 },
    /// A bucket reached through a backend `fastly.toml` does not set up.
    MissingBackend { bucket: String, backend: String },
    /// A `snapshot` the service would refuse (it then reads key by key).
    BadSnapshot(SnapshotError),
    /// Keys whose value in `snapshot` is not their value one by one: the
    /// service serves the snapshot's.
    SnapshotOutOfStep(Vec<String>),
}

impl Problem {
    pub fn is_error(&self) -> bool {
        !matches!(self, Problem::ExpiredOverride { .. })
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::NotAnObject(detail) => write!(
                f,
                "not a JSON object of strings, nor a config-store-entry list: {detail}"
            ),
            Problem::DuplicateKey(key) => {
                write!(f, "{key}: given twice; the store keeps only one value")
            }
            Problem::NotAString { key, json } => write!(
                f,
                "{key}: Config Store values are strings; write {json:?}"
            ),
            Problem::TooLong { key, chars } => write!(
                f,
                "{key}: {chars} characters; the Config Store takes at most {VALUE_LIMIT}"
            ),
            Problem::UnknownKey { key, meant } => {
                write!(f, "{key}: unknown key (the service ignores it)")?;
                match meant {
                    Some(meant) => write!(f, "; did you mean {meant}?"),
                    None => Ok(()),
                }
            }
            Problem::BadManifest(detail) => write!(f, "the manifest is not TOML: {detail}"),
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
            Problem::BadSnapshot(e) => write!(
                f,
                "{}: {e}; the service would read the keys one by one",
                snapshot::KEY
            ),
            Problem::SnapshotOutOfStep(keys) => write!(
                f,
                "{}: out of step with {} (the service serves the snapshot's values); run dl-edge-ops config export",
                snapshot::KEY,
                keys.join(", ")
            ),
        }
    }
}

/// The Config Store's limit on a value, in characters.
pub const VALUE_LIMIT: usize = 8000;

/// The entries of a Config Store file: a flat JSON object of strings (the
/// format Viceroy takes), or what `fastly config-store-entry list --json`
/// prints (a list of `{"item_key", "item_value", ...}`), in key order.
/// Every problem with the shape is reported; the good entries stand. A
/// file of neither shape is `Err` with the detail.
fn entries(file: &str) -> Result<(BTreeMap<String, String>, Vec<Problem>), String> {
    let raw: serde_json::Value = serde_json::from_str(file).map_err(|e| e.to_string())?;
    let mut problems: Vec<Problem> = crate::json_keys::duplicate_keys(file)
        .unwrap_or_default()
        .into_iter()
        .map(Problem::DuplicateKey)
        .collect();
    let pairs: Vec<(String, serde_json::Value)> = match raw {
        serde_json::Value::Object(object) => object.into_iter().collect(),
        serde_json::Value::Array(items) => {
            let mut pairs = Vec::new();
            let mut seen = BTreeSet::new();
            for item in items {
                let (Some(key), Some(value)) = (
                    item.get("item_key").and_then(|k| k.as_str()),
                    item.get("item_value"),
                ) else {
                    return Err(format!("an entry without item_key and item_value: {item}"));
                };
                if !seen.insert(key.to_owned()) {
                    problems.push(Problem::DuplicateKey(key.to_owned()));
                }
                pairs.push((key.to_owned(), value.clone()));
            }
            pairs
        }
        other => return Err(format!("found {other}")),
    };
    let mut map = BTreeMap::new();
    for (key, value) in pairs {
        match value {
            serde_json::Value::String(s) => {
                let chars = s.chars().count();
                if chars > VALUE_LIMIT {
                    problems.push(Problem::TooLong {
                        key: key.clone(),
                        chars,
                    });
                }
                map.insert(key, s);
            }
            other => problems.push(Problem::NotAString {
                key,
                json: other.to_string(),
            }),
        }
    }
    Ok((map, problems))
}

/// The `snapshot` value for a Config Store file's keys, or why the file
/// cannot be read.
pub fn export(file: &str) -> Result<String, String> {
    let (map, _) = entries(file)?;
    Ok(Snapshot::export(
        map.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    ))
}

/// The declared key nearest an unknown one, if it is a likely typo (at
/// most two edits away).
fn meant(key: &str) -> Option<&'static str> {
    let distance = |a: &str, b: &str| -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut previous = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let substitution = previous + usize::from(ca != *cb);
                previous = row[j + 1];
                row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
            }
        }
        row[b.len()]
    };
    KEYS.iter()
        .map(|k| (distance(key, k.name), k.name))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, name)| name)
}

/// Checks a Config Store file against the keys the service knows, the
/// backends `fastly.toml` sets up (when a manifest is given), and the time
/// `now`. Every problem is reported, in one stable order: the file's shape
/// (duplicates, non-strings, values too long), unknown keys, values the
/// service would refuse (in the order of its keys), expired overrides,
/// then backends.
pub fn check(file: &str, fastly_toml: Option<&str>, now: i64) -> Vec<Problem> {
    let (map, mut problems) = match entries(file) {
        Ok(entries) => entries,
        Err(detail) => return vec![Problem::NotAnObject(detail)],
    };
    for key in map.keys() {
        if !KEYS.iter().any(|k| k.name == key) {
            problems.push(Problem::UnknownKey {
                key: key.clone(),
                meant: meant(key),
            });
        }
    }
    if let Some(text) = map.get(snapshot::KEY) {
        match Snapshot::parse(text.to_owned()) {
            Ok(snapshot) => {
                let items = map.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                let differ = snapshot.differences(items);
                if !differ.is_empty() {
                    problems.push(Problem::SnapshotOutOfStep(differ));
                }
            }
            Err(e) => problems.push(Problem::BadSnapshot(e)),
        }
    }
    let map: HashMap<String, String> = map.into_iter().collect();
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
    let backends = match setup_backends(fastly_toml) {
        Ok(backends) => backends,
        Err(detail) => {
            problems.push(Problem::BadManifest(detail));
            return problems;
        }
    };
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

/// The backend names `[setup.backends]` declares in fastly.toml, read with
/// a TOML parser (inline tables and quoting included).
fn setup_backends(fastly_toml: &str) -> Result<BTreeSet<String>, String> {
    let manifest: toml::Table = fastly_toml
        .parse()
        .map_err(|e: toml::de::Error| e.to_string())?;
    let backends = manifest
        .get("setup")
        .and_then(|s| s.get("backends"))
        .and_then(|b| b.as_table());
    Ok(backends
        .map(|table| table.keys().cloned().collect())
        .unwrap_or_default())
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
                Problem::UnknownKey {
                    key: "colour".into(),
                    meant: None
                },
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

    /// What `fastly config-store-entry list --json` prints is read too;
    /// duplicates, non-strings, values over the limit and typos are all
    /// reported in one stable order, none hiding the others.
    #[test]
    fn every_shape_problem_is_reported_in_one_stable_order() {
        let long = "x".repeat(VALUE_LIMIT + 1);
        let listed = format!(
            r#"[{{"item_key":"ttl_marker","item_value":"30","store_id":"s"}},
                {{"item_key":"hosts","item_value":"dl.k8s.io"}},
                {{"item_key":"ttl_marker","item_value":"40"}},
                {{"item_key":"ttl_markr","item_value":"5"}},
                {{"item_key":"ttl_mutable","item_value":30}},
                {{"item_key":"routes","item_value":"{long}"}}]"#
        );
        let found = check(&listed, None, NOW);
        let kinds: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(
            found[0],
            Problem::DuplicateKey("ttl_marker".into()),
            "{kinds:#?}"
        );
        assert_eq!(
            found[1],
            Problem::NotAString {
                key: "ttl_mutable".into(),
                json: "30".into()
            }
        );
        assert_eq!(
            found[2],
            Problem::TooLong {
                key: "routes".into(),
                chars: VALUE_LIMIT + 1
            }
        );
        assert_eq!(
            found[3],
            Problem::UnknownKey {
                key: "ttl_markr".into(),
                meant: Some("ttl_marker")
            }
        );
        assert!(found[3].to_string().ends_with("did you mean ttl_marker?"));
        assert!(matches!(&found[4], Problem::BadValue(w) if w.key == "routes"));
        assert_eq!(check(&listed, None, NOW), found, "the same order every run");
        let object = r#"{"hosts":"dl.k8s.io","hosts":"x.example"}"#;
        assert_eq!(
            check(object, None, NOW),
            [Problem::DuplicateKey("hosts".into())]
        );
    }

    /// The manifest is read as TOML: an inline table of backends counts.
    #[test]
    fn backends_come_from_the_manifest_as_toml() {
        let manifest = "manifest_version = 3\n[setup]\nbackends = { gcs = { address = \"storage.googleapis.com\" }, gcs_eu = { address = \"x\" } }\n";
        let file = r#"{"bucket_backends":"{\"kubernetes-release\":\"gcs_eu\"}"}"#;
        assert!(check(file, Some(manifest), NOW).is_empty());
        assert!(matches!(
            check(file, Some("not = [toml"), NOW).as_slice(),
            [Problem::BadManifest(_)]
        ));
    }

    /// A first `fastly compute publish --non-interactive` gets through
    /// `[setup]`: the CLI asks for a secret entry's value only at a prompt,
    /// so the manifest lists the store and no entries, and every other
    /// item it creates has its value.
    #[test]
    fn the_manifests_setup_needs_no_prompt() {
        let manifest: toml::Table = TOML.parse().unwrap();
        let setup = manifest["setup"].as_table().expect("[setup]");
        for (name, store) in setup["secret_stores"].as_table().expect("secret stores") {
            assert!(
                store.get("entries").is_none(),
                "secret store {name} lists entries"
            );
        }
        for (name, store) in setup["config_stores"].as_table().expect("config stores") {
            for (key, item) in store["items"].as_table().expect("items") {
                assert!(item.get("value").is_some(), "{name}.{key} has no value");
            }
        }
        assert!(setup_backends(TOML).unwrap().contains("gcs"));
    }
}

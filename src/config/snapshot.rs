//! The whole configuration in one Config Store key.
//!
//! Each request is a fresh Wasm instance, so reading 26 keys is 26 host
//! calls on every request. `snapshot` holds every other key's value in
//! one JSON object, exactly as the keys hold them: as a string, or, where
//! the value is itself a JSON list or object, as that JSON written in
//! place: `{"hosts":"dl.k8s.io","routes":[{"prefix":"/","bucket":"b"}]}`.
//! The service then lends each value straight from the snapshot's text,
//! with nothing to unescape or copy. When it is present the
//! service reads it and [`READ_ALONE`] (two host calls), and a key it
//! leaves out takes its default. Operators keep editing the keys one by
//! one, then run `dl-edge-ops config export` to write the snapshot from
//! them; `dl-edge-ops config check` reports a snapshot out of step with
//! them.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;

use super::keys::InOrder;
use super::{ConfigSource, Declared, KEYS};
use crate::key;
use crate::primitives::json;
use crate::primitives::json::{Kind, Object, Reader};

/// The Config Store key holding the snapshot.
pub const KEY: &str = "snapshot";

/// Keys always read on their own, never from the snapshot: an emergency
/// override takes effect the moment it is set, with no export to forget.
pub const READ_ALONE: &[Declared] = &[key!("overrides")];

/// Whether a snapshot may hold `key`: where one is in force, the keys it
/// may hold are read from it, and every other key on its own.
pub fn holds(key: Declared) -> bool {
    const SNAPSHOT: Declared = Declared::named(KEY);
    key != SNAPSHOT && !READ_ALONE.contains(&key)
}

/// The key `name`, if a snapshot may hold it.
fn held(name: &str) -> Option<Declared> {
    Declared::find(name).filter(|&key| holds(key))
}

/// A snapshot read from its key: its text, and where each key's value
/// is in it, at the key's place in [`KEYS`] (no value or name copied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    text: String,
    values: [Option<Range<usize>>; KEYS.len()],
}

/// Why a snapshot could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotError {
    /// Not a JSON object of strings, lists and objects.
    NotAnObject(String),
    /// It names a key the service does not read, itself, or a key read
    /// on its own ([`READ_ALONE`]).
    UnknownKey(String),
}

impl std::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SnapshotError::NotAnObject(detail) => {
                write!(f, "not a JSON object of key values ({detail})")
            }
            SnapshotError::UnknownKey(key) => {
                write!(f, "names {key:?}, which a snapshot cannot hold")
            }
        }
    }
}

impl Snapshot {
    /// Parses a snapshot. One it cannot trust is refused whole: the
    /// service then reads the keys one by one.
    pub fn parse(text: String) -> Result<Snapshot, SnapshotError> {
        let mut values = [const { None }; KEYS.len()];
        // The first name, in sorted order, that a snapshot may not hold;
        // reported once the whole text is known to be a sound snapshot.
        let mut refused: Option<String> = None;
        let mut names = InOrder::default();
        json::read(&text, |r| {
            r.entries(|r, name| {
                let kind = r.kind()?;
                let at = r.position();
                match kind {
                    Kind::String => r.skip()?,
                    // Read in full when the config asks for the value; a
                    // bad one then falls back to its default, as a bad key
                    // does. Here only its extent must be sure.
                    Kind::List | Kind::Object => r.skip_brackets()?,
                    _ => return Err(r.error("expected a string, a list or an object")),
                }
                match names.find(&name).filter(|&key| holds(key)) {
                    Some(key) => values[key.place()] = Some(at..r.position()),
                    None if refused.as_deref().is_some_and(|r| r <= &*name) => {}
                    None => refused = Some(name.into_owned()),
                }
                Ok(())
            })
        })
        .map_err(|e| SnapshotError::NotAnObject(e.to_string()))?;
        match refused {
            Some(key) => Err(SnapshotError::UnknownKey(key)),
            None => Ok(Snapshot { text, values }),
        }
    }

    /// The snapshot of a store's keys (all but `snapshot` itself, the keys
    /// read on their own and keys the service does not read), as the text
    /// to store under [`KEY`].
    pub fn export<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
        let values: BTreeMap<&str, &str> = items
            .into_iter()
            .filter(|(k, _)| held(k).is_some())
            .collect();
        let mut text = String::new();
        let mut object = Object::open(&mut text);
        for (key, value) in values {
            let out = object.value(key);
            if is_json_value(value) {
                out.push_str(value);
            } else {
                json::string(out, value);
            }
        }
        object.close();
        text
    }

    /// The keys whose value here differs from `items` (the keys one by
    /// one), present on either side.
    pub fn differences<'a>(
        &self,
        items: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Vec<String> {
        let items: BTreeMap<&str, &str> = items
            .into_iter()
            .filter(|(k, _)| held(k).is_some())
            .collect();
        let mut differ: Vec<String> = Declared::all()
            .filter(|&key| holds(key) && items.get(key.name()).copied() != self.get(key).as_deref())
            .map(|key| key.name().to_owned())
            .collect();
        differ.sort_unstable();
        differ
    }
}

/// Whether a key's value is written into a snapshot as JSON: a list or
/// an object, exactly as a JSON reader reads it whole (no space around it
/// to lose, nothing after it).
fn is_json_value(value: &str) -> bool {
    value.starts_with(['[', '{'])
        && value.ends_with([']', '}'])
        && json::read(value, Reader::skip).is_ok()
}

impl ConfigSource for Snapshot {
    fn get(&self, key: Declared) -> Option<Cow<'_, str>> {
        let raw = &self.text[self.values[key.place()].clone()?];
        match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
            Some(plain) if !plain.contains('\\') => Some(Cow::Borrowed(plain)),
            // Escapes to undo: a value with quotes, or a snapshot written
            // before values were kept as JSON. Checked by `parse`.
            Some(_) => json::read(raw, Reader::str).ok(),
            None => Some(Cow::Borrowed(raw)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn a_snapshot_loads_the_same_config_as_its_keys() {
        let items = [
            ("hosts", "dl.k8s.io"),
            ("ttl_marker", "30"),
            ("log_endpoints", r#"[{"name":"splunk","format":"hec"}]"#),
        ];
        let text = Snapshot::export(items);
        let snapshot = Snapshot::parse(text).unwrap();
        let map: std::collections::HashMap<&str, &str> = items.into_iter().collect();
        assert_eq!(Config::load(&snapshot), Config::load(&map));
        assert_eq!(Config::load(&snapshot).0.cache.marker_ttl, 30);
        assert!(snapshot.differences(items).is_empty());
    }

    #[test]
    fn json_values_are_written_as_json_and_lent_as_written() {
        let routes = r#"[{"prefix":"/","bucket":"b \"q\""}]"#;
        let plan = r#"{ "shields": {} }"#;
        let items = [
            ("routes", routes),
            ("shield_plan", plan),
            ("hosts", r#"a.example,"quoted""#),
            ("version_alias", " [not json] "),
            ("bucket_backends", "[{"),
            ("log_endpoints", "[] x"),
        ];
        let text = Snapshot::export(items);
        assert!(
            text.contains(&format!(r#""routes":{routes}"#))
                && text.contains(&format!(r#""shield_plan":{plan}"#)),
            "{text}"
        );
        // Not JSON, or not JSON alone: kept as strings, escaped.
        for key in ["hosts", "version_alias", "bucket_backends", "log_endpoints"] {
            assert!(text.contains(&format!(r#""{key}":""#)), "{key}: {text}");
        }
        let snapshot = Snapshot::parse(text).unwrap();
        for (key, value) in items {
            assert_eq!(
                snapshot.get(Declared::find(key).unwrap()).as_deref(),
                Some(value),
                "{key}"
            );
        }
        assert!(matches!(
            snapshot.get(key!("routes")),
            Some(Cow::Borrowed(_))
        ));
        assert!(snapshot.differences(items).is_empty());
        let map: std::collections::HashMap<&str, &str> = items.into_iter().collect();
        assert_eq!(Config::load(&snapshot), Config::load(&map));
    }

    #[test]
    fn a_bad_value_in_place_falls_back_as_a_bad_key_does() {
        let text = r#"{"routes":[1 2],"ttl_marker":"30"}"#;
        let snapshot = Snapshot::parse(text.to_owned()).unwrap();
        let map: std::collections::HashMap<&str, &str> =
            [("routes", "[1 2]"), ("ttl_marker", "30")].into();
        let (config, warnings) = Config::load(&snapshot);
        assert_eq!((config.clone(), warnings.clone()), Config::load(&map));
        assert_eq!(config.cache.marker_ttl, 30);
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].key, "routes");
        assert!(warnings[0].fell_back);
    }

    #[test]
    fn a_snapshot_of_strings_only_still_reads_the_same() {
        let routes = r#"[{"prefix":"/","bucket":"b"}]"#;
        let mut text = String::from(r#"{"routes":"#);
        json::string(&mut text, routes);
        text.push('}');
        assert!(text.contains(r#"\"prefix\""#), "{text}");
        let snapshot = Snapshot::parse(text).unwrap();
        assert_eq!(snapshot.get(key!("routes")).as_deref(), Some(routes));
        assert!(snapshot.differences([("routes", routes)]).is_empty());
    }

    #[test]
    fn export_leaves_out_itself_and_unknown_keys() {
        let text = Snapshot::export([
            ("snapshot", "{}"),
            ("tll_marker", "1"),
            ("hosts", "a.example"),
        ]);
        assert_eq!(text, r#"{"hosts":"a.example"}"#);
    }

    #[test]
    fn a_snapshot_it_cannot_trust_is_refused_whole() {
        for (text, problem) in [
            ("[]", "not a JSON object"),
            (r#"{"hosts":1}"#, "expected a string, a list or an object"),
            (r#"{"hosts":null}"#, "not a JSON object"),
            (r#"{"routes":[}"#, "not a JSON object"),
            (r#"{"hosts":"a","tll_marker":"1"}"#, "\"tll_marker\""),
            (r#"{"snapshot":"{}"}"#, "\"snapshot\""),
            (r#"{"overrides":"[]"}"#, "\"overrides\""),
        ] {
            let error = Snapshot::parse(text.to_owned()).unwrap_err().to_string();
            assert!(error.contains(problem), "{text}: {error}");
        }
    }

    #[test]
    fn differences_name_each_key_out_of_step() {
        let text = r#"{"hosts":"a.example","ttl_marker":"30"}"#;
        let snapshot = Snapshot::parse(text.to_owned()).unwrap();
        let keys = [
            ("hosts", "a.example"),
            ("ttl_marker", "60"),
            ("ttl_mutable", "5"),
            ("overrides", "[]"),
        ];
        // overrides are read on their own: never out of step.
        assert_eq!(snapshot.differences(keys), ["ttl_marker", "ttl_mutable"]);
    }
}

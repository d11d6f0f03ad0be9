//! The whole configuration in one Config Store key.
//!
//! Each request is a fresh Wasm instance, so reading 26 keys is 26 host
//! calls on every request. `snapshot` holds every other key's value in
//! one JSON object of strings, exactly as the keys hold them:
//! `{"hosts":"dl.k8s.io","ttl_marker":"30"}`. When it is present the
//! service reads it and [`READ_ALONE`] (two host calls), and a key it
//! leaves out takes its default. Operators keep editing the keys one by
//! one, then run `dl-edge-ops config export` to write the snapshot from
//! them; `dl-edge-ops config check` reports a snapshot out of step with
//! them.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::{ConfigSource, KEYS};
use crate::primitives::json;
use crate::primitives::json::Object;

/// The Config Store key holding the snapshot.
pub const KEY: &str = "snapshot";

/// Keys always read on their own, never from the snapshot: an emergency
/// override takes effect the moment it is set, with no export to forget.
pub const READ_ALONE: &[&str] = &["overrides"];

/// Whether a snapshot may hold `key`: where one is in force, the keys it
/// may hold are read from it, and every other key on its own.
pub fn holds(key: &str) -> bool {
    place(key).is_some()
}

/// A snapshot read from its key: the values of the keys it names, each
/// at its key's place in [`KEYS`] (no key name is copied, no map built).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    values: [Option<String>; KEYS.len()],
}

/// The place of `name` in [`KEYS`] if a snapshot may hold it.
fn place(name: &str) -> Option<usize> {
    let i = KEYS.iter().position(|k| k.name == name)?;
    (name != KEY && !READ_ALONE.contains(&name)).then_some(i)
}

/// Why a snapshot could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotError {
    /// Not a JSON object of strings.
    NotAnObject(String),
    /// It names a key the service does not read, itself, or a key read
    /// on its own ([`READ_ALONE`]).
    UnknownKey(String),
}

impl std::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SnapshotError::NotAnObject(detail) => {
                write!(f, "not a JSON object of strings ({detail})")
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
    pub fn parse(text: &str) -> Result<Snapshot, SnapshotError> {
        let mut values = [const { None }; KEYS.len()];
        // The first name, in sorted order, that a snapshot may not hold;
        // reported once the whole text is known to be an object of strings.
        let mut refused: Option<String> = None;
        json::read(text, |r| {
            r.entries(|r, name| {
                let value = r.string().map_err(|e| e.in_field(&name))?;
                match place(&name) {
                    Some(i) => values[i] = Some(value),
                    None if refused.as_deref().is_some_and(|r| r <= &*name) => {}
                    None => refused = Some(name.into_owned()),
                }
                Ok(())
            })
        })
        .map_err(|e| SnapshotError::NotAnObject(e.to_string()))?;
        match refused {
            Some(key) => Err(SnapshotError::UnknownKey(key)),
            None => Ok(Snapshot { values }),
        }
    }

    /// The snapshot of a store's keys (all but `snapshot` itself, the keys
    /// read on their own and keys the service does not read), as the text
    /// to store under [`KEY`].
    pub fn export<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
        let values: BTreeMap<&str, &str> = items.into_iter().filter(|(k, _)| holds(k)).collect();
        let mut text = String::new();
        let mut object = Object::open(&mut text);
        for (key, value) in values {
            json::string(object.value(key), value);
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
        let items: BTreeMap<&str, &str> = items.into_iter().filter(|(k, _)| holds(k)).collect();
        let mut keys: Vec<String> = KEYS
            .iter()
            .map(|k| k.name)
            .filter(|k| holds(k) && items.get(k).copied() != self.get(k).as_deref())
            .map(str::to_owned)
            .collect();
        keys.sort_unstable();
        keys
    }
}

impl ConfigSource for Snapshot {
    fn get(&self, key: &str) -> Option<Cow<'_, str>> {
        let value = self.values[place(key)?].as_deref()?;
        Some(Cow::Borrowed(value))
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
        let snapshot = Snapshot::parse(&text).unwrap();
        let map: std::collections::HashMap<&str, &str> = items.into_iter().collect();
        assert_eq!(Config::load(&snapshot), Config::load(&map));
        assert_eq!(Config::load(&snapshot).0.cache.marker_ttl, 30);
        assert!(snapshot.differences(items).is_empty());
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
            (r#"{"hosts":1}"#, "not a JSON object"),
            (r#"{"hosts":"a","tll_marker":"1"}"#, "\"tll_marker\""),
            (r#"{"snapshot":"{}"}"#, "\"snapshot\""),
            (r#"{"overrides":"[]"}"#, "\"overrides\""),
        ] {
            let error = Snapshot::parse(text).unwrap_err().to_string();
            assert!(error.contains(problem), "{text}: {error}");
        }
    }

    #[test]
    fn differences_name_each_key_out_of_step() {
        let snapshot = Snapshot::parse(r#"{"hosts":"a.example","ttl_marker":"30"}"#).unwrap();
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

//! The Config Store behind the core's `ConfigSource` trait.

use std::borrow::Cow;
use std::cell::RefCell;

use dl_edge::config::snapshot::{self, Snapshot};
use dl_edge::config::{ConfigSource, Declared};
use fastly::ConfigStore;

/// Reads the config from a Config Store: from the `snapshot` key when it
/// is there and sound (the keys it cannot hold on their own), else key by
/// key. A store that is missing or a key that fails to read yields no
/// value, so the key takes its default; the problem is kept for the
/// service log.
pub struct ConfigStoreSource {
    store: Option<ConfigStore>,
    snapshot: Option<Snapshot>,
    pub problems: RefCell<Vec<String>>,
}

impl ConfigStoreSource {
    pub fn open(name: &str) -> Self {
        let mut source = match ConfigStore::try_open(name) {
            Ok(store) => ConfigStoreSource {
                store: Some(store),
                snapshot: None,
                problems: RefCell::new(Vec::new()),
            },
            Err(e) => ConfigStoreSource {
                store: None,
                snapshot: None,
                problems: RefCell::new(vec![format!(
                    "config store {name} unavailable ({e}); using defaults"
                )]),
            },
        };
        if let Some(text) = source.read(snapshot::KEY) {
            match Snapshot::parse(text) {
                Ok(parsed) => source.snapshot = Some(parsed),
                Err(e) => source.problems.borrow_mut().push(format!(
                    "config key {} refused ({e}); reading the keys one by one",
                    snapshot::KEY
                )),
            }
        }
        source
    }

    fn read(&self, key: &str) -> Option<String> {
        match self.store.as_ref()?.try_get(key) {
            Ok(value) => value,
            Err(e) => {
                self.problems.borrow_mut().push(format!(
                    "config key {key} could not be read ({e}); using its default"
                ));
                None
            }
        }
    }
}

impl ConfigSource for ConfigStoreSource {
    fn get(&self, key: Declared) -> Option<Cow<'_, str>> {
        match &self.snapshot {
            Some(snapshot) if snapshot::holds(key) => snapshot.get(key),
            _ => self.read(key.name()).map(Cow::Owned),
        }
    }
}

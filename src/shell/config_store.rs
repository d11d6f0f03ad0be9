//! The Config Store behind the core's `ConfigSource` trait.

use std::cell::RefCell;

use dl_edge::config::ConfigSource;
use fastly::ConfigStore;

/// Reads keys from a Config Store. A store that is missing or a key that
/// fails to read yields no value, so the key takes its default; the
/// problem is kept for the service log.
pub struct ConfigStoreSource {
    store: Option<ConfigStore>,
    pub problems: RefCell<Vec<String>>,
}

impl ConfigStoreSource {
    pub fn open(name: &str) -> Self {
        let (store, problems) = match ConfigStore::try_open(name) {
            Ok(store) => (Some(store), Vec::new()),
            Err(e) => (
                None,
                vec![format!(
                    "config store {name} unavailable ({e}); using defaults"
                )],
            ),
        };
        ConfigStoreSource {
            store,
            problems: RefCell::new(problems),
        }
    }
}

impl ConfigSource for ConfigStoreSource {
    fn get(&self, key: &str) -> Option<String> {
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

//! The Config Store behind the core's `ConfigSource` trait.

use dl_edge::config::ConfigSource;
use fastly::ConfigStore;

/// Reads keys from a Config Store; a store that is missing or fails to
/// answer yields no values, so every key takes its default.
pub struct ConfigStoreSource(Option<ConfigStore>);

impl ConfigStoreSource {
    pub fn open(name: &str) -> Self {
        match ConfigStore::try_open(name) {
            Ok(store) => ConfigStoreSource(Some(store)),
            Err(e) => {
                eprintln!("dl-edge warning: config store {name} unavailable ({e}); using defaults");
                ConfigStoreSource(None)
            }
        }
    }
}

impl ConfigSource for ConfigStoreSource {
    fn get(&self, key: &str) -> Option<String> {
        let store = self.0.as_ref()?;
        match store.try_get(key) {
            Ok(value) => value,
            Err(e) => {
                eprintln!(
                    "dl-edge warning: config key {key} could not be read ({e}); using its default"
                );
                None
            }
        }
    }
}

//! The Config Store behind the core's `ConfigSource` trait.

use std::borrow::Cow;
use std::cell::RefCell;

use dl_edge::config::snapshot::{self, Snapshot};
use dl_edge::config::{ConfigSource, Declared};
use fastly_shared::FastlyStatus;

use super::headers::read_one;

/// Room for a value before the host is asked again with the size it
/// needs: the snapshot of the store `fastly compute publish` creates is
/// 782 bytes (about 1.1 KB with the example shield plan, which then takes
/// a second call). `fastly`'s `ConfigStore` starts at 256 bytes, which
/// made every request read the snapshot twice. 2 KiB of room cost a page
/// fault more per request (`scripts/bench-pair`: 29.1 against 28.2).
const VALUE_ROOM: usize = 1024;

/// Reads the config from a Config Store: from the `snapshot` key when it
/// is there and sound (the keys it cannot hold on their own), else key by
/// key. A store that is missing or a key that fails to read yields no
/// value, so the key takes its default; the problem is kept for the
/// service log.
///
/// Read through the raw ABI: one host call a value where it fits
/// [`VALUE_ROOM`], and a status the host did not document is a problem
/// to report, where `fastly`'s `ConfigStore` panics.
pub struct ConfigStoreSource {
    /// The open store's handle.
    store: Option<u32>,
    snapshot: Option<Snapshot>,
    pub problems: RefCell<Vec<String>>,
}

impl ConfigStoreSource {
    pub fn open(name: &str) -> Self {
        let mut handle = fastly_shared::INVALID_CONFIG_STORE_HANDLE;
        // SAFETY: `name` is valid for its length; the host writes one u32.
        let status = unsafe {
            fastly_sys::fastly_config_store::open(name.as_ptr(), name.len(), &mut handle)
        };
        let mut source = ConfigStoreSource {
            store: status.is_ok().then_some(handle),
            snapshot: None,
            problems: RefCell::new(Vec::new()),
        };
        if !status.is_ok() {
            let why = match status {
                FastlyStatus::BADF => "no such store".to_owned(),
                FastlyStatus::INVAL | FastlyStatus::NONE => "invalid name".to_owned(),
                FastlyStatus::UNSUPPORTED => "name too long".to_owned(),
                other => format!("{other:?}"),
            };
            source.problems.borrow_mut().push(format!(
                "config store {name} unavailable ({why}); using defaults"
            ));
        }
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

    /// The value of `key`, or `None` when it is missing or cannot be read
    /// (then the problem is kept).
    fn read(&self, key: &str) -> Option<String> {
        let store = self.store?;
        let mut value = Vec::with_capacity(VALUE_ROOM);
        // SAFETY: `key` is valid for its length; `read_one` passes a
        // pointer to `len` writable bytes and reads back at most `len`.
        let status = read_one(&mut value, |ptr, len, written| unsafe {
            fastly_sys::fastly_config_store::get(store, key.as_ptr(), key.len(), ptr, len, written)
        });
        let why = match status {
            FastlyStatus::OK => match String::from_utf8(value) {
                Ok(text) => return Some(text),
                Err(_) => "not UTF-8".to_owned(),
            },
            FastlyStatus::NONE => return None,
            FastlyStatus::BUFLEN => "value too long".to_owned(),
            FastlyStatus::LIMITEXCEEDED => "too many lookups".to_owned(),
            other => format!("{other:?}"),
        };
        self.problems.borrow_mut().push(format!(
            "config key {key} could not be read ({why}); using its default"
        ));
        None
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

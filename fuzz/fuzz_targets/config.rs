//! Fuzzes loading the config from arbitrary Config Store values:
//! `cargo +nightly fuzz run config` from fuzz/'s parent (see README).
//! Every request reads the store, so a value that panics the loader would
//! take the whole service down; it must never panic, never lift the cap on
//! 404 TTLs, and leave requests decidable.
//!
//! Input: chunks separated by NUL; a chunk's first byte picks the key, the
//! rest is its value.

#![no_main]

use std::collections::HashMap;

use dl_edge::artifact::classify::classify;
use dl_edge::config::{Config, KEYS, MAX_NOT_FOUND_TTL};
use dl_edge::decision::{decide, Decision, RequestView};
use dl_edge::locality::RegionGroup;
use dl_edge::policy::overrides;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut store: HashMap<String, String> = HashMap::new();
    for chunk in data.split(|b| *b == 0) {
        if let Some((key, value)) = chunk.split_first() {
            let name = KEYS[usize::from(*key) % KEYS.len()].name;
            store.insert(name.to_owned(), String::from_utf8_lossy(value).into_owned());
        }
    }
    let (mut config, _) = Config::load(&store);
    overrides::apply(&mut config, 1_800_000_000);
    assert!(config.cache.not_found_ttl <= MAX_NOT_FOUND_TTL);
    let host = config.hosts[0].clone();
    for target in ["/release/stable.txt", "/release/v1.31.0/bin/linux/amd64/kubectl"] {
        let view = RequestView { method: "GET", host: Some(&host), target, range: None, header_bytes: 100, repeated: None };
        if let Decision::Fetch(fetch) = decide(&view, &config) {
            assert!(!fetch.target.object.is_empty());
            for group in RegionGroup::ALL {
                config.shield_plan.choose(&classify(target), target, group);
            }
        }
    }
});

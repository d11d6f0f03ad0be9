//! Properties of the path parser, the decision and the config over
//! arbitrary input: they never panic, every accepted path names a safe,
//! non-empty object, rejection reasons are stable, and no Config Store
//! value can break serving or lift the cap on 404 TTLs.

use std::collections::HashMap;

use dl_edge::artifact::classify::classify;
use dl_edge::config::{Config, KEYS, MAX_NOT_FOUND_TTL};
use dl_edge::decision::{decide, Decision, Reply, RequestView};
use dl_edge::locality::RegionGroup;
use dl_edge::policy::overrides;
use dl_edge::primitives::json;
use dl_edge::request::path;
use proptest::prelude::*;

/// Request targets built from the characters that matter: separators,
/// dots, escapes, controls, and a few path words.
fn target() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("/".to_owned()),
        Just(".".to_owned()),
        Just("..".to_owned()),
        Just("%2e".to_owned()),
        Just("%2f".to_owned()),
        Just("%25".to_owned()),
        Just("%00".to_owned()),
        Just("\\".to_owned()),
        Just("?".to_owned()),
        Just("#".to_owned()),
        Just("+".to_owned()),
        Just("release".to_owned()),
        Just("v1.31.0".to_owned()),
        Just("ci".to_owned()),
        Just("kops".to_owned()),
        Just("stable.txt".to_owned()),
        "[a-z0-9._~-]{1,8}",
        any::<char>().prop_map(String::from),
        "%[0-9a-fA-FgG]{0,2}",
    ];
    prop::collection::vec(piece, 0..16).prop_map(|pieces| pieces.concat())
}

/// Config Store values built from the pieces the JSON keys are made of
/// (routes, log endpoints, overrides, shield plans), numbers, and
/// arbitrary text.
fn config_value() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just(",".to_owned()),
        Just(":".to_owned()),
        Just("\"prefix\":\"/ci/\"".to_owned()),
        Just("\"prefix\":\"/\"".to_owned()),
        Just("\"bucket\":\"k8s-release-dev\"".to_owned()),
        Just("\"strip_prefix\":true".to_owned()),
        Just("\"new_percent\":101".to_owned()),
        Just("\"name\":\"splunk\"".to_owned()),
        Just("\"format\":\"hec\"".to_owned()),
        Just("\"sample_rate\":2.5".to_owned()),
        Just("\"kind\":\"max_ttl\"".to_owned()),
        Just("\"seconds\":4294967295".to_owned()),
        Just("\"expires\":\"2099-01-01T00:00:00Z\"".to_owned()),
        Just("\"default\":[\"chi-il-us\"]".to_owned()),
        Just("\"groups\":{\"na-east\":[\"iad-va-us\"]}".to_owned()),
        Just("\"rules\":[{\"name\":\"r\",\"versions\":\">=1.2\",\"shields\":[]}]".to_owned()),
        Just("\"granularity\":\"patch\"".to_owned()),
        Just("\"\\u0069ad-va-us\"".to_owned()),
        Just("\"q\\\"]\"".to_owned()),
        "-?[0-9]{1,6}",
        "[0-9]{7,12}",
        "[ -~]{0,12}",
        any::<char>().prop_map(String::from),
    ]
    .boxed();
    // A lone piece (a number, a word) as often as a composition.
    prop_oneof![
        piece.clone(),
        prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Whatever the Config Store holds, loading returns a config (bad
    /// values fall back to defaults, each reported under its own key),
    /// overrides apply, a 404 is never cached past the cap (product rule
    /// 1), and requests are still decided.
    #[test]
    fn no_config_value_breaks_serving(values in prop::collection::vec((0..KEYS.len(), config_value()), 0..6)) {
        let store: HashMap<String, String> = values
            .iter()
            .map(|(key, value)| (KEYS[*key].name.to_owned(), value.clone()))
            .collect();
        let (mut config, warnings) = Config::load(&store);
        for warning in &warnings {
            prop_assert!(store.contains_key(warning.key), "{} warned but not set", warning.key);
        }
        overrides::apply(&mut config, 1_800_000_000);
        prop_assert!(config.cache.not_found_ttl <= MAX_NOT_FOUND_TTL);
        prop_assert!(!config.hosts.is_empty());
        for target in ["/release/stable.txt", "/release/v1.31.0/bin/linux/amd64/kubectl", "/ci/latest.txt"] {
            let view = RequestView { method: "GET", host: Some(&config.hosts[0]), target, range: None, header_bytes: 100, repeated: None };
            if let Decision::Fetch(fetch) = decide(&view, &config) {
                prop_assert!(!fetch.target.object.is_empty());
                for group in RegionGroup::ALL {
                    config.shield_plan.choose(&classify(target), target, group);
                }
            }
        }
    }

    /// The service's JSON reader (no serde in the Wasm) accepts exactly
    /// the texts serde_json accepts, and never panics.
    #[test]
    fn the_json_reader_accepts_what_serde_json_accepts(text in config_value()) {
        let ours = json::read(&text, json::Reader::skip);
        let theirs = serde_json::from_str::<serde_json::Value>(&text);
        prop_assert_eq!(ours.is_ok(), theirs.is_ok(), "{:?}: {:?} / {:?}", text, ours, theirs);
        // A list or an object serde_json accepts is passed over by its
        // brackets alone to exactly where it ends (nothing left after it).
        if theirs.is_ok() && text.trim_start().starts_with(['[', '{']) {
            let brackets = json::read(&text, json::Reader::skip_brackets);
            prop_assert!(brackets.is_ok(), "{:?}: {:?}", text, brackets);
        }
    }

    /// Whatever the bytes, parsing returns; an accepted path is absolute,
    /// has no `.`/`..`/empty segment, no control character, no backslash.
    #[test]
    fn accepted_paths_are_safe(raw in target()) {
        if let Ok(p) = path::parse(&raw, 1024) {
            prop_assert!(p.path.starts_with('/'));
            prop_assert!(!p.path.chars().any(char::is_control));
            prop_assert!(!p.path.contains('\\'));
            let inner = p.path[1..].strip_suffix('/').unwrap_or(&p.path[1..]);
            for segment in inner.split('/') {
                prop_assert!(segment != "." && segment != ".." && (!segment.is_empty() || inner.is_empty()), "{:?}", p.path);
            }
        }
    }

    /// Every fetch names a non-empty object with no dot segment and no
    /// control character; every rejection is a 4xx with its stable reason.
    #[test]
    fn decisions_are_safe_fetches_or_4xx(raw in target(), method in prop_oneof![Just("GET".to_owned()), Just("HEAD".to_owned()), Just("POST".to_owned()), Just("OPTIONS".to_owned()), "[A-Z]{1,7}"], range in proptest::option::of("[ -~]{0,20}")) {
        let config = Config::default();
        let view = RequestView { method: &method, host: Some("dl.k8s.io"), target: &raw, range: range.as_deref(), header_bytes: 100, repeated: None };
        match decide(&view, &config) {
            Decision::Fetch(fetch) => {
                let object = &fetch.target.object;
                prop_assert!(!object.is_empty() && !object.ends_with('/'));
                prop_assert!(!object.split('/').any(|s| s == "." || s == ".." || s.is_empty()), "{:?}", object);
                prop_assert!(!object.chars().any(char::is_control));
                prop_assert!(fetch.origin.path.is_ascii(), "the origin path is encoded");
            }
            Decision::Reply(Reply::Preflight) => prop_assert_eq!(method, "OPTIONS"),
            Decision::Reply(Reply::Rejected(r)) => {
                prop_assert!((400..500).contains(&r.status()));
                let again = decide(&view, &config);
                prop_assert_eq!(again, Decision::Reply(Reply::Rejected(r)), "stable");
            }
        }
    }
}

//! Properties of the path parser and the decision over arbitrary input:
//! they never panic, every accepted path names a safe, non-empty object,
//! and rejection reasons are stable.

use dl_edge::config::Config;
use dl_edge::decision::{decide, Decision, Reply, RequestView};
use dl_edge::path;
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

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
        let view = RequestView { method: &method, host: Some("dl.k8s.io"), target: &raw, range: range.as_deref(), header_bytes: 100 };
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

//! The plan: parsing, precedence (one test per rule), affinity.

use super::*;
use crate::artifact::classify::classify;
use crate::locality::RegionGroup::{self, *};

const PLAN: &str = r#"{
  "granularity": "minor",
  "groups": {
    "na-east": ["iad-va-us", "lga-ny-us", "bos-ma-us"],
    "europe-west": ["london_city-uk", "cdg-par-fr"],
    "europe-central": ["frankfurt-de", "vie-vienna-at"]
  },
  "rules": [
    {"name": "old-europe", "versions": "<1.28", "groups": ["europe-west", "europe-central"], "shields": ["frankfurt-de"]},
    {"name": "old", "versions": "<1.28", "shields": ["chi-il-us"]},
    {"name": "asia", "groups": ["asia-north"], "shields": ["tyo-tokyo-jp", "hnd-tokyo-jp"]},
    {"name": "direct-1.29", "versions": "1.29", "shields": []}
  ],
  "unversioned": ["chi-il-us"],
  "default": ["iad-va-us"]
}"#;

fn plan() -> Plan {
    let (plan, problems) = Plan::parse(PLAN).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    plan
}

fn codes(list: &[&'static str]) -> Vec<ShieldCode> {
    list.iter().map(|c| Cow::Borrowed(*c)).collect()
}

fn choose(path: &str, group: RegionGroup) -> ShieldChoice {
    plan().choose(&classify(path), path, group)
}

/// Rule 1: markers, CI builds and unversioned paths take `unversioned`,
/// even where a rule or group would match.
#[test]
fn precedence_1_markers_ci_builds_and_unversioned_paths_take_unversioned() {
    for path in [
        "/release/stable.txt",
        "/ci/v1.27.0-alpha.1.5+abc123/bin/linux/amd64/kubelet",
        "/network-plugins/cni-plugins-amd64-v0.6.0.tgz",
    ] {
        let c = choose(path, EuropeWest);
        assert_eq!(c.rule, "unversioned", "{path}");
        assert_eq!(c.candidates, ["chi-il-us"], "{path}");
    }
}

/// Rule 1, per group: a group's `unversioned_groups` entry takes its
/// markers, CI builds and unversioned paths; other groups keep
/// `unversioned`.
#[test]
fn precedence_1_a_groups_unversioned_candidates_take_its_markers() {
    let text = PLAN.replace(
        r#""unversioned": ["chi-il-us"],"#,
        r#""unversioned": ["chi-il-us"], "unversioned_groups": {"europe-west": ["london_city-uk"]},"#,
    );
    let (plan, problems) = Plan::parse(&text).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let marker = "/release/stable.txt";
    let c = plan.choose(&classify(marker), marker, EuropeWest);
    assert_eq!(c.rule, "unversioned:europe-west");
    assert_eq!(c.candidates, ["london_city-uk"]);
    let c = plan.choose(&classify(marker), marker, NaEast);
    assert_eq!(c.rule, "unversioned");
    assert_eq!(c.candidates, ["chi-il-us"]);
    let release = "/release/v1.31.0/bin/linux/amd64/kubectl";
    let c = plan.choose(&classify(release), release, EuropeWest);
    assert_eq!(c.rule, "group:europe-west", "releases keep their own rules");
}

/// Rule 2: a rule constraining versions and groups beats a version-only
/// rule that also matches, wherever it stands in the list.
#[test]
fn precedence_2_version_and_group_rule_beats_version_only_rule() {
    let text = PLAN.replace(
        r#"{"name": "old-europe""#,
        r#"{"name": "x", "groups": ["africa"], "shields": []},{"name": "old-europe""#,
    );
    let (plan, _) = Plan::parse(&text).unwrap();
    let c = plan.choose(
        &classify("/release/v1.27.3/bin/linux/amd64/kubectl"),
        "",
        EuropeCentral,
    );
    assert_eq!(c.rule, "rule:old-europe");
    assert_eq!(c.candidates, ["frankfurt-de"]);
}

/// Rule 3: a version-only rule beats a group-only rule and the group's
/// own candidates.
#[test]
fn precedence_3_version_rule_beats_group_rule_and_group_candidates() {
    let c = choose("/release/v1.27.3/bin/linux/amd64/kubectl", AsiaNorth);
    assert_eq!(c.rule, "rule:old");
    let c = choose("/release/v1.27.3/bin/linux/amd64/kubectl", NaEast);
    assert_eq!(c.rule, "rule:old");
    assert_eq!(c.candidates, ["chi-il-us"]);
}

/// Rule 4: a group-only rule beats the group's own candidates.
#[test]
fn precedence_4_group_rule_beats_group_candidates() {
    let c = choose("/release/v1.31.0/bin/linux/amd64/kubectl", AsiaNorth);
    assert_eq!(c.rule, "rule:asia");
    assert_eq!(c.candidates.len(), 2);
}

/// Rule 5: without a matching rule, the group's candidates.
#[test]
fn precedence_5_group_candidates() {
    let c = choose("/release/v1.31.0/bin/linux/amd64/kubectl", NaEast);
    assert_eq!(c.rule, "group:na-east");
    let mut sorted = c.candidates.clone();
    sorted.sort();
    assert_eq!(sorted, ["bos-ma-us", "iad-va-us", "lga-ny-us"]);
}

/// Rule 6: a group without candidates uses `default`.
#[test]
fn precedence_6_default() {
    let c = choose("/release/v1.31.0/bin/linux/amd64/kubectl", Oceania);
    assert_eq!(c.rule, "default");
    assert_eq!(c.candidates, ["iad-va-us"]);
}

#[test]
fn an_empty_shield_list_means_straight_to_the_origin() {
    let c = choose("/release/v1.29.8/bin/linux/amd64/kubectl", NaEast);
    assert_eq!(c.rule, "rule:direct-1.29");
    assert!(c.candidates.is_empty());
}

#[test]
fn a_release_line_settles_on_one_shield_per_group() {
    let first = choose("/release/v1.31.0/bin/linux/amd64/kubectl", NaEast).candidates;
    for path in [
        "/release/v1.31.0/bin/linux/arm64/kubectl",
        "/release/v1.31.4/kubernetes-server-linux-amd64.tar.gz",
        "/v1.31.2/bin/darwin/arm64/kubectl",
    ] {
        assert_eq!(choose(path, NaEast).candidates, first, "{path}");
    }
}

#[test]
fn the_choice_is_deterministic() {
    let a: Vec<ShieldChoice> = (0..50)
        .map(|m| choose(&format!("/release/v1.{m}.0/kubernetes.tar.gz"), NaEast))
        .collect();
    let b: Vec<ShieldChoice> = (0..50)
        .map(|m| choose(&format!("/release/v1.{m}.0/kubernetes.tar.gz"), NaEast))
        .collect();
    assert_eq!(a, b);
}

/// Adding a POP to five moves about a sixth of the releases, all of them to
/// the new POP; removing it moves them back and nothing else.
#[test]
fn adding_a_pop_moves_only_its_share() {
    let five = codes(&[
        "iad-va-us",
        "lga-ny-us",
        "bos-ma-us",
        "chi-il-us",
        "yyz-on-ca",
    ]);
    let mut six = five.clone();
    six.push(Cow::Borrowed("miami-fl-us"));
    let keys: Vec<String> = (0..3000)
        .map(|i| format!("{}.{}", i / 100, i % 100))
        .collect();
    let mut moved = 0;
    for key in &keys {
        let before = ShieldChoice::ordered(&five, key, String::new(), NaEast).candidates[0].clone();
        let after = ShieldChoice::ordered(&six, key, String::new(), NaEast).candidates[0].clone();
        if before != after {
            assert_eq!(after, "miami-fl-us", "{key} moved between old POPs");
            moved += 1;
        }
    }
    let share = moved as f64 / keys.len() as f64;
    assert!(
        (0.13..0.21).contains(&share),
        "moved {share:.3}, expected about 1/6"
    );
}

#[test]
fn releases_spread_over_the_candidates() {
    let four = codes(&["iad-va-us", "lga-ny-us", "bos-ma-us", "chi-il-us"]);
    let mut counts = std::collections::HashMap::new();
    for i in 0..2000 {
        let key = format!("1.{i}");
        *counts
            .entry(ShieldChoice::ordered(&four, &key, String::new(), NaEast).candidates[0].clone())
            .or_insert(0) += 1;
    }
    for (pop, n) in counts {
        assert!((380..620).contains(&n), "{pop} got {n} of 2000");
    }
}

/// A bad entry is dropped alone, with a problem naming it; the rest of
/// the plan stands.
#[test]
fn every_bad_entry_is_dropped_alone_with_a_clear_problem() {
    use PlanProblem::*;
    let s = |s: &str| s.to_owned();
    let table = [
        (
            r#"{"groups": {"mars": ["iad-va-us"]}}"#,
            UnknownGroup(s("mars")),
        ),
        (
            r#"{"groups": {"na-east": ["XYZ"]}}"#,
            NotAShieldCode {
                list: s("group na-east"),
                code: s("XYZ"),
            },
        ),
        (
            r#"{"rules": [{"name": "r", "versions": ">=1.x", "shields": []}]}"#,
            RuleVersions {
                rule: s("r"),
                error: VersionRange::parse(">=1.x").unwrap_err(),
            },
        ),
        (
            r#"{"rules": [{"name": "r", "groups": ["pluto", "na-east"], "shields": []}]}"#,
            RuleGroup {
                rule: s("r"),
                group: s("pluto"),
            },
        ),
        (
            r#"{"rules": [{"name": "r", "shields": ["iad-va-us"]}]}"#,
            Unconstrained(s("r")),
        ),
        (
            r#"{"timeouts": {"first_byte_ms": 0}}"#,
            Timeout {
                name: "first_byte_ms",
                ms: 0,
            },
        ),
    ];
    for (text, problem) in table {
        let (plan, problems) = Plan::parse(text).unwrap();
        assert_eq!(problems, [problem], "{text}");
        assert!(problems[0].is_error(), "{text}");
        assert!(plan.rules.is_empty(), "{text}: a bad rule is dropped");
        assert!(
            plan.groups.values().all(Vec::is_empty),
            "{text}: a bad code is dropped"
        );
        assert_eq!(plan.timeouts, DEFAULT_TIMEOUTS, "{text}");
    }
    assert_eq!(
        RuleVersions {
            rule: s("r"),
            error: VersionRange::parse(">=1.x").unwrap_err(),
        }
        .to_string(),
        "rule r: version range \">=1.x\": \">=1.x\" is not a version such as 1.31 or 1.31.2; the rule is dropped"
    );
    // The reader's words say what is wrong with the JSON: the whole plan
    // is refused, and the service uses the built-in one.
    let not_plans = [
        ("not json", "expected a JSON value at byte 0"),
        ("{not json", "expected a field name in quotes at byte 1"),
        (
            r#"{"rules": [{"name": "r", "versions": "<2"}]}"#,
            "missing field `shields`",
        ),
        (
            r#"{"granularity": "week"}"#,
            r#"granularity: "week" is not major, minor or patch"#,
        ),
        (r#"{"shields": []}"#, "unknown field `shields`"),
        (
            r#"{"timeouts": {"first_byte": 1}}"#,
            "unknown field `first_byte`",
        ),
        (
            r#"{"default": "chi-il-us"}"#,
            "default: expected a list, found a string",
        ),
        // A list is not a plan of defaults (which would send everything
        // to the origin): only an object is.
        ("[]", "expected an object, found a list"),
        (r#"[["chi-il-us"]]"#, "expected an object, found a list"),
    ];
    for (text, detail) in not_plans {
        match Plan::parse(text) {
            Err(NotAPlan(d)) => assert!(d.contains(detail), "{text}: {d}"),
            other => panic!("{text}: {other:?}"),
        }
    }
}

/// A well-formed code the bundled list lacks stays a candidate: the
/// platform is the authority, and an unknown code falls through to the
/// next candidate at request time. It is a warning, not an error.
#[test]
fn an_unlisted_well_formed_code_is_kept_with_a_warning() {
    let (plan, problems) = Plan::parse(r#"{"default": ["new-pop-xx", "chi-il-us"]}"#).unwrap();
    assert_eq!(
        problems,
        [PlanProblem::UnlistedShield {
            list: "default".into(),
            code: "new-pop-xx".into()
        }]
    );
    assert!(!problems[0].is_error());
    let mut kept = plan.default.clone();
    kept.sort();
    assert_eq!(kept, ["chi-il-us", "new-pop-xx"]);
    assert!(
        matches!(
            plan.default.iter().find(|c| *c == "chi-il-us"),
            Some(Cow::Borrowed(_))
        ),
        "a listed code is the table's own"
    );
}

#[test]
fn every_problem_is_reported_at_once_and_the_rest_stands() {
    let (plan, problems) = Plan::parse(
        r#"{"groups": {"mars": ["XYZ"], "na-east": ["iad-va-us"]}, "default": ["nope"], "rules": [{"name": "r", "versions": "~1", "shields": []}, {"name": "ok", "versions": "<1.28", "shields": []}]}"#,
    )
    .unwrap();
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert_eq!(plan.groups.len(), 1);
    assert_eq!(plan.rules.len(), 1);
    assert_eq!(plan.rules[0].name, "ok");
}

#[test]
fn shield_timeouts_come_from_the_plan() {
    let (plan, problems) =
        Plan::parse(r#"{"timeouts": {"first_byte_ms": 2000, "between_bytes_ms": 500}}"#).unwrap();
    assert!(problems.is_empty());
    assert_eq!(
        plan.timeouts,
        ShieldTimeouts {
            first_byte_ms: 2000,
            between_bytes_ms: 500
        }
    );
    assert_eq!(Plan::builtin().timeouts, DEFAULT_TIMEOUTS);
}

#[test]
fn the_builtin_plan_is_one_static_shield() {
    let plan = Plan::builtin();
    for path in [
        "/release/stable.txt",
        "/release/v1.31.0/bin/linux/amd64/kubectl",
    ] {
        for group in RegionGroup::ALL {
            assert_eq!(
                plan.choose(&classify(path), path, group).candidates,
                ["chi-il-us"]
            );
        }
    }
}

#[test]
fn shield_codes_are_sorted_and_match_the_pop_data() {
    assert!(
        SHIELDS.windows(2).all(|w| w[0].0 < w[1].0),
        "sorted for binary search"
    );
    assert_eq!(coordinates("chi-il-us").map(|c| c.0.round()), Some(42.0));
    // The data in the repository (data/README.md), so this never skips.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/fastly-pops.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let data: serde_json::Value = serde_json::from_str(&text).unwrap();
    let pops = data["pops"].as_array().unwrap();
    let mut codes: Vec<&str> = pops.iter().filter_map(|p| p["shield"].as_str()).collect();
    codes.sort_unstable();
    let ours: Vec<&str> = SHIELDS.iter().map(|s| s.0).collect();
    assert_eq!(
        ours, codes,
        "src/shield/pops.rs is out of date with data/fastly-pops.json: \
         rerun `cargo run -p xtask -- gen-pops`"
    );
    for &(shield, pop, latitude, longitude) in SHIELDS {
        let p = pops
            .iter()
            .find(|p| p["shield"].as_str() == Some(shield))
            .unwrap();
        assert_eq!(
            (
                p["code"].as_str(),
                p["latitude"].as_f64(),
                p["longitude"].as_f64()
            ),
            (Some(pop), Some(latitude), Some(longitude)),
            "{shield} in src/shield/pops.rs is out of date with data/fastly-pops.json"
        );
    }
}

/// A name written with JSON escapes is the name it spells.
#[test]
fn escaped_names_read_as_what_they_spell() {
    let (plan, problems) = Plan::parse(r#"{"default": ["\u0069ad-va-us"]}"#).unwrap();
    assert_eq!(plan.default, ["iad-va-us"]);
    assert!(problems.is_empty(), "{problems:?}");
}

//! `plan check`: everything an operator can get wrong in a shield plan,
//! before it is uploaded. The service itself drops a bad entry alone and
//! keeps the rest; this is where the mistakes are caught loudly, with the
//! ones the service cannot see (duplicate keys, shadowed rules, the size
//! limit).

use std::fmt;

use dl_edge::shield::{Plan, PlanProblem, Rule};

use crate::json_keys::duplicate_keys;

/// The Config Store's limit on a value, in characters.
pub const CONFIG_STORE_VALUE_LIMIT: usize = 8000;

/// One finding about a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// What the service itself sees: a dropped entry, or (a warning) a
    /// code the bundled POP list lacks.
    Plan(PlanProblem),
    /// A key given twice in one object: the service keeps the last.
    DuplicateKey(String),
    /// Two rules with one name: the log's `routing.shield_rule` cannot
    /// tell them apart.
    DuplicateRule(String),
    /// A `[]` list: that traffic goes straight to the origin.
    StraightToOrigin(String),
    /// A rule no request can match: an empty version range, or no groups.
    NeverMatches(String),
    /// A rule an earlier rule of the same precedence always wins over.
    Shadowed { rule: String, by: String },
    /// The compact plan is over the Config Store's value limit.
    TooLong(usize),
}

impl Finding {
    /// Errors make `plan check` exit 1; warnings are shown only.
    pub fn is_error(&self) -> bool {
        match self {
            Finding::Plan(p) => p.is_error(),
            Finding::StraightToOrigin(_) => false,
            _ => true,
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Plan(p) => p.fmt(f),
            Finding::DuplicateKey(path) => {
                write!(f, "{path} is given twice; the service keeps the last")
            }
            Finding::DuplicateRule(name) => write!(f, "two rules are named {name}"),
            Finding::StraightToOrigin(list) => write!(
                f,
                "{list} is []: that traffic goes straight to the origin, unshielded"
            ),
            Finding::NeverMatches(rule) => write!(f, "rule {rule} can never match"),
            Finding::Shadowed { rule, by } => write!(
                f,
                "rule {rule} never applies: rule {by} comes first and covers it"
            ),
            Finding::TooLong(n) => write!(
                f,
                "the compact plan is {n} characters; the Config Store takes {CONFIG_STORE_VALUE_LIMIT}"
            ),
        }
    }
}

/// Checks a plan's text. `Err` when it is not a plan at all (the service
/// would use the built-in one); otherwise every finding, errors and
/// warnings, in the order of the text's parts.
pub fn check(text: &str) -> Result<(Plan, Vec<Finding>), Finding> {
    let (plan, problems) = Plan::parse(text).map_err(Finding::Plan)?;
    let mut findings: Vec<Finding> = duplicate_keys(text)
        .unwrap_or_default()
        .into_iter()
        .map(Finding::DuplicateKey)
        .collect();
    findings.extend(problems.into_iter().map(Finding::Plan));
    for (i, rule) in plan.rules.iter().enumerate() {
        if plan.rules[..i].iter().any(|r| r.name == rule.name) {
            findings.push(Finding::DuplicateRule(rule.name.clone()));
        }
    }
    let lists = plan
        .groups
        .iter()
        .map(|(g, list)| (format!("group {}", g.as_str()), list))
        .chain(
            plan.unversioned_groups
                .iter()
                .map(|(g, list)| (format!("unversioned group {}", g.as_str()), list)),
        )
        .chain(
            plan.rules
                .iter()
                .map(|r| (format!("rule {}", r.name), &r.shields)),
        )
        .chain([
            ("unversioned".to_owned(), &plan.unversioned),
            ("default".to_owned(), &plan.default),
        ]);
    for (name, list) in lists {
        if list.is_empty() {
            findings.push(Finding::StraightToOrigin(name));
        }
    }
    for (i, rule) in plan.rules.iter().enumerate() {
        let empty_range = rule.versions.as_ref().is_some_and(|v| v.is_empty());
        let no_groups = rule.groups.as_ref().is_some_and(Vec::is_empty);
        if empty_range || no_groups {
            findings.push(Finding::NeverMatches(rule.name.clone()));
        } else if let Some(by) = plan.rules[..i].iter().find(|r| covers(r, rule)) {
            findings.push(Finding::Shadowed {
                rule: rule.name.clone(),
                by: by.name.clone(),
            });
        }
    }
    let compact = serde_json::from_str::<serde_json::Value>(text)
        .map(|v| v.to_string().chars().count())
        .unwrap_or(0);
    if compact > CONFIG_STORE_VALUE_LIMIT {
        findings.push(Finding::TooLong(compact));
    }
    Ok((plan, findings))
}

/// Whether `earlier` wins every request `later` could match: the same
/// precedence tier (versions and groups, versions only, groups only), and
/// each of its constraints covers the later rule's.
fn covers(earlier: &Rule, later: &Rule) -> bool {
    let same_tier = earlier.versions.is_some() == later.versions.is_some()
        && earlier.groups.is_some() == later.groups.is_some();
    let versions = match (&earlier.versions, &later.versions) {
        (Some(a), Some(b)) => a.covers(b),
        _ => true,
    };
    let groups = match (&earlier.groups, &later.groups) {
        (Some(a), Some(b)) => b.iter().all(|g| a.contains(g)),
        _ => true,
    };
    same_tier && versions && groups
}

/// The Config Store command that sets the plan: `--upsert` so that it
/// works on a store that lacks the key, the value on standard input so
/// that no shell quoting can break it.
pub fn export_command(text: &str, store_id: &str) -> Result<String, serde_json::Error> {
    let compact = serde_json::from_str::<serde_json::Value>(text)?.to_string();
    Ok(format!(
        "fastly config-store-entry update --upsert --store-id {store_id} --key shield_plan --stdin <<'PLAN'\n{compact}\nPLAN"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(text: &str) -> Vec<Finding> {
        check(text).unwrap().1
    }

    #[test]
    fn the_example_plan_is_clean() {
        let text = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../docs/shield-plan.example.json"
        ));
        let errors: Vec<Finding> = findings(text)
            .into_iter()
            .filter(Finding::is_error)
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn duplicate_keys_and_rule_names_are_errors() {
        let found = findings(
            r#"{"groups": {"na-east": ["iad-va-us"], "na-east": ["bos-ma-us"]},
                "rules": [{"name": "a", "versions": "<1.28", "shields": ["chi-il-us"]},
                          {"name": "a", "versions": ">=1.31", "shields": ["chi-il-us"]}]}"#,
        );
        assert_eq!(
            found,
            [
                Finding::DuplicateKey("groups.na-east".into()),
                Finding::DuplicateRule("a".into()),
                Finding::StraightToOrigin("unversioned".into()),
                Finding::StraightToOrigin("default".into()),
            ]
        );
        assert!(found[0].is_error() && found[1].is_error());
        assert!(!found[2].is_error(), "[] is a warning");
    }

    #[test]
    fn shadowed_and_impossible_rules_are_errors() {
        let found = findings(
            r#"{"default": ["chi-il-us"],
                "rules": [
                  {"name": "old", "versions": "<1.30", "shields": ["chi-il-us"]},
                  {"name": "older", "versions": "<1.28", "shields": ["iad-va-us"]},
                  {"name": "eu", "groups": ["europe-west", "europe-central"], "shields": ["frankfurt-de"]},
                  {"name": "eu-west", "groups": ["europe-west"], "shields": ["cdg-par-fr"]},
                  {"name": "eu-old", "versions": "<1.28", "groups": ["europe-west"], "shields": ["cdg-par-fr"]},
                  {"name": "nothing", "versions": ">=1.30, <1.29", "shields": ["chi-il-us"]},
                  {"name": "nowhere", "groups": [], "shields": ["chi-il-us"]},
                  {"name": "newer", "versions": ">=1.30", "shields": ["iad-va-us"]}
                ]}"#,
        );
        assert_eq!(
            found,
            [
                Finding::Shadowed {
                    rule: "older".into(),
                    by: "old".into()
                },
                Finding::Shadowed {
                    rule: "eu-west".into(),
                    by: "eu".into()
                },
                Finding::NeverMatches("nothing".into()),
                Finding::NeverMatches("nowhere".into()),
            ],
            "a rule of another tier shadows nothing; newer is not covered"
        );
    }

    #[test]
    fn a_plan_over_the_store_limit_is_an_error() {
        let groups: Vec<String> = (0..400)
            .map(|i| {
                format!(r#"{{"name": "rule-{i}", "versions": "={i}", "shields": ["chi-il-us"]}}"#)
            })
            .collect();
        let text = format!(
            r#"{{"default": ["chi-il-us"], "rules": [{}]}}"#,
            groups.join(",")
        );
        let found = findings(&text);
        assert!(
            matches!(found.last(), Some(Finding::TooLong(n)) if *n > CONFIG_STORE_VALUE_LIMIT),
            "{:?}",
            found.last()
        );
    }

    #[test]
    fn unlisted_codes_are_warnings_and_not_a_plan_is_an_error() {
        let found = findings(r#"{"default": ["new-pop-xx"]}"#);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found.iter().all(|f| !f.is_error()), "{found:?}");
        assert!(matches!(
            check("[]"),
            Err(Finding::Plan(PlanProblem::NotAPlan(_)))
        ));
    }

    #[test]
    fn the_export_command_upserts_the_compact_plan_from_stdin() {
        let command = export_command("{\n  \"default\": [\"chi-il-us\"]\n}", "abc123").unwrap();
        assert_eq!(
            command,
            "fastly config-store-entry update --upsert --store-id abc123 --key shield_plan --stdin <<'PLAN'\n{\"default\":[\"chi-il-us\"]}\nPLAN"
        );
    }
}

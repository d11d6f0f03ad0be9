//! Which shield POP fetches an object from the origin: the plan.
//!
//! A single static shield (what Kubernetes runs today) makes every edge in
//! the world cross an ocean for a miss; no shield makes every POP fetch
//! every release from the origin. The plan chooses per request, from the
//! client's region group and the release: each group has candidate shields
//! near it, and within them each release line (`1.31` by default) settles
//! on one shield by rendezvous hashing, so a release is fetched from the
//! origin about once per group, and adding or removing a POP moves only the
//! releases that hash to it. See docs/shielding.md.

mod pops;
mod version_range;

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::artifact::classify::{Class, Classification};
use crate::locality::RegionGroup;
pub use pops::SHIELDS;
pub use version_range::{RangeError, RangeReason, VersionRange};

/// How much of the version picks the shield.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    Major,
    Minor,
    Patch,
}

/// A plan rule: for these versions and/or groups, these candidates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub name: String,
    pub versions: Option<VersionRange>,
    pub groups: Option<Vec<RegionGroup>>,
    /// Candidate shield codes, most preferred first before hashing; empty
    /// means "no shield: go straight to the origin".
    pub shields: Vec<&'static str>,
}

/// The shield plan (`shield_plan` in the Config Store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub granularity: Granularity,
    pub groups: BTreeMap<RegionGroup, Vec<&'static str>>,
    pub rules: Vec<Rule>,
    /// For markers, CI builds and unversioned paths.
    pub unversioned: Vec<&'static str>,
    /// For a group with no candidates of its own.
    pub default: Vec<&'static str>,
}

/// The plan's JSON form, before validation. A configured plan is parsed
/// on every request, so names are borrowed from the text rather than
/// copied (a name written with JSON escapes is refused as not a string).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan<'a> {
    #[serde(default = "minor")]
    granularity: Granularity,
    #[serde(default, borrow)]
    groups: BTreeMap<&'a str, Vec<&'a str>>,
    #[serde(default, borrow)]
    rules: Vec<RawRule<'a>>,
    #[serde(default, borrow)]
    unversioned: Option<Vec<&'a str>>,
    #[serde(default, borrow)]
    default: Vec<&'a str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule<'a> {
    name: String,
    #[serde(default)]
    versions: Option<String>,
    #[serde(default, borrow)]
    groups: Option<Vec<&'a str>>,
    #[serde(borrow)]
    shields: Vec<&'a str>,
}

fn minor() -> Granularity {
    Granularity::Minor
}

/// The built-in plan: everything through one static shield, `chi-il-us`,
/// as the Kubernetes download CDN runs today.
pub const DEFAULT_PLAN: &str = r#"{"default":["chi-il-us"],"unversioned":["chi-il-us"]}"#;

/// One thing wrong with a shield plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanProblem {
    /// Not a plan's JSON shape, with serde's detail.
    NotAPlan(String),
    /// A code in a list (`default`, `unversioned`, `group <name>`, `rule
    /// <name>`) that names no shield POP.
    UnknownShield {
        list: String,
        code: String,
    },
    UnknownGroup(String),
    RuleGroup {
        rule: String,
        group: String,
    },
    RuleVersions {
        rule: String,
        error: RangeError,
    },
    /// A rule with neither versions nor groups would match everything.
    Unconstrained(String),
}

impl std::fmt::Display for PlanProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use PlanProblem::*;
        match self {
            NotAPlan(detail) => write!(f, "not a plan: {detail}"),
            UnknownShield { list, code } => {
                write!(f, "{list}: {code:?} is not a known shield POP code")
            }
            UnknownGroup(name) => write!(f, "{name:?} is not a region group"),
            RuleGroup { rule, group } => write!(f, "rule {rule}: {group:?} is not a region group"),
            RuleVersions { rule, error } => write!(f, "rule {rule}: {error}"),
            Unconstrained(rule) => write!(f, "rule {rule}: needs versions, groups or both"),
        }
    }
}

impl Plan {
    /// Parses and validates a plan, reporting every problem found.
    pub fn parse(text: &str) -> Result<Plan, Vec<PlanProblem>> {
        let raw: RawPlan =
            serde_json::from_str(text).map_err(|e| vec![PlanProblem::NotAPlan(e.to_string())])?;
        let mut problems = Vec::new();
        // Each code becomes the table's own `&'static str`; whose list it
        // is gets spelled out only for a problem.
        let mut shields = |list: &[&str], whose: &dyn Fn() -> String| -> Vec<&'static str> {
            list.iter()
                .filter_map(|code| {
                    let known = shield_code(code);
                    if known.is_none() {
                        problems.push(PlanProblem::UnknownShield {
                            list: whose(),
                            code: (*code).to_owned(),
                        });
                    }
                    known
                })
                .collect()
        };
        let mut groups = BTreeMap::new();
        let mut unknown_groups = Vec::new();
        for (name, list) in &raw.groups {
            let list = shields(list, &|| format!("group {name}"));
            match RegionGroup::parse(name) {
                Some(group) => {
                    groups.insert(group, list);
                }
                None => unknown_groups.push(PlanProblem::UnknownGroup((*name).to_owned())),
            }
        }
        let default = shields(&raw.default, &|| "default".to_owned());
        let unversioned = match &raw.unversioned {
            Some(list) => shields(list, &|| "unversioned".to_owned()),
            None => default.clone(),
        };
        let mut rules = Vec::new();
        let mut rule_problems = Vec::new();
        for rule in raw.rules {
            let whose = || format!("rule {}", rule.name);
            let candidates = shields(&rule.shields, &whose);
            let versions = match rule.versions.as_deref().map(VersionRange::parse) {
                Some(Err(error)) => {
                    rule_problems.push(PlanProblem::RuleVersions {
                        rule: rule.name.clone(),
                        error,
                    });
                    None
                }
                Some(Ok(range)) => Some(range),
                None => None,
            };
            let rule_groups = rule.groups.as_ref().map(|names| {
                names
                    .iter()
                    .filter_map(|n| {
                        let group = RegionGroup::parse(n);
                        if group.is_none() {
                            rule_problems.push(PlanProblem::RuleGroup {
                                rule: rule.name.clone(),
                                group: (*n).to_owned(),
                            });
                        }
                        group
                    })
                    .collect::<Vec<_>>()
            });
            if rule.versions.is_none() && rule_groups.is_none() {
                rule_problems.push(PlanProblem::Unconstrained(rule.name.clone()));
            }
            rules.push(Rule {
                name: rule.name,
                versions,
                groups: rule_groups,
                shields: candidates,
            });
        }
        problems.extend(unknown_groups);
        problems.extend(rule_problems);
        if problems.is_empty() {
            Ok(Plan {
                granularity: raw.granularity,
                groups,
                rules,
                unversioned,
                default,
            })
        } else {
            Err(problems)
        }
    }

    /// The built-in plan.
    pub fn builtin() -> Plan {
        Plan::parse(DEFAULT_PLAN).expect("the built-in plan is valid")
    }

    /// Chooses the shield candidates for one request, best first.
    ///
    /// Precedence, first match wins:
    /// 1. markers, CI builds (versions with build metadata) and unversioned
    ///    paths take `unversioned`;
    /// 2. the first rule constraining both versions and groups that matches;
    /// 3. the first version-only rule that matches;
    /// 4. the first group-only rule that matches;
    /// 5. the group's own candidates;
    /// 6. `default`.
    ///
    /// Within the candidates, rendezvous hashing on the release key orders
    /// them; the shell tries them in that order.
    pub fn choose(
        &self,
        classification: &Classification,
        path: &str,
        group: RegionGroup,
    ) -> ShieldChoice {
        let version = classification.version.as_ref();
        let release = match version {
            Some(v) if classification.class == Class::Immutable && v.build.is_none() => Some(v),
            _ => None,
        };
        let Some(version) = release else {
            return ShieldChoice::ordered(&self.unversioned, path, "unversioned".into(), group);
        };
        let key = match self.granularity {
            Granularity::Major => format!("{}", version.major),
            Granularity::Minor => format!("{}.{}", version.major, version.minor),
            Granularity::Patch => format!("{}.{}.{}", version.major, version.minor, version.patch),
        };
        let version_matches = |r: &Rule| {
            r.versions
                .as_ref()
                .is_none_or(|range| range.contains(version))
        };
        let group_matches = |r: &Rule| {
            r.groups
                .as_ref()
                .is_none_or(|groups| groups.contains(&group))
        };
        let tiers: [fn(&Rule) -> bool; 3] = [
            |r| r.versions.is_some() && r.groups.is_some(),
            |r| r.versions.is_some() && r.groups.is_none(),
            |r| r.versions.is_none() && r.groups.is_some(),
        ];
        for tier in tiers {
            if let Some(rule) = self
                .rules
                .iter()
                .find(|r| tier(r) && version_matches(r) && group_matches(r))
            {
                return ShieldChoice::ordered(
                    &rule.shields,
                    &key,
                    format!("rule:{}", rule.name),
                    group,
                );
            }
        }
        match self.groups.get(&group) {
            Some(candidates) => {
                ShieldChoice::ordered(candidates, &key, format!("group:{}", group.as_str()), group)
            }
            None => ShieldChoice::ordered(&self.default, &key, "default".into(), group),
        }
    }
}

/// The outcome of the plan for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShieldChoice {
    /// Shield codes to try in order; empty means straight to the origin.
    pub candidates: Vec<&'static str>,
    /// What chose them: `rule:<name>`, `group:<group>`, `unversioned` or
    /// `default`.
    pub rule: String,
    pub group: RegionGroup,
}

impl ShieldChoice {
    fn ordered(
        candidates: &[&'static str],
        key: &str,
        rule: String,
        group: RegionGroup,
    ) -> ShieldChoice {
        let mut scored: Vec<(u64, &'static str)> =
            candidates.iter().map(|&c| (score(c, key), c)).collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        let mut ordered: Vec<&'static str> = Vec::with_capacity(scored.len());
        for (_, code) in scored {
            if !ordered.contains(&code) {
                ordered.push(code);
            }
        }
        ShieldChoice {
            candidates: ordered,
            rule,
            group,
        }
    }
}

/// Rendezvous score of a shield for a key: FNV-1a over both, then a
/// 64-bit finalizer so that similar names spread well.
fn score(shield: &str, key: &str) -> u64 {
    let mut hash = crate::primitives::fnv::fnv1a(shield.bytes().chain([0]).chain(key.bytes()));
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^ (hash >> 33)
}

/// Whether a code names a shield POP in the data.
pub fn is_shield(code: &str) -> bool {
    shield_code(code).is_some()
}

/// The data's own copy of a shield code, if it names one.
fn shield_code(code: &str) -> Option<&'static str> {
    let i = SHIELDS.binary_search_by(|(c, ..)| (*c).cmp(code)).ok()?;
    Some(SHIELDS[i].0)
}

/// Latitude and longitude of a shield POP.
pub fn coordinates(code: &str) -> Option<(f64, f64)> {
    let i = SHIELDS.binary_search_by(|(c, ..)| (*c).cmp(code)).ok()?;
    Some((SHIELDS[i].2, SHIELDS[i].3))
}

#[cfg(test)]
mod tests;

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

use std::borrow::Cow;

use crate::artifact::classify::{Class, Classification};
use crate::locality::RegionGroup;
use crate::primitives::json::{self, Reader};
use crate::primitives::{decimal, few};
pub use pops::SHIELDS;
pub use version_range::{RangeError, RangeReason, VersionRange};

/// How much of the version picks the shield.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    pub shields: Vec<ShieldCode>,
}

/// A shield POP code: the bundled list's own `&'static str` when it names
/// a listed POP, so a plan of listed codes copies nothing; an owned copy
/// of a well-formed code the list lacks (the platform is the authority:
/// an unknown code falls through to the next candidate at request time).
pub type ShieldCode = Cow<'static, str>;

/// How long the edge waits for its shield, from the plan's `timeouts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShieldTimeouts {
    /// From the request to the first byte of the answer.
    pub first_byte_ms: u32,
    /// Between two bytes of the answer's body.
    pub between_bytes_ms: u32,
}

/// The platform's defaults for a backend; a shield that takes longer is
/// treated as failed and the next candidate tried.
pub const DEFAULT_TIMEOUTS: ShieldTimeouts = ShieldTimeouts {
    first_byte_ms: 15_000,
    between_bytes_ms: 10_000,
};

/// The shield plan (`shield_plan` in the Config Store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub granularity: Granularity,
    pub groups: few::Map<RegionGroup, Vec<ShieldCode>>,
    pub rules: Vec<Rule>,
    /// For markers, CI builds and unversioned paths.
    pub unversioned: Vec<ShieldCode>,
    /// The same, for a group that has candidates of its own for them:
    /// markers are small and refetched every minute, so a shield near the
    /// group costs the origin almost nothing.
    pub unversioned_groups: few::Map<RegionGroup, Vec<ShieldCode>>,
    /// For a group with no candidates of its own.
    pub default: Vec<ShieldCode>,
    pub timeouts: ShieldTimeouts,
}

/// The plan's JSON form, before validation. A configured plan is parsed
/// on every request, so names are borrowed from the text rather than
/// copied (unless written with escapes).
struct RawPlan<'a> {
    granularity: Granularity,
    groups: few::Map<Cow<'a, str>, Vec<Cow<'a, str>>>,
    rules: Vec<RawRule<'a>>,
    unversioned: Option<Vec<Cow<'a, str>>>,
    unversioned_groups: few::Map<Cow<'a, str>, Vec<Cow<'a, str>>>,
    default: Vec<Cow<'a, str>>,
    first_byte_ms: Option<u32>,
    between_bytes_ms: Option<u32>,
}

struct RawRule<'a> {
    name: Cow<'a, str>,
    versions: Option<Cow<'a, str>>,
    groups: Option<Vec<Cow<'a, str>>>,
    shields: Vec<Cow<'a, str>>,
}

impl<'a> RawPlan<'a> {
    const FIELDS: &'static [&'static str] = &[
        "granularity",
        "groups",
        "rules",
        "unversioned",
        "unversioned_groups",
        "default",
        "timeouts",
    ];

    fn read(r: &mut Reader<'a>) -> Result<RawPlan<'a>, json::Error> {
        let mut plan = RawPlan {
            granularity: Granularity::Minor,
            groups: few::Map::new(),
            rules: Vec::new(),
            unversioned: None,
            unversioned_groups: few::Map::new(),
            default: Vec::new(),
            first_byte_ms: None,
            between_bytes_ms: None,
        };
        r.fields(Self::FIELDS, |r, field| {
            match field {
                "granularity" => {
                    plan.granularity = r.one_of(
                        &[
                            ("major", Granularity::Major),
                            ("minor", Granularity::Minor),
                            ("patch", Granularity::Patch),
                        ],
                        "is not major, minor or patch",
                    )?
                }
                "groups" => plan.groups = group_lists(r)?,
                "rules" => plan.rules = r.list_of(RawRule::read)?,
                "unversioned" => plan.unversioned = Some(r.strs()?),
                "unversioned_groups" => plan.unversioned_groups = group_lists(r)?,
                "default" => plan.default = r.strs()?,
                "timeouts" => r.fields(&["first_byte_ms", "between_bytes_ms"], |r, field| {
                    match field {
                        "first_byte_ms" => plan.first_byte_ms = Some(r.uint()?),
                        "between_bytes_ms" => plan.between_bytes_ms = Some(r.uint()?),
                        _ => r.skip()?,
                    }
                    Ok(())
                })?,
                _ => r.skip()?,
            }
            Ok(())
        })?;
        Ok(plan)
    }
}

/// `{group name: [shield codes]}`; a name written twice keeps its last
/// list.
fn group_lists<'a>(
    r: &mut Reader<'a>,
) -> Result<few::Map<Cow<'a, str>, Vec<Cow<'a, str>>>, json::Error> {
    let mut lists = few::Map::new();
    r.entries(|r, group| {
        let list = r.strs().map_err(|e| e.in_field(&group))?;
        lists.insert(group, list);
        Ok(())
    })?;
    Ok(lists)
}

impl<'a> RawRule<'a> {
    fn read(r: &mut Reader<'a>) -> Result<RawRule<'a>, json::Error> {
        let (mut name, mut shields) = (None, None);
        let (mut versions, mut groups) = (None, None);
        r.fields(&["name", "versions", "groups", "shields"], |r, field| {
            match field {
                "name" => name = Some(r.str()?),
                "versions" => versions = Some(r.str()?),
                "groups" => groups = Some(r.strs()?),
                "shields" => shields = Some(r.strs()?),
                _ => r.skip()?,
            }
            Ok(())
        })?;
        Ok(RawRule {
            name: json::required(name, "name")?,
            versions,
            groups,
            shields: json::required(shields, "shields")?,
        })
    }
}

/// The built-in plan: everything through one static shield, `chi-il-us`,
/// as the Kubernetes download CDN runs today.
pub const DEFAULT_PLAN: &str = r#"{"default":["chi-il-us"],"unversioned":["chi-il-us"]}"#;

/// One thing wrong with a shield plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanProblem {
    /// Not a plan's JSON shape, with the reader's detail.
    NotAPlan(String),
    /// A text in a list (`default`, `unversioned`, `group <name>`, `rule
    /// <name>`) that cannot be a POP code; it is dropped from the list.
    NotAShieldCode {
        list: String,
        code: String,
    },
    /// A well-formed code the bundled POP list lacks. Only a warning: the
    /// platform decides, and an unknown code falls through to the next
    /// candidate.
    UnlistedShield {
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
    /// A timeout of 0, or over the platform's two minutes.
    Timeout {
        name: &'static str,
        ms: u32,
    },
}

impl PlanProblem {
    /// Whether the plan loses something over it (an entry is dropped). A
    /// non-error is for `plan check` to show, not for the service log.
    pub fn is_error(&self) -> bool {
        !matches!(self, PlanProblem::UnlistedShield { .. })
    }

    /// The entry it is about: a code, a group, a rule, a timeout.
    pub fn entry(&self) -> String {
        use PlanProblem::*;
        match self {
            NotAPlan(_) => String::new(),
            NotAShieldCode { code, .. } | UnlistedShield { code, .. } => code.clone(),
            UnknownGroup(name) => name.clone(),
            RuleGroup { rule, .. } | RuleVersions { rule, .. } | Unconstrained(rule) => {
                format!("rule {rule}")
            }
            Timeout { name, .. } => format!("timeouts.{name}"),
        }
    }
}

impl std::fmt::Display for PlanProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use PlanProblem::*;
        match self {
            NotAPlan(detail) => write!(f, "not a plan: {detail}"),
            NotAShieldCode { list, code } => {
                write!(f, "{list}: {code:?} is not a shield POP code; dropped")
            }
            UnlistedShield { list, code } => write!(
                f,
                "{list}: {code:?} is not in the bundled POP list; it is tried, and skipped if the platform does not know it"
            ),
            UnknownGroup(name) => write!(f, "{name:?} is not a region group; dropped"),
            RuleGroup { rule, group } => {
                write!(f, "rule {rule}: {group:?} is not a region group; dropped")
            }
            RuleVersions { rule, error } => write!(f, "rule {rule}: {error}; the rule is dropped"),
            Unconstrained(rule) => write!(
                f,
                "rule {rule}: needs versions, groups or both; the rule is dropped"
            ),
            Timeout { name, ms } => write!(
                f,
                "timeouts.{name} = {ms} must be 1 to 120000 ms; using the default"
            ),
        }
    }
}

impl Plan {
    /// Parses a plan. Text that is not a plan's JSON shape is an error (the
    /// service then uses the built-in plan); otherwise each bad entry is
    /// dropped alone, with a problem saying so, and the rest of the plan
    /// stands.
    pub fn parse(text: &str) -> Result<(Plan, Vec<PlanProblem>), PlanProblem> {
        let raw =
            json::read(text, RawPlan::read).map_err(|e| PlanProblem::NotAPlan(e.to_string()))?;
        let mut problems = Vec::new();
        // Whose list it is gets spelled out only for a problem.
        let mut shields = |list: &[Cow<str>], whose: &dyn Fn() -> String| -> Vec<ShieldCode> {
            list.iter()
                .filter_map(|code| {
                    let code: &str = code;
                    match shield_code(code) {
                        Some(listed) => Some(Cow::Borrowed(listed)),
                        None if is_pop_code(code) => {
                            problems.push(PlanProblem::UnlistedShield {
                                list: whose(),
                                code: code.to_owned(),
                            });
                            Some(Cow::Owned(code.to_owned()))
                        }
                        None => {
                            problems.push(PlanProblem::NotAShieldCode {
                                list: whose(),
                                code: code.to_owned(),
                            });
                            None
                        }
                    }
                })
                .collect()
        };
        let mut groups = few::Map::new();
        let mut unknown_groups = Vec::new();
        for (name, list) in &raw.groups {
            let list = shields(list, &|| format!("group {name}"));
            match RegionGroup::parse(name) {
                Some(group) => {
                    groups.insert(group, list);
                }
                None => unknown_groups.push(PlanProblem::UnknownGroup(name.to_string())),
            }
        }
        let mut unversioned_groups = few::Map::new();
        for (name, list) in &raw.unversioned_groups {
            let list = shields(list, &|| format!("unversioned group {name}"));
            match RegionGroup::parse(name) {
                Some(group) => {
                    unversioned_groups.insert(group, list);
                }
                None => unknown_groups.push(PlanProblem::UnknownGroup(name.to_string())),
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
            let name = rule.name.to_string();
            let candidates = shields(&rule.shields, &whose);
            let versions = match rule.versions.as_deref().map(VersionRange::parse) {
                Some(Err(error)) => {
                    rule_problems.push(PlanProblem::RuleVersions { rule: name, error });
                    continue;
                }
                Some(Ok(range)) => Some(range),
                None => None,
            };
            let mut bad_group = None;
            let rule_groups = rule.groups.as_ref().map(|names| {
                names
                    .iter()
                    .filter_map(|n| {
                        let group = RegionGroup::parse(n);
                        if group.is_none() && bad_group.is_none() {
                            bad_group = Some(n.to_string());
                        }
                        group
                    })
                    .collect::<Vec<_>>()
            });
            if let Some(group) = bad_group {
                // A rule meant for a group it cannot name would send that
                // group's traffic elsewhere: drop the whole rule.
                rule_problems.push(PlanProblem::RuleGroup { rule: name, group });
                continue;
            }
            if versions.is_none() && rule_groups.is_none() {
                rule_problems.push(PlanProblem::Unconstrained(name));
                continue;
            }
            rules.push(Rule {
                name,
                versions,
                groups: rule_groups,
                shields: candidates,
            });
        }
        problems.extend(unknown_groups);
        problems.extend(rule_problems);
        let mut timeout = |name: &'static str, given: Option<u32>, default: u32| match given {
            Some(ms) if (1..=120_000).contains(&ms) => ms,
            Some(ms) => {
                problems.push(PlanProblem::Timeout { name, ms });
                default
            }
            None => default,
        };
        let timeouts = ShieldTimeouts {
            first_byte_ms: timeout(
                "first_byte_ms",
                raw.first_byte_ms,
                DEFAULT_TIMEOUTS.first_byte_ms,
            ),
            between_bytes_ms: timeout(
                "between_bytes_ms",
                raw.between_bytes_ms,
                DEFAULT_TIMEOUTS.between_bytes_ms,
            ),
        };
        let plan = Plan {
            granularity: raw.granularity,
            groups,
            rules,
            unversioned,
            unversioned_groups,
            default,
            timeouts,
        };
        Ok((plan, problems))
    }

    /// The built-in plan.
    pub fn builtin() -> Plan {
        Plan::parse(DEFAULT_PLAN)
            .expect("the built-in plan is valid")
            .0
    }

    /// Chooses the shield candidates for one request, best first.
    ///
    /// Precedence, first match wins:
    /// 1. markers, CI builds (versions with build metadata) and unversioned
    ///    paths take the group's `unversioned_groups` entry, else
    ///    `unversioned`;
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
            return match self.unversioned_groups.get(&group) {
                Some(candidates) => ShieldChoice::ordered(
                    candidates,
                    path,
                    ["unversioned:", group.as_str()].concat(),
                    group,
                ),
                None => ShieldChoice::ordered(&self.unversioned, path, "unversioned".into(), group),
            };
        };
        let parts = match self.granularity {
            Granularity::Major => 1,
            Granularity::Minor => 2,
            Granularity::Patch => 3,
        };
        // `1`, `1.31` or `1.31.0`, written without `fmt`: this runs on
        // every fetch.
        let key = decimal::joined(
            [version.major, version.minor, version.patch]
                .into_iter()
                .take(parts),
            '.',
        );
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
                    ["rule:", &rule.name].concat(),
                    group,
                );
            }
        }
        match self.groups.get(&group) {
            Some(candidates) => {
                ShieldChoice::ordered(candidates, &key, ["group:", group.as_str()].concat(), group)
            }
            None => ShieldChoice::ordered(&self.default, &key, "default".into(), group),
        }
    }
}

/// The outcome of the plan for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShieldChoice {
    /// Shield codes to try in order; empty means straight to the origin.
    pub candidates: Vec<ShieldCode>,
    /// What chose them: `rule:<name>`, `group:<group>`, `unversioned`,
    /// `unversioned:<group>` or
    /// `default`.
    pub rule: String,
    pub group: RegionGroup,
}

impl ShieldChoice {
    fn ordered(
        candidates: &[ShieldCode],
        key: &str,
        rule: String,
        group: RegionGroup,
    ) -> ShieldChoice {
        let mut scored: Vec<(u64, &ShieldCode)> =
            candidates.iter().map(|c| (score(c, key), c)).collect();
        few::sort_by(&mut scored, |a, b| (b.0, a.1) < (a.0, b.1));
        let mut ordered: Vec<ShieldCode> = Vec::with_capacity(scored.len());
        for (_, code) in scored {
            if !ordered.contains(code) {
                ordered.push(code.clone());
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

/// Whether a text has the shape of a Fastly shield code (`iad-va-us`,
/// `london_city-uk`): lowercase letters, digits, `-` and `_`, starting
/// with a letter, at most 64 bytes.
pub fn is_pop_code(code: &str) -> bool {
    code.len() <= 64
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_'))
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

//! `plan optimize`: the plan with the lowest mean edge-miss latency whose
//! origin egress stays within a ratio of the static shield's, found by a
//! deterministic local search over the replay.
//!
//! The search moves one choice at a time, in a fixed order: the shield for
//! releases everywhere (`default`), the one for markers and CI builds
//! everywhere (`unversioned`), then for each region group with traffic its
//! own shield for releases (`groups`) and for markers (`unversioned_groups`),
//! each among the shields nearest that group. Every value of a choice is
//! replayed side by side in one pass; the fastest one within the egress
//! bound is kept. Rounds repeat until nothing improves. Nothing in it knows
//! the bundled traffic: it only sees the requests it is given.

use std::collections::BTreeMap;

use dl_edge::config::Config;
use dl_edge::locality::RegionGroup;
use dl_edge::shield::{Plan, SHIELDS};

use crate::pops::{distance_km, group_centre, Pop};
use crate::simulate::{Metrics, Origin, Replay, Scenario};
use crate::traffic::Request;

/// A plan in the shape the search moves in: one shield per choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub default: &'static str,
    pub unversioned: &'static str,
    pub groups: BTreeMap<RegionGroup, &'static str>,
    pub unversioned_groups: BTreeMap<RegionGroup, &'static str>,
    /// Releases from this minor on (`>=1.35`): the hot ones, which a shield
    /// near a group can serve warm at little cost in egress.
    pub recent_from: Option<(u64, u64)>,
    /// A group's shield for the recent releases (a rule per group).
    pub recent: BTreeMap<RegionGroup, &'static str>,
}

impl Candidate {
    /// What Kubernetes runs: everything through `chi-il-us`.
    pub fn static_shield() -> Candidate {
        Candidate {
            default: "chi-il-us",
            unversioned: "chi-il-us",
            groups: BTreeMap::new(),
            unversioned_groups: BTreeMap::new(),
            recent_from: None,
            recent: BTreeMap::new(),
        }
    }

    /// The plan's JSON, as `plan check` and the Config Store take it.
    pub fn to_json(&self) -> serde_json::Value {
        let map = |m: &BTreeMap<RegionGroup, &'static str>| {
            m.iter()
                .map(|(g, s)| (g.as_str().to_owned(), serde_json::json!([s])))
                .collect::<serde_json::Map<_, _>>()
        };
        let mut plan = serde_json::json!({
            "default": [self.default],
            "unversioned": [self.unversioned],
        });
        if !self.groups.is_empty() {
            plan["groups"] = map(&self.groups).into();
        }
        if !self.unversioned_groups.is_empty() {
            plan["unversioned_groups"] = map(&self.unversioned_groups).into();
        }
        if let (Some((major, minor)), false) = (self.recent_from, self.recent.is_empty()) {
            let rules: Vec<serde_json::Value> = self
                .recent
                .iter()
                .map(|(g, s)| {
                    serde_json::json!({
                        "name": format!("recent-{}", g.as_str()),
                        "versions": format!(">={major}.{minor}"),
                        "groups": [g.as_str()],
                        "shields": [s],
                    })
                })
                .collect();
            plan["rules"] = rules.into();
        }
        plan
    }

    fn plan(&self) -> Plan {
        Plan::parse(&self.to_json().to_string())
            .expect("a candidate is a plan")
            .0
    }
}

/// What the search needs besides the traffic.
pub struct Setup {
    pub pops: Vec<Pop>,
    pub config: Config,
    pub origin: Origin,
    pub capacity: Option<u64>,
}

/// Replays the requests under each candidate.
fn evaluate(requests: &[Request], setup: &Setup, candidates: &[Candidate]) -> Vec<Metrics> {
    let scenarios = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| Scenario {
            name: i.to_string(),
            plan: Some(c.plan()),
        })
        .collect();
    let mut replay = Replay::new(
        scenarios,
        setup.pops.clone(),
        setup.config.clone(),
        setup.origin,
        setup.capacity,
    );
    for r in requests {
        replay.replay(r);
    }
    replay.metrics
}

/// The shield codes nearest a point, closest first.
fn nearest_shields(at: (f64, f64), n: usize) -> Vec<&'static str> {
    let mut by_distance: Vec<(f64, &'static str)> = SHIELDS
        .iter()
        .map(|&(code, _, lat, lon)| (distance_km(at, (lat, lon)), code))
        .collect();
    by_distance.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
    by_distance.into_iter().take(n).map(|(_, c)| c).collect()
}

/// The groups with at least `share` of the requests, most requests first.
fn busy_groups(requests: &[Request], share: f64) -> Vec<RegionGroup> {
    let mut counts: BTreeMap<RegionGroup, usize> = BTreeMap::new();
    for r in requests {
        *counts.entry(r.group).or_default() += 1;
    }
    let mut busy: Vec<(usize, RegionGroup)> = counts
        .into_iter()
        .filter(|(_, n)| *n as f64 >= share * requests.len() as f64)
        .map(|(g, n)| (n, g))
        .collect();
    busy.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    busy.into_iter().map(|(_, g)| g).collect()
}

/// The oldest of the newest minors that together take `share` of the
/// release requests: `(major, minor)`.
fn recent_minors(requests: &[Request], share: f64) -> Option<(u64, u64)> {
    let mut counts: BTreeMap<(u64, u64), usize> = BTreeMap::new();
    let mut total = 0;
    for r in requests {
        let c = dl_edge::artifact::classify::classify(&r.path);
        if let Some(v) = c.version.filter(|v| v.build.is_none()) {
            *counts.entry((v.major, v.minor)).or_default() += 1;
            total += 1;
        }
    }
    let mut taken = 0;
    for (&minor, &n) in counts.iter().rev() {
        taken += n;
        if taken as f64 >= share * total as f64 {
            return Some(minor);
        }
    }
    counts.keys().next().copied()
}

/// One choice the search can move.
#[derive(Debug, Clone, Copy)]
enum Choice {
    Default,
    Unversioned,
    Group(RegionGroup),
    UnversionedGroup(RegionGroup),
    Recent(RegionGroup),
}

impl Choice {
    /// The candidate with this choice set to `shield` (`None`: the group
    /// follows the global choice).
    fn set(self, base: &Candidate, shield: Option<&'static str>) -> Candidate {
        let mut c = base.clone();
        match (self, shield) {
            (Choice::Default, Some(s)) => c.default = s,
            (Choice::Unversioned, Some(s)) => c.unversioned = s,
            (Choice::Group(g), Some(s)) => {
                c.groups.insert(g, s);
            }
            (Choice::Group(g), None) => {
                c.groups.remove(&g);
            }
            (Choice::UnversionedGroup(g), Some(s)) => {
                c.unversioned_groups.insert(g, s);
            }
            (Choice::UnversionedGroup(g), None) => {
                c.unversioned_groups.remove(&g);
            }
            (Choice::Recent(g), Some(s)) => {
                c.recent.insert(g, s);
            }
            (Choice::Recent(g), None) => {
                c.recent.remove(&g);
            }
            (Choice::Default | Choice::Unversioned, None) => {}
        }
        c
    }
}

/// The search's result: the plan, and the replay of none, static and it.
pub struct Found {
    pub plan: Candidate,
    pub static_metrics: Metrics,
    pub metrics: Metrics,
    pub rounds: usize,
}

/// Searches for the fastest plan within `max_origin_ratio` times the
/// static shield's origin bytes.
pub fn optimize(requests: &[Request], setup: &Setup, max_origin_ratio: f64) -> Found {
    let static_shield = Candidate::static_shield();
    let static_metrics = evaluate(requests, setup, std::slice::from_ref(&static_shield)).remove(0);
    let bound = static_metrics.origin_bytes as f64 * max_origin_ratio;
    let busy = busy_groups(requests, 0.01);
    let mut global: Vec<&'static str> = busy
        .iter()
        .flat_map(|&g| nearest_shields(group_centre(g), 2))
        .collect();
    global.push("chi-il-us");
    let mut seen = Vec::new();
    global.retain(|s| {
        let new = !seen.contains(s);
        seen.push(s);
        new
    });
    let mut choices = vec![
        (
            Choice::Default,
            global.iter().map(|&s| Some(s)).collect::<Vec<_>>(),
        ),
        (
            Choice::Unversioned,
            global.iter().map(|&s| Some(s)).collect(),
        ),
    ];
    for &g in &busy {
        let near: Vec<Option<&'static str>> = std::iter::once(None)
            .chain(nearest_shields(group_centre(g), 3).into_iter().map(Some))
            .collect();
        choices.push((Choice::UnversionedGroup(g), near.clone()));
        choices.push((Choice::Recent(g), near.clone()));
        choices.push((Choice::Group(g), near));
    }
    let mut best = static_shield;
    // The hot releases: the newest minors that hold half the versioned
    // requests between them.
    best.recent_from = recent_minors(requests, 0.5);
    let mut best_metrics = static_metrics.clone();
    let mut rounds = 0;
    loop {
        rounds += 1;
        let mut improved = false;
        for (choice, values) in &choices {
            let candidates: Vec<Candidate> = values.iter().map(|&v| choice.set(&best, v)).collect();
            let metrics = evaluate(requests, setup, &candidates);
            for (candidate, m) in candidates.into_iter().zip(metrics) {
                let better = m.miss_latency_mean_ms() < best_metrics.miss_latency_mean_ms() - 1e-9;
                if better && m.origin_bytes as f64 <= bound {
                    best = candidate;
                    best_metrics = m;
                    improved = true;
                }
            }
        }
        if !improved || rounds >= 4 {
            break;
        }
    }
    Found {
        plan: best,
        static_metrics,
        metrics: best_metrics,
        rounds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pops::bundled;
    use crate::simulate::GCS_US_CENTRAL1;
    use crate::traffic::Client;

    fn setup() -> Setup {
        Setup {
            pops: bundled(),
            config: Config::default(),
            origin: GCS_US_CENTRAL1,
            capacity: None,
        }
    }

    /// Traffic the search has never seen: Europe asks for markers often,
    /// for releases rarely. A European shield for markers (refetched every
    /// minute, a few bytes each) cuts latency for nothing; the releases'
    /// shield stays where egress stays.
    #[test]
    fn finds_a_faster_plan_within_the_egress_bound_deterministically() {
        let mut requests = Vec::new();
        let frankfurt = Client::At(50.1, 8.7);
        let paris = Client::At(48.9, 2.35);
        for i in 0..2000i64 {
            let (client, group) = if i % 2 == 0 {
                (frankfurt.clone(), RegionGroup::EuropeCentral)
            } else {
                (paris.clone(), RegionGroup::EuropeWest)
            };
            let (path, size) = if i % 10 == 0 {
                (
                    format!("/release/v1.30.{}/bin/linux/amd64/kubectl", i % 7),
                    50_000_000,
                )
            } else {
                ("/release/stable.txt".to_owned(), 8)
            };
            requests.push(Request {
                t: i * 5_000,
                head: false,
                path,
                range: None,
                status: 200,
                size: Some(size),
                bytes: size,
                group,
                client,
            });
        }
        let found = optimize(&requests, &setup(), 1.2);
        assert!(
            found.metrics.miss_latency_mean_ms()
                < 0.7 * found.static_metrics.miss_latency_mean_ms(),
            "{} vs {}",
            found.metrics.miss_latency_mean_ms(),
            found.static_metrics.miss_latency_mean_ms()
        );
        assert!(
            found.metrics.origin_bytes as f64 <= 1.2 * found.static_metrics.origin_bytes as f64
        );
        let again = optimize(&requests, &setup(), 1.2);
        assert_eq!(again.plan, found.plan, "deterministic");
        let (_, problems) = Plan::parse(&found.plan.to_json().to_string()).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
    }
}

//! The planner: replays traffic against three ways of shielding and says
//! what each would cost, before an operator changes the Config Store.
//!
//! The cache model is deliberately simple and stated: every cache that
//! fetches an object keeps it for the whole replay. With no shielding each
//! region group's edge fetches each object once; with one static shield,
//! the shield fetches each object once; with the plan, each chosen shield
//! (or, where the plan says "no shield", each group's edge) fetches each
//! object once. Distances are from the centre of the client's region group
//! to the shield, great-circle, in kilometres.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;

use serde_json::Value;

use crate::report::record_of;
use dl_edge::config::Config;
use dl_edge::decision::{decide, Decision, RequestView};
use dl_edge::locality::Geo;
use dl_edge::locality::{self, RegionGroup};
use dl_edge::shield::{coordinates, Plan, ShieldCode};

/// One request of the traffic to replay.
#[derive(Debug, Clone, PartialEq)]
pub struct TrafficRequest {
    pub path: String,
    pub group: RegionGroup,
    pub bytes: u64,
}

/// Reads a traffic line: the planner's own form (`path`, then `ip`, or
/// `cloud` + `cloud_region`, or `continent` + `country` (+ `region`), and
/// `bytes`), or one of the service's log lines.
pub fn parse_line(line: &str) -> Option<TrafficRequest> {
    let value = match record_of(line) {
        Some(record) => record,
        None => serde_json::from_str::<Value>(line.trim()).ok()?,
    };
    if value["schema"] == 1 {
        let group = value["client"]["group"]
            .as_str()
            .and_then(RegionGroup::parse)
            .unwrap_or_else(|| group_of(&value["client"]));
        return Some(TrafficRequest {
            path: value["request"]["path"].as_str()?.to_owned(),
            group,
            bytes: value["response"]["bytes_sent"].as_u64().unwrap_or(0),
        });
    }
    Some(TrafficRequest {
        path: value["path"].as_str()?.to_owned(),
        group: group_of(&value),
        bytes: value["bytes"].as_u64().unwrap_or(0),
    })
}

/// The region group of a traffic line's client fields.
fn group_of(v: &Value) -> RegionGroup {
    let text = |key: &str| v[key].as_str().unwrap_or("");
    if let Some(ip) = v["ip"].as_str().and_then(|ip| ip.parse::<IpAddr>().ok()) {
        let geo = (!text("continent").is_empty()).then(|| Geo {
            continent: text("continent").to_owned(),
            country: text("country").to_owned(),
            region: v["region"].as_str().map(str::to_owned),
            ..Geo::default()
        });
        return locality::locate(Some(ip), geo.as_ref()).group;
    }
    if let Some(group) = locality::group_for_cloud_region(text("cloud"), text("cloud_region")) {
        return group;
    }
    if !text("continent").is_empty() || !text("country").is_empty() {
        return locality::group_for_geo(text("continent"), text("country"), v["region"].as_str());
    }
    locality::FALLBACK
}

/// What one way of shielding costs for the replayed traffic.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Cost {
    pub origin_fetches: u64,
    pub origin_bytes: u64,
    /// Shield code (or `(edge)` for unshielded requests) → requests, bytes.
    pub per_shield: BTreeMap<String, (u64, u64)>,
    /// Mean distance from the client's group to its shield, over shielded
    /// requests.
    pub mean_distance_km: Option<f64>,
}

/// The three side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    pub requests: u64,
    pub skipped: u64,
    pub none: Cost,
    pub static_shield: (String, Cost),
    pub plan: Cost,
}

/// Replays `traffic` (requests the service would fetch) under no
/// shielding, one static shield, and `plan`.
pub fn simulate(
    traffic: &[TrafficRequest],
    plan: &Plan,
    static_shield: &str,
    config: &Config,
) -> Simulation {
    let mut sizes: HashMap<String, u64> = HashMap::new();
    let mut fetched: Vec<(TrafficRequest, String, Vec<ShieldCode>)> = Vec::new();
    let mut skipped = 0;
    for request in traffic {
        let view = RequestView {
            method: "GET",
            host: config.hosts.first().map(String::as_str),
            target: &request.path,
            range: None,
            header_bytes: 0,
        };
        let Decision::Fetch(fetch) = decide(&view, config) else {
            skipped += 1;
            continue;
        };
        let object = format!("{}/{}", fetch.target.bucket, fetch.target.object);
        let size = sizes.entry(object.clone()).or_default();
        *size = (*size).max(request.bytes);
        let choice = plan.choose(&fetch.classification, &fetch.target.path, request.group);
        fetched.push((request.clone(), object, choice.candidates));
    }
    let run = |route: &dyn Fn(&TrafficRequest, &[ShieldCode]) -> Option<String>| {
        let mut outcome = Cost::default();
        let mut caches: HashSet<(String, &str)> = HashSet::new();
        let (mut distance, mut shielded) = (0.0, 0u64);
        for (request, object, candidates) in &fetched {
            let shield = route(request, candidates);
            let cache = shield
                .clone()
                .unwrap_or_else(|| format!("(edge {})", request.group.as_str()));
            if caches.insert((cache, object.as_str())) {
                outcome.origin_fetches += 1;
                outcome.origin_bytes += sizes[object];
            }
            let entry = outcome
                .per_shield
                .entry(shield.clone().unwrap_or_else(|| "(edge)".into()))
                .or_default();
            entry.0 += 1;
            entry.1 += request.bytes;
            if let Some(km) = shield
                .as_deref()
                .and_then(|s| distance_km(request.group, s))
            {
                distance += km;
                shielded += 1;
            }
        }
        outcome.mean_distance_km = (shielded > 0).then(|| distance / shielded as f64);
        outcome
    };
    Simulation {
        requests: traffic.len() as u64,
        skipped,
        none: run(&|_, _| None),
        static_shield: (
            static_shield.to_owned(),
            run(&|_, _| Some(static_shield.to_owned())),
        ),
        plan: run(&|_, candidates| candidates.first().map(|c| c.to_string())),
    }
}

/// Rough centres of the region groups (latitude, longitude).
pub fn group_centre(group: RegionGroup) -> (f64, f64) {
    use RegionGroup::*;
    match group {
        NaEast => (39.0, -77.0),
        NaCentral => (39.0, -95.0),
        NaWest => (40.0, -121.0),
        SouthAmerica => (-20.0, -50.0),
        EuropeWest => (49.0, 0.0),
        EuropeCentral => (49.0, 12.0),
        EuropeNorth => (59.0, 16.0),
        Africa => (-10.0, 22.0),
        MiddleEast => (26.0, 48.0),
        AsiaNorth => (35.0, 130.0),
        AsiaSouthEast => (5.0, 105.0),
        AsiaSouth => (20.0, 78.0),
        Oceania => (-32.0, 146.0),
    }
}

fn distance_km(group: RegionGroup, shield: &str) -> Option<f64> {
    let (lat1, lon1) = group_centre(group);
    let (lat2, lon2) = coordinates(shield)?;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    Some(6371.0 * 2.0 * a.sqrt().asin())
}

impl Simulation {
    /// The comparison as a text table, then the per-shield breakdown.
    pub fn render(&self) -> String {
        let mut out = format!(
            "{} requests replayed ({} not fetched by the service)\n\n",
            self.requests, self.skipped
        );
        let km = |o: &Cost| {
            o.mean_distance_km
                .map_or("-".to_owned(), |d| format!("{d:.0}"))
        };
        let rows = [
            ("no shielding", &self.none),
            (self.static_shield.0.as_str(), &self.static_shield.1),
            ("the plan", &self.plan),
        ];
        out.push_str(&format!(
            "{:<22} {:>14} {:>16} {:>22}\n",
            "", "origin fetches", "origin bytes", "mean km to shield"
        ));
        for (name, o) in rows {
            out.push_str(&format!(
                "{:<22} {:>14} {:>16} {:>22}\n",
                name,
                o.origin_fetches,
                o.origin_bytes,
                km(o)
            ));
        }
        out.push_str("\nthe plan, per shield: requests, bytes\n");
        for (shield, (n, b)) in &self.plan.per_shield {
            out.push_str(&format!("  {shield:<22} {n:>10} {b:>16}\n"));
        }
        out
    }
}

/// A synthetic day of traffic with the shape of the Kubernetes download
/// site: a few hot releases, a long tail of pinned old versions, markers,
/// most requests from a few cloud regions (CI), the rest from everywhere.
/// Deterministic for a seed.
pub fn synthetic_traffic(requests: usize, seed: u64) -> Vec<String> {
    let mut rng = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    const CLIENTS: [(&str, u64); 9] = [
        (r#""cloud":"aws","cloud_region":"us-east-1""#, 30),
        (r#""cloud":"aws","cloud_region":"us-west-2""#, 12),
        (r#""cloud":"aws","cloud_region":"eu-central-1""#, 8),
        (r#""cloud":"gcp","cloud_region":"us-central1""#, 12),
        (r#""continent":"NA","country":"US","region":"VA""#, 15),
        (r#""continent":"EU","country":"DE""#, 8),
        (r#""continent":"AS","country":"JP""#, 6),
        (r#""continent":"AS","country":"IN""#, 5),
        (r#""continent":"OC","country":"AU""#, 4),
    ];
    const FILES: [(&str, u64); 4] = [
        ("bin/linux/amd64/kubectl", 56_000_000),
        ("bin/linux/amd64/kubectl.sha256", 64),
        ("bin/linux/amd64/kubeadm", 48_000_000),
        ("bin/linux/arm64/kubelet", 75_000_000),
    ];
    let total: u64 = CLIENTS.iter().map(|c| c.1).sum();
    (0..requests)
        .map(|_| {
            let mut pick = next() % total;
            let client = CLIENTS
                .iter()
                .find(|(_, w)| {
                    let hit = pick < *w;
                    pick = pick.saturating_sub(*w);
                    hit
                })
                .map_or(CLIENTS[0].0, |c| c.0);
            let roll = next() % 100;
            let (path, bytes) = if roll < 8 {
                ("/release/stable.txt".to_owned(), 7)
            } else {
                // 70% on the three newest minor lines, the rest on a long tail.
                let minor = if roll < 78 {
                    29 + next() % 3
                } else {
                    18 + next() % 11
                };
                let patch = next() % 8;
                let (file, size) = FILES[(next() % FILES.len() as u64) as usize];
                (format!("/release/v1.{minor}.{patch}/{file}"), size)
            };
            format!(r#"{{"path":"{path}",{client},"bytes":{bytes}}}"#)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn traffic(lines: &[String]) -> Vec<TrafficRequest> {
        lines.iter().filter_map(|l| parse_line(l)).collect()
    }

    #[test]
    fn reads_planner_lines_and_log_records() {
        let own = parse_line(r#"{"path":"/release/stable.txt","cloud":"aws","cloud_region":"eu-central-1","bytes":7}"#).unwrap();
        assert_eq!(own.group, RegionGroup::EuropeCentral);
        let geo = parse_line(r#"{"path":"/x","continent":"OC","country":"AU","bytes":1}"#).unwrap();
        assert_eq!(geo.group, RegionGroup::Oceania);
        let by_ip = parse_line(r#"{"path":"/x","ip":"3.208.0.10","bytes":1}"#).unwrap();
        assert_eq!(by_ip.group, RegionGroup::NaEast);
        let record = r#"splunk :: {"time":1.0,"event":{"schema":1,"request":{"path":"/release/v1.31.0/bin/linux/amd64/kubectl"},"client":{"group":"asia-north"},"response":{"bytes_sent":42}}}"#;
        let from_log = parse_line(record).unwrap();
        assert_eq!(
            (from_log.group, from_log.bytes),
            (RegionGroup::AsiaNorth, 42)
        );
        assert_eq!(parse_line("garbage"), None);
    }

    #[test]
    fn the_plan_fetches_less_than_no_shielding_and_travels_less_than_one_shield() {
        let lines = synthetic_traffic(5000, 7);
        let plan = Plan::parse(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../docs/shield-plan.example.json"
        )))
        .unwrap()
        .0;
        let sim = simulate(&traffic(&lines), &plan, "chi-il-us", &Config::default());
        assert_eq!(sim.requests, 5000);
        assert_eq!(sim.skipped, 0);
        assert!(sim.static_shield.1.origin_fetches < sim.plan.origin_fetches);
        assert!(sim.plan.origin_fetches < sim.none.origin_fetches);
        assert!(sim.plan.mean_distance_km.unwrap() < sim.static_shield.1.mean_distance_km.unwrap());
        let per_shield: u64 = sim.plan.per_shield.values().map(|(n, _)| n).sum();
        assert_eq!(per_shield, 5000);
        assert!(sim.render().contains("the plan"));
    }

    #[test]
    fn synthetic_traffic_is_deterministic_and_shaped() {
        assert_eq!(synthetic_traffic(100, 1), synthetic_traffic(100, 1));
        assert_ne!(synthetic_traffic(100, 1), synthetic_traffic(100, 2));
        let lines = synthetic_traffic(10_000, 3);
        let from_aws_east = lines.iter().filter(|l| l.contains("us-east-1")).count();
        assert!((2500..3500).contains(&from_aws_east), "{from_aws_east}");
        let hot = lines
            .iter()
            .filter(|l| l.contains("/v1.29.") || l.contains("/v1.30.") || l.contains("/v1.31."))
            .count();
        assert!(hot > 6000, "{hot}");
    }

    #[test]
    fn static_shield_fetches_each_object_once() {
        let lines: Vec<String> = ["us-east-1", "eu-central-1", "us-east-1"]
            .iter()
            .map(|r| format!(r#"{{"path":"/release/v1.31.0/bin/linux/amd64/kubectl","cloud":"aws","cloud_region":"{r}","bytes":100}}"#))
            .collect();
        let plan = Plan::parse(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../docs/shield-plan.example.json"
        )))
        .unwrap()
        .0;
        let sim = simulate(&traffic(&lines), &plan, "chi-il-us", &Config::default());
        assert_eq!(
            (
                sim.static_shield.1.origin_fetches,
                sim.static_shield.1.origin_bytes
            ),
            (1, 100)
        );
        assert_eq!(sim.none.origin_fetches, 2, "two groups, two edges");
        assert_eq!(sim.plan.origin_fetches, 2, "one shield per group");
    }
}

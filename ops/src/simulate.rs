//! The replay: requests in time order through one cache per edge POP and
//! one per shield, with the service's own TTLs, to the origin. It says,
//! for each way of shielding, what the origin serves and how long edge
//! misses wait. docs/shielding.md states the model; in short:
//!
//! - the edge is `service.pop` of a log line, or the POP nearest the
//!   client;
//! - a cache holds an object until its TTL (the service's cache policy for
//!   its class and status) runs out, or, with a capacity, until it is the
//!   least recently used one when room is needed;
//! - an edge copy fetched through a shield lives only as long as the
//!   shield's has left (the service counts from the shield's `Age`);
//! - HEAD and Range misses go through without filling a cache, a Range
//!   fetching only its bytes;
//! - a miss waits for each leg's round trip (client→edge, edge→shield,
//!   shield→origin) and the origin's first byte.

use std::collections::{BTreeMap, HashMap};

use dl_edge::artifact::classify::{Class, Classification};
use dl_edge::config::{CacheSettings, Config};
use dl_edge::decision::{decide, Decision, RequestView};
use dl_edge::locality::RegionGroup;
use dl_edge::policy::cache::{self, EdgeCache};
use dl_edge::shield::Plan;

use crate::pops::{distance_km, nearest, Pop};
use crate::traffic::{Client, Request};

/// Where the origin is and how it answers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Origin {
    pub at: (f64, f64),
    /// Its time to first byte, in milliseconds.
    pub first_byte_ms: f64,
}

/// GCS `us-central1` (Council Bluffs, Iowa), where the Kubernetes
/// buckets are.
pub const GCS_US_CENTRAL1: Origin = Origin {
    at: (41.26, -95.86),
    first_byte_ms: 30.0,
};

/// The round trip between two points, in milliseconds: light in fibre
/// covers about 200 km per ms, routes run about 1.5 times the great-circle
/// distance, and each end adds a millisecond.
pub fn round_trip_ms(a: (f64, f64), b: (f64, f64)) -> f64 {
    if a == b {
        return 0.0;
    }
    2.0 * (1.0 + distance_km(a, b) * 1.5 / 200.0)
}

/// One way of shielding.
pub struct Scenario {
    pub name: String,
    /// `None`: no shielding, every edge fetches from the origin.
    pub plan: Option<Plan>,
}

/// What one scenario did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics {
    pub requests: u64,
    pub edge_hits: u64,
    pub shield_lookups: u64,
    pub shield_hits: u64,
    pub origin_fetches: u64,
    pub origin_bytes: u64,
    /// Bytes shields sent to edges.
    pub inter_pop_bytes: u64,
    pub bytes_served: u64,
    /// Edge misses, and their latencies in whole milliseconds.
    pub misses: u64,
    latency_sum_ms: f64,
    latency_histogram: BTreeMap<u32, u64>,
}

impl Metrics {
    pub fn edge_hit_ratio(&self) -> f64 {
        ratio(self.edge_hits, self.requests)
    }

    pub fn shield_hit_ratio(&self) -> f64 {
        ratio(self.shield_hits, self.shield_lookups)
    }

    pub fn miss_latency_mean_ms(&self) -> f64 {
        if self.misses == 0 {
            0.0
        } else {
            self.latency_sum_ms / self.misses as f64
        }
    }

    /// The 95th percentile of edge-miss latency, to the millisecond.
    pub fn miss_latency_p95_ms(&self) -> f64 {
        let rank = (self.misses as f64 * 0.95).ceil() as u64;
        let mut seen = 0;
        for (&ms, &n) in &self.latency_histogram {
            seen += n;
            if seen >= rank.max(1) {
                return f64::from(ms);
            }
        }
        0.0
    }

    fn missed(&mut self, latency_ms: f64) {
        self.misses += 1;
        self.latency_sum_ms += latency_ms;
        *self
            .latency_histogram
            .entry(latency_ms.round() as u32)
            .or_default() += 1;
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// A cache: object → when it expires, with least-recently-used eviction
/// when a capacity is set.
#[derive(Default)]
struct Cache {
    entries: HashMap<u32, Entry>,
    by_use: BTreeMap<u64, u32>,
    bytes: u64,
}

struct Entry {
    expires: i64,
    size: u64,
    used: u64,
}

impl Cache {
    /// When the copy expires, if it is fresh at `t`; marks it used.
    fn fresh(&mut self, object: u32, t: i64, tick: u64) -> Option<i64> {
        let entry = self.entries.get_mut(&object)?;
        if entry.expires <= t {
            return None;
        }
        self.by_use.remove(&entry.used);
        entry.used = tick;
        self.by_use.insert(tick, object);
        Some(entry.expires)
    }

    fn insert(&mut self, object: u32, expires: i64, size: u64, tick: u64, capacity: Option<u64>) {
        if let Some(old) = self.entries.remove(&object) {
            self.by_use.remove(&old.used);
            self.bytes -= old.size;
        }
        if let Some(capacity) = capacity {
            if size > capacity {
                return;
            }
            while self.bytes + size > capacity {
                let Some((_, victim)) = self.by_use.pop_first() else {
                    break;
                };
                if let Some(gone) = self.entries.remove(&victim) {
                    self.bytes -= gone.size;
                }
            }
        }
        self.bytes += size;
        self.by_use.insert(tick, object);
        self.entries.insert(
            object,
            Entry {
                expires,
                size,
                used: tick,
            },
        );
    }
}

/// What the service decides for a path, worked out once per path.
struct PathInfo {
    object: u32,
    class: Class,
    /// Per scenario and region group, the shield POP (an index into the
    /// POP list), worked out on first use.
    shields: HashMap<(usize, RegionGroup), Option<usize>>,
    classification: Classification,
    target_path: String,
}

/// The replay of one traffic through several scenarios at once.
pub struct Replay {
    scenarios: Vec<Scenario>,
    pub metrics: Vec<Metrics>,
    edges: Vec<Vec<Cache>>,
    shields: Vec<Vec<Cache>>,
    pops: Vec<Pop>,
    pop_by_code: HashMap<String, usize>,
    shield_pop: HashMap<String, usize>,
    config: Config,
    settings: CacheSettings,
    origin: Origin,
    capacity: Option<u64>,
    paths: HashMap<String, Option<PathInfo>>,
    objects: HashMap<String, u32>,
    sizes: Vec<u64>,
    nearest: HashMap<(u64, u64), usize>,
    tick: u64,
    /// Requests the service would not fetch (rejected at the edge).
    pub skipped: u64,
    /// Shield log lines, counted by the edge's line instead.
    pub shield_lines: u64,
}

impl Replay {
    pub fn new(
        scenarios: Vec<Scenario>,
        pops: Vec<Pop>,
        config: Config,
        origin: Origin,
        capacity: Option<u64>,
    ) -> Replay {
        let n = scenarios.len();
        let pop_by_code = pops
            .iter()
            .enumerate()
            .map(|(i, p)| (p.code.clone(), i))
            .collect();
        let shield_pop = pops
            .iter()
            .enumerate()
            .filter_map(|(i, p)| Some((p.shield.clone()?, i)))
            .collect();
        let edges = (0..n)
            .map(|_| (0..pops.len()).map(|_| Cache::default()).collect())
            .collect();
        let shields = (0..n)
            .map(|_| (0..pops.len()).map(|_| Cache::default()).collect())
            .collect();
        Replay {
            metrics: vec![Metrics::default(); n],
            scenarios,
            edges,
            shields,
            pops,
            pop_by_code,
            shield_pop,
            settings: config.cache.clone(),
            config,
            origin,
            capacity,
            paths: HashMap::new(),
            objects: HashMap::new(),
            sizes: Vec::new(),
            nearest: HashMap::new(),
            tick: 0,
            skipped: 0,
            shield_lines: 0,
        }
    }

    /// The edge POP of a request.
    fn edge_of(&mut self, request: &Request) -> usize {
        let at = match &request.client {
            Client::Pop(code) => {
                if let Some(&i) = self.pop_by_code.get(code) {
                    return i;
                }
                crate::pops::group_centre(request.group)
            }
            Client::At(lat, lon) => (*lat, *lon),
            Client::Group => crate::pops::group_centre(request.group),
        };
        let pops = &self.pops;
        *self
            .nearest
            .entry((at.0.to_bits(), at.1.to_bits()))
            .or_insert_with(|| nearest(pops, at))
    }

    /// Replays one request through every scenario.
    pub fn replay(&mut self, request: &Request) {
        if !self.paths.contains_key(&request.path) {
            let info = self.path_info(&request.path);
            self.paths.insert(request.path.clone(), info);
        }
        let Some(info) = self.paths.get(&request.path) else {
            return;
        };
        let Some(info) = info.as_ref() else {
            self.skipped += 1;
            return;
        };
        let (object, class) = (info.object, info.class);
        let size = match request.size {
            Some(size) => {
                let known = &mut self.sizes[object as usize];
                *known = (*known).max(size);
                *known
            }
            None => self.sizes[object as usize].max(request.bytes),
        };
        let edge = self.edge_of(request);
        let client_leg = match request.client {
            Client::At(lat, lon) => round_trip_ms((lat, lon), self.pops[edge].at()),
            _ => 0.0,
        };
        let policy = cache::policy(class, request.status, &self.settings);
        let ttl_ms = match policy.edge {
            EdgeCache::Store { ttl, .. } => Some(i64::from(ttl) * 1000),
            EdgeCache::DoNotStore => None,
        };
        let partial = request.head || request.range.is_some();
        let fetch_bytes = if request.head {
            0
        } else if request.range.is_some() {
            request.bytes
        } else {
            size
        };
        let t = request.t;
        for s in 0..self.scenarios.len() {
            self.tick += 1;
            let tick = self.tick;
            let shield = self.shield_for(s, request);
            let m = &mut self.metrics[s];
            m.requests += 1;
            m.bytes_served += request.bytes;
            if self.edges[s][edge].fresh(object, t, tick).is_some() {
                m.edge_hits += 1;
                continue;
            }
            let mut latency = client_leg;
            // The edge's copy lives as long as its source's has left.
            let mut expires = ttl_ms.map(|ttl| t + ttl);
            match shield.filter(|&sh| sh != edge) {
                Some(sh) => {
                    latency += round_trip_ms(self.pops[edge].at(), self.pops[sh].at());
                    m.shield_lookups += 1;
                    m.inter_pop_bytes += fetch_bytes;
                    match self.shields[s][sh].fresh(object, t, tick) {
                        Some(until) => {
                            m.shield_hits += 1;
                            expires = Some(until);
                        }
                        None => {
                            latency += round_trip_ms(self.pops[sh].at(), self.origin.at)
                                + self.origin.first_byte_ms;
                            m.origin_fetches += 1;
                            m.origin_bytes += fetch_bytes;
                            if let (Some(until), false) = (expires, partial) {
                                self.shields[s][sh].insert(
                                    object,
                                    until,
                                    size,
                                    tick,
                                    self.capacity,
                                );
                            }
                        }
                    }
                }
                None => {
                    latency += round_trip_ms(self.pops[edge].at(), self.origin.at)
                        + self.origin.first_byte_ms;
                    m.origin_fetches += 1;
                    m.origin_bytes += fetch_bytes;
                }
            }
            m.missed(latency);
            if let (Some(until), false) = (expires, partial) {
                self.edges[s][edge].insert(object, until, size, tick, self.capacity);
            }
        }
    }

    /// The shield POP a scenario sends a request through: the first
    /// candidate the POP list knows (the service would skip the others).
    fn shield_for(&mut self, s: usize, request: &Request) -> Option<usize> {
        let plan = self.scenarios[s].plan.as_ref()?;
        let info = self.paths.get_mut(&request.path)?.as_mut()?;
        let shield_pop = &self.shield_pop;
        *info.shields.entry((s, request.group)).or_insert_with(|| {
            plan.choose(&info.classification, &info.target_path, request.group)
                .candidates
                .iter()
                .find_map(|code| shield_pop.get(code.as_ref()).copied())
        })
    }

    /// What the service decides for a path: the object and its class, or
    /// `None` when it answers at the edge.
    fn path_info(&mut self, path: &str) -> Option<PathInfo> {
        let host = self.config.hosts[0].clone();
        let view = RequestView {
            method: "GET",
            host: Some(&host),
            target: path,
            range: None,
            header_bytes: 0,
            repeated: None,
        };
        let Decision::Fetch(fetch) = decide(&view, &self.config) else {
            return None;
        };
        let key = format!("{}/{}", fetch.target.bucket, fetch.target.object);
        let next = self.objects.len() as u32;
        let object = *self.objects.entry(key).or_insert(next);
        if object == next {
            self.sizes.push(0);
        }
        Some(PathInfo {
            object,
            class: fetch.classification.class,
            shields: HashMap::new(),
            classification: fetch.classification.clone(),
            target_path: fetch.target.path.clone(),
        })
    }
}

/// The scenarios every simulation shows: no shielding (edge caches only),
/// the built-in static shield, then the given plans.
pub fn with_baselines(plans: Vec<(String, Plan)>) -> Vec<Scenario> {
    let mut scenarios = vec![
        Scenario {
            name: "none".to_owned(),
            plan: None,
        },
        Scenario {
            name: "static".to_owned(),
            plan: Some(Plan::builtin()),
        },
    ];
    scenarios.extend(plans.into_iter().map(|(name, plan)| Scenario {
        name,
        plan: Some(plan),
    }));
    scenarios
}

/// Replays every line of `input`, streamed.
pub fn run(input: impl std::io::BufRead, replay: &mut Replay) -> std::io::Result<()> {
    for line in input.lines() {
        match crate::traffic::read_line(&line?) {
            crate::traffic::Read::Request(request) => replay.replay(&request),
            crate::traffic::Read::ShieldLine => replay.shield_lines += 1,
            crate::traffic::Read::Skip => {}
        }
    }
    Ok(())
}

impl Replay {
    /// `{"requests": N, "plans": [{"name": …, …}, …]}`.
    pub fn to_json(&self) -> serde_json::Value {
        let plans: Vec<serde_json::Value> = self
            .scenarios
            .iter()
            .zip(&self.metrics)
            .map(|(s, m)| {
                serde_json::json!({
                    "name": s.name,
                    "origin_fetches": m.origin_fetches,
                    "origin_bytes": m.origin_bytes,
                    "edge_hit_ratio": m.edge_hit_ratio(),
                    "shield_hit_ratio": m.shield_hit_ratio(),
                    "miss_latency_ms_mean": m.miss_latency_mean_ms(),
                    "miss_latency_ms_p95": m.miss_latency_p95_ms(),
                    "inter_pop_bytes": m.inter_pop_bytes,
                    "edge_misses": m.misses,
                })
            })
            .collect();
        serde_json::json!({
            "requests": self.metrics.first().map_or(0, |m| m.requests),
            "skipped": self.skipped,
            "shield_lines": self.shield_lines,
            "plans": plans,
        })
    }

    /// The scenarios side by side, as a text table.
    pub fn render(&self) -> String {
        let requests = self.metrics.first().map_or(0, |m| m.requests);
        let mut out = format!(
            "{requests} requests replayed ({} answered at the edge, {} shield lines not counted)\n\n",
            self.skipped, self.shield_lines
        );
        out.push_str(&format!(
            "{:<28} {:>10} {:>12} {:>9} {:>9} {:>10} {:>9} {:>12}\n",
            "", "origin", "origin", "edge", "shield", "miss ms", "miss ms", "between"
        ));
        out.push_str(&format!(
            "{:<28} {:>10} {:>12} {:>9} {:>9} {:>10} {:>9} {:>12}\n",
            "plan", "fetches", "GB", "hits", "hits", "mean", "p95", "POPs GB"
        ));
        for (s, m) in self.scenarios.iter().zip(&self.metrics) {
            out.push_str(&format!(
                "{:<28} {:>10} {:>12.2} {:>8.1}% {:>8.1}% {:>10.1} {:>9.0} {:>12.2}\n",
                s.name,
                m.origin_fetches,
                m.origin_bytes as f64 / 1e9,
                m.edge_hit_ratio() * 100.0,
                m.shield_hit_ratio() * 100.0,
                m.miss_latency_mean_ms(),
                m.miss_latency_p95_ms(),
                m.inter_pop_bytes as f64 / 1e9,
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pops::bundled;

    fn request(t: i64, path: &str, at: (f64, f64), group: RegionGroup) -> Request {
        Request {
            t,
            head: false,
            path: path.to_owned(),
            range: None,
            status: 200,
            size: Some(1000),
            bytes: 1000,
            group,
            client: Client::At(at.0, at.1),
        }
    }

    fn replay(plans: &[(&str, Option<&str>)], requests: &[Request]) -> Vec<Metrics> {
        let scenarios = plans
            .iter()
            .map(|(name, plan)| Scenario {
                name: (*name).to_owned(),
                plan: plan.map(|p| Plan::parse(p).unwrap().0),
            })
            .collect();
        let mut replay = Replay::new(
            scenarios,
            bundled(),
            Config::default(),
            GCS_US_CENTRAL1,
            None,
        );
        for r in requests {
            replay.replay(r);
        }
        replay.metrics
    }

    const ASHBURN: (f64, f64) = (39.0, -77.5);
    const FRANKFURT: (f64, f64) = (50.1, 8.7);
    const KUBECTL: &str = "/release/v1.34.1/bin/linux/amd64/kubectl";

    /// An immutable object is fetched once per edge without shielding,
    /// once in all with one shield, and then served from the edges.
    #[test]
    fn edges_and_a_shield_fetch_once_and_then_hit() {
        let requests = [
            request(0, KUBECTL, ASHBURN, RegionGroup::NaEast),
            request(1000, KUBECTL, FRANKFURT, RegionGroup::EuropeCentral),
            request(2000, KUBECTL, ASHBURN, RegionGroup::NaEast),
            request(3000, KUBECTL, FRANKFURT, RegionGroup::EuropeCentral),
        ];
        let m = replay(
            &[
                ("none", None),
                ("static", Some(r#"{"default":["chi-il-us"]}"#)),
            ],
            &requests,
        );
        assert_eq!((m[0].origin_fetches, m[0].edge_hits), (2, 2));
        assert_eq!((m[1].origin_fetches, m[1].edge_hits), (1, 2));
        assert_eq!((m[1].shield_lookups, m[1].shield_hits), (2, 1));
        assert_eq!(m[1].origin_bytes, 1000);
        assert_eq!(m[1].inter_pop_bytes, 2000);
        assert_eq!(m[0].edge_hit_ratio(), 0.5);
    }

    /// A marker lives its TTL (60 s), and an edge copy fetched through a
    /// shield lives only what the shield's copy has left.
    #[test]
    fn ttls_expire_and_edge_copies_count_from_the_shields_age() {
        let marker = "/release/stable.txt";
        let requests = [
            request(0, marker, FRANKFURT, RegionGroup::EuropeCentral),
            request(50_000, marker, ASHBURN, RegionGroup::NaEast),
            request(59_000, marker, ASHBURN, RegionGroup::NaEast),
            // The shield's copy (from t=0) expired at 60 s, and so did the
            // Ashburn edge's, though that edge fetched it at 50 s.
            request(61_000, marker, ASHBURN, RegionGroup::NaEast),
        ];
        let m = replay(
            &[("static", Some(r#"{"default":["chi-il-us"]}"#))],
            &requests,
        );
        assert_eq!(m[0].edge_hits, 1);
        assert_eq!(m[0].shield_hits, 1);
        assert_eq!(m[0].origin_fetches, 2);
    }

    /// HEAD and Range misses go through and fill no cache; a Range
    /// fetches only its bytes.
    #[test]
    fn head_and_range_fill_no_cache() {
        let mut head = request(0, KUBECTL, ASHBURN, RegionGroup::NaEast);
        head.head = true;
        head.bytes = 0;
        let mut ranged = request(1, KUBECTL, ASHBURN, RegionGroup::NaEast);
        ranged.range = Some("bytes=900-".into());
        ranged.status = 206;
        ranged.bytes = 100;
        let m = replay(&[("none", None)], &[head.clone(), ranged, head]);
        assert_eq!(m[0].origin_fetches, 3);
        assert_eq!(m[0].origin_bytes, 100);
        assert_eq!(m[0].edge_hits, 0);
    }

    /// Misses wait for every leg: a Frankfurt edge through a Chicago
    /// shield waits longer than through a Frankfurt one, and its miss at a
    /// shield adds the leg to Iowa.
    #[test]
    fn miss_latency_adds_the_legs() {
        let requests = [request(0, KUBECTL, FRANKFURT, RegionGroup::EuropeCentral)];
        let m = replay(
            &[
                ("chi", Some(r#"{"default":["chi-il-us"]}"#)),
                ("fra", Some(r#"{"default":["frankfurt-de"]}"#)),
            ],
            &requests,
        );
        let (chi, fra) = (m[0].miss_latency_mean_ms(), m[1].miss_latency_mean_ms());
        assert!(chi > 0.0 && fra > 0.0);
        // The Frankfurt shield is the edge itself: straight to the origin.
        let direct = round_trip_ms(FRANKFURT, bundled()[nearest(&bundled(), FRANKFURT)].at())
            + round_trip_ms(
                bundled()[nearest(&bundled(), FRANKFURT)].at(),
                GCS_US_CENTRAL1.at,
            )
            + GCS_US_CENTRAL1.first_byte_ms;
        assert!((fra - direct).abs() < 1e-9, "{fra} {direct}");
        assert!(chi > fra, "via Chicago {chi} ms, Frankfurt {fra} ms");
        assert_eq!(m[0].miss_latency_p95_ms(), chi.round());
    }

    #[test]
    fn a_capacity_evicts_the_least_recently_used() {
        let a = "/release/v1.34.1/bin/linux/amd64/kubectl";
        let b = "/release/v1.34.1/bin/linux/amd64/kubeadm";
        let requests = [
            request(0, a, ASHBURN, RegionGroup::NaEast),
            request(1, b, ASHBURN, RegionGroup::NaEast),
            request(2, a, ASHBURN, RegionGroup::NaEast),
        ];
        let scenarios = vec![Scenario {
            name: "none".into(),
            plan: None,
        }];
        let mut small = Replay::new(
            scenarios,
            bundled(),
            Config::default(),
            GCS_US_CENTRAL1,
            Some(1500),
        );
        for r in &requests {
            small.replay(r);
        }
        assert_eq!(small.metrics[0].origin_fetches, 3, "b pushed a out");
        let m = replay(&[("none", None)], &requests);
        assert_eq!(m[0].origin_fetches, 2, "without a capacity a stays");
    }
}

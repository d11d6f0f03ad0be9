//! Synthetic traffic from a documented profile (`ops/profiles/`): who
//! asks, for which release and file, when, and how. Deterministic for a
//! profile and a seed, written in time order, one line at a time, so a
//! day of ten million requests needs no memory.

use std::io::{self, Write};

use serde::Deserialize;

/// The bundled profile: a day of dl.k8s.io.
pub const DEFAULT: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/profiles/dl-k8s-io.json"
));

/// A value and why it is what it is.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Explained<T> {
    /// Read by people, not by the generator; required, so that every
    /// parameter says why it has its value.
    #[serde(rename = "why")]
    _why: String,
    value: T,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(rename = "about")]
    _about: String,
    start: String,
    hourly_weights: Explained<Vec<f64>>,
    sources: Explained<Vec<Source>>,
    kinds: Explained<Kinds>,
    releases: Releases,
    files: Explained<Vec<File>>,
    markers: Explained<Vec<File>>,
    ci: Ci,
    methods: Methods,
}

/// Where requests come from, placed as the service places clients.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Names the row for people.
    #[serde(rename = "name")]
    _name: String,
    weight: f64,
    lat: f64,
    lon: f64,
    #[serde(default)]
    cloud: Option<String>,
    #[serde(default)]
    cloud_region: Option<String>,
    #[serde(default)]
    asn: Option<u32>,
    #[serde(default)]
    continent: Option<String>,
    #[serde(default)]
    country: Option<String>,
    #[serde(default)]
    region: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Kinds {
    release: f64,
    marker: f64,
    ci: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Releases {
    #[serde(rename = "why")]
    _why: String,
    minor_zipf: f64,
    latest_patch_share: f64,
    patch_zipf: f64,
    major: u64,
    /// (minor, latest patch), newest first.
    minors: Vec<(u64, u64)>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    path: String,
    weight: f64,
    size: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Ci {
    #[serde(rename = "why")]
    _why: String,
    builds_per_day: u64,
    files: Vec<File>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Methods {
    #[serde(rename = "why")]
    _why: String,
    head_share: f64,
    range_share: f64,
}

impl Profile {
    pub fn parse(text: &str) -> Result<Profile, String> {
        let profile: Profile = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if profile.hourly_weights.value.len() != 24 {
            return Err("hourly_weights has 24 values, one per UTC hour".into());
        }
        if dl_edge::primitives::utc::parse_utc(&profile.start).is_none() {
            return Err(format!("start {:?} is not a UTC time", profile.start));
        }
        if profile.releases.minors.is_empty() || profile.sources.value.is_empty() {
            return Err("a profile needs releases and sources".into());
        }
        Ok(profile)
    }
}

/// A small deterministic generator (xorshift64*), so a seed gives the
/// same traffic on every machine.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Picks an index by weight, from cumulative weights.
struct Weighted(Vec<f64>);

impl Weighted {
    fn new(weights: impl IntoIterator<Item = f64>) -> Weighted {
        let mut total = 0.0;
        Weighted(
            weights
                .into_iter()
                .map(|w| {
                    total += w.max(0.0);
                    total
                })
                .collect(),
        )
    }

    fn zipf(n: usize, s: f64) -> Weighted {
        Weighted::new((1..=n).map(|k| 1.0 / (k as f64).powf(s)))
    }

    fn pick(&self, rng: &mut Rng) -> usize {
        let total = self.0.last().copied().unwrap_or(0.0);
        let x = rng.unit() * total;
        self.0.partition_point(|&c| c <= x).min(self.0.len() - 1)
    }
}

/// Writes `requests` traffic lines for the profile's day.
pub fn generate(
    profile: &Profile,
    requests: u64,
    seed: u64,
    out: &mut impl Write,
) -> io::Result<()> {
    let mut rng = Rng::new(seed);
    let start_ms = dl_edge::primitives::utc::parse_utc(&profile.start).unwrap_or(0) * 1000;
    let sources = Weighted::new(profile.sources.value.iter().map(|s| s.weight));
    let kinds = Weighted::new([
        profile.kinds.value.release,
        profile.kinds.value.marker,
        profile.kinds.value.ci,
    ]);
    let releases = &profile.releases;
    let minors = Weighted::zipf(releases.minors.len(), releases.minor_zipf);
    let files = Weighted::new(profile.files.value.iter().map(|f| f.weight));
    let markers = Weighted::new(profile.markers.value.iter().map(|f| f.weight));
    let ci_files = Weighted::new(profile.ci.files.iter().map(|f| f.weight));
    let hours = &profile.hourly_weights.value;
    let total_weight: f64 = hours.iter().sum();
    // Requests per hour, rounded so that they add up to `requests`.
    let mut per_hour = Vec::with_capacity(24);
    let mut given = 0u64;
    let mut cumulative = 0.0;
    for w in hours {
        cumulative += w;
        let upto = (requests as f64 * cumulative / total_weight).round() as u64;
        per_hour.push(upto - given);
        given = upto;
    }
    let newest = releases.minors[0].0;
    let mut line = String::with_capacity(320);
    for (hour, &count) in per_hour.iter().enumerate() {
        for i in 0..count {
            // Evenly spread within the hour, jittered within each slot,
            // so the lines come out in time order.
            let slot = 3_600_000.0 / count as f64;
            let t = start_ms + hour as i64 * 3_600_000 + ((i as f64 + rng.unit()) * slot) as i64;
            let (path, size) = match kinds.pick(&mut rng) {
                0 => {
                    let (minor, latest) = releases.minors[minors.pick(&mut rng)];
                    let patch = if rng.unit() < releases.latest_patch_share || latest == 0 {
                        latest
                    } else {
                        // Older patches: newest first, a Zipf tail.
                        let older = Weighted::zipf(latest as usize, releases.patch_zipf);
                        latest - 1 - older.pick(&mut rng) as u64
                    };
                    let file = &profile.files.value[files.pick(&mut rng)];
                    (
                        format!("/release/v{}.{minor}.{patch}/{}", releases.major, file.path),
                        file.size,
                    )
                }
                1 => {
                    let marker = &profile.markers.value[markers.pick(&mut rng)];
                    (marker.path.clone(), marker.size)
                }
                _ => {
                    // The builds so far today; a recent one most often.
                    let built =
                        ((t - start_ms) as u64 * profile.ci.builds_per_day / 86_400_000).max(1);
                    let back = Weighted::zipf(built.min(48) as usize, 1.5).pick(&mut rng) as u64;
                    let build = built - 1 - back.min(built - 1);
                    let file = &profile.ci.files[ci_files.pick(&mut rng)];
                    (
                        format!(
                            "/ci/v{}.{}.0-alpha.0.{build}+{:012x}/{}",
                            releases.major,
                            newest + 1,
                            build.wrapping_mul(0x9e37_79b9) & 0xffff_ffff_ffff,
                            file.path
                        ),
                        file.size,
                    )
                }
            };
            let source = &profile.sources.value[sources.pick(&mut rng)];
            let roll = rng.unit();
            let head = roll < profile.methods.head_share;
            let ranged = !head && roll < profile.methods.head_share + profile.methods.range_share;
            line.clear();
            let method = if head { "HEAD" } else { "GET" };
            line.push_str(&format!(r#"{{"t":{t},"method":"{method}","path":"{path}""#));
            let (status, bytes) = if head {
                (200, 0)
            } else if ranged && size > 1 {
                let from = rng.below(size);
                line.push_str(&format!(r#","range":"bytes={from}-""#));
                (206, size - from)
            } else {
                (200, size)
            };
            line.push_str(&format!(
                r#","status":{status},"size":{size},"bytes":{bytes},"lat":{},"lon":{}"#,
                source.lat, source.lon
            ));
            let text = |key: &str, value: &Option<String>, line: &mut String| {
                if let Some(v) = value {
                    line.push_str(&format!(r#","{key}":"{v}""#));
                }
            };
            text("cloud", &source.cloud, &mut line);
            text("cloud_region", &source.cloud_region, &mut line);
            if let Some(asn) = source.asn {
                line.push_str(&format!(r#","asn":{asn}"#));
            }
            text("continent", &source.continent, &mut line);
            text("country", &source.country, &mut line);
            text("region", &source.region, &mut line);
            line.push_str("}\n");
            out.write_all(line.as_bytes())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traffic::{read_line, Read};
    use std::collections::HashMap;

    fn lines(n: u64, seed: u64) -> Vec<String> {
        let profile = Profile::parse(DEFAULT).unwrap();
        let mut out = Vec::new();
        generate(&profile, n, seed, &mut out).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_traffic_in_time_order() {
        let a = lines(3000, 1);
        assert_eq!(a.len(), 3000);
        assert_eq!(a, lines(3000, 1));
        assert_ne!(a, lines(3000, 2));
        let times: Vec<i64> = a
            .iter()
            .map(|l| match read_line(l) {
                Read::Request(r) => r.t,
                other => panic!("{l}: {other:?}"),
            })
            .collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "time-ordered");
        let day = 86_400_000;
        assert!(times[times.len() - 1] - times[0] < day);
    }

    /// The shape the profile describes: GitHub Actions first, the latest
    /// patch of each minor most, every kind of file and method present.
    #[test]
    fn the_traffic_has_the_profiles_shape() {
        let all = lines(40_000, 3);
        let count = |f: &dyn Fn(&str) -> bool| all.iter().filter(|l| f(l)).count() as f64;
        let n = all.len() as f64;
        let azure = count(&|l| l.contains(r#""asn":8075"#)) / n;
        assert!((0.45..0.60).contains(&azure), "Azure share {azure}");
        let markers = count(&|l| l.contains(".txt\"")) / n;
        assert!((0.20..0.28).contains(&markers), "marker share {markers}");
        let head = count(&|l| l.contains(r#""method":"HEAD""#)) / n;
        assert!((0.02..0.04).contains(&head), "HEAD share {head}");
        assert!(count(&|l| l.contains(r#""range":"bytes="#)) > 0.0);
        assert!(count(&|l| l.contains(r#""path":"/ci/v1.38.0-alpha"#)) > 0.0);
        for continent in ["NA", "EU", "AS", "OC", "SA", "AF"] {
            assert!(
                count(&|l| l.contains(&format!(r#""continent":"{continent}""#))) > 0.0,
                "{continent}"
            );
        }
        let mut patches: HashMap<&str, usize> = HashMap::new();
        for l in &all {
            if let Some(i) = l.find("/release/v1.37.") {
                let patch = &l[i + 15..i + 16];
                *patches.entry(patch).or_default() += 1;
            }
        }
        let latest = patches.get("2").copied().unwrap_or(0) as f64;
        let total: usize = patches.values().sum();
        assert!(latest / total as f64 > 0.55, "latest patch {patches:?}");
    }
}

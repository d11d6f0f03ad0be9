//! Where Fastly's POPs are, for the simulator: every POP of
//! `data/fastly-pops.json` (edges included, not only the shields the
//! service's table holds), great-circle distances, and the POP nearest a
//! client.

use serde::Deserialize;

use dl_edge::locality::RegionGroup;

/// One POP.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Pop {
    pub code: String,
    pub latitude: f64,
    pub longitude: f64,
    /// Its shield code, where it can be a shield.
    #[serde(default)]
    pub shield: Option<String>,
}

#[derive(Deserialize)]
struct PopFile {
    pops: Vec<Pop>,
}

/// The POP list bundled with the repository.
pub fn bundled() -> Vec<Pop> {
    let text = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/fastly-pops.json"
    ));
    serde_json::from_str::<PopFile>(text)
        .expect("data/fastly-pops.json is a POP list")
        .pops
}

/// Great-circle distance in kilometres.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (p1, p2) = (a.0.to_radians(), b.0.to_radians());
    let dp = (b.0 - a.0).to_radians();
    let dl = (b.1 - a.1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    6371.0 * 2.0 * h.sqrt().min(1.0).asin()
}

impl Pop {
    pub fn at(&self) -> (f64, f64) {
        (self.latitude, self.longitude)
    }
}

/// Rough centres of the region groups (latitude, longitude), for a client
/// known only by its group.
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

/// The index of the POP nearest a point: where anycast sends a client, to
/// a first approximation.
pub fn nearest(pops: &[Pop], at: (f64, f64)) -> usize {
    let mut best = (f64::INFINITY, 0);
    for (i, pop) in pops.iter().enumerate() {
        let d = distance_km(at, pop.at());
        if d < best.0 {
            best = (d, i);
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_list_has_every_shield_the_service_knows() {
        let pops = bundled();
        for (code, pop, ..) in dl_edge::shield::SHIELDS {
            let found = pops.iter().find(|p| p.shield.as_deref() == Some(*code));
            assert_eq!(found.map(|p| p.code.as_str()), Some(*pop), "{code}");
        }
        assert!(pops.len() > dl_edge::shield::SHIELDS.len(), "edges too");
    }

    #[test]
    fn distances_and_nearest_pops() {
        let pops = bundled();
        let iad = pops.iter().find(|p| p.code == "IAD").unwrap().at();
        let fra = pops.iter().find(|p| p.code == "FRA").unwrap().at();
        let d = distance_km(iad, fra);
        assert!((6400.0..6700.0).contains(&d), "IAD-FRA {d} km");
        assert_eq!(distance_km(iad, iad), 0.0);
        let ashburn = (39.04, -77.49);
        assert!(["IAD", "BWI"].contains(&pops[nearest(&pops, ashburn)].code.as_str()));
        let tokyo = (35.68, 139.69);
        assert!(["TYO", "HND"].contains(&pops[nearest(&pops, tokyo)].code.as_str()));
    }
}

//! Lookups of real cloud addresses, the group tables' exhaustiveness over
//! the data, and the order in which locality is decided.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;

use super::block_table::Block;
use super::cloud_ranges::{DROPPED, REGIONS, SYNC_TOKENS};
use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn geo<'t>(asn: u32, continent: &'t str, country: &'t str, region: Option<&'t str>) -> Geo<'t> {
    Geo {
        asn,
        continent: continent.into(),
        country: country.into(),
        region: region.map(Into::into),
        ..Geo::default()
    }
}

#[test]
fn real_addresses_find_their_region() {
    let table: [(&str, Option<(&str, &str)>); 19] = [
        // AWS us-east-1, 3.208.0.0/12 (EC2), first and last address.
        ("3.208.0.0", Some(("aws", "us-east-1"))),
        ("3.239.255.255", Some(("aws", "us-east-1"))),
        ("3.207.255.255", None),
        ("3.240.0.0", None),
        // AWS us-east-1 52.4.0.0/14, merged with its neighbours.
        ("52.4.0.1", Some(("aws", "us-east-1"))),
        // A regional /24 inside the GLOBAL 64.252.64.0/18 keeps its region;
        // the rest of the /18 is dropped with GLOBAL.
        ("64.252.69.10", Some(("aws", "us-east-1"))),
        ("64.252.90.1", None),
        // AWS eu-central-1 2a05:d05b:b000::/40 and its neighbours.
        ("2a05:d05b:b000::1", Some(("aws", "eu-central-1"))),
        (
            "2a05:d05b:b0ff:ffff:ffff:ffff:ffff:ffff",
            Some(("aws", "eu-central-1")),
        ),
        ("2a05:d05b:b100::1", None),
        ("2a05:d05b:afff:ffff::1", None),
        // A /128 (AWS eu-west-3) is widened to its /64.
        ("2a01:578:0:7301::dead", Some(("aws", "eu-west-3"))),
        // GCP europe-west1 35.187.0.0/17 and just past it; GCP IPv6.
        ("35.187.0.1", Some(("gcp", "europe-west1"))),
        ("35.187.128.0", None),
        ("2600:1900:4030::1", Some(("gcp", "asia-east1"))),
        // IPv4-mapped IPv6 is looked up as IPv4.
        ("::ffff:3.208.0.1", Some(("aws", "us-east-1"))),
        // Not a cloud.
        ("127.0.0.1", None),
        ("::1", None),
        ("8.8.8.8", None),
    ];
    for (addr, expected) in table {
        let got = cloud_region(ip(addr)).map(|c| (c.cloud, c.region));
        assert_eq!(got, expected, "{addr}");
    }
}

#[test]
fn the_extremes_of_the_address_space_are_not_clouds() {
    for addr in [
        "0.0.0.0",
        "255.255.255.255",
        "::",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ] {
        assert_eq!(cloud_region(ip(addr)), None, "{addr}");
    }
}

/// The tables are what `find` needs: sorted, disjoint, aligned blocks
/// with valid region indexes, an index holding each run's first address,
/// and REGIONS sorted without duplicates.
#[test]
fn tables_are_sorted_and_disjoint() {
    fn check<T: Copy + Ord + Into<u64>>(name: &str, bits: u32, table: &BlockTable<T>) {
        assert!(!table.index.is_empty(), "{name} is empty");
        assert_eq!(table.index.len(), table.at.len(), "{name}: index and runs");
        let blocks: Vec<Block> = table.blocks().collect();
        let mut next_free = 0u128;
        for (i, block) in blocks.iter().enumerate() {
            let (first, size) = (u128::from(block.first), 1u128 << block.host_bits);
            assert!(
                u32::from(block.host_bits) <= bits,
                "{name}: block {i} wider than the space"
            );
            assert_eq!(first % size, 0, "{name}: block {i} is not aligned");
            assert!(
                first >= next_free,
                "{name}: block {i} overlaps the one before"
            );
            next_free = first + size;
            assert!(
                usize::from(block.region) < REGIONS.len(),
                "{name}: bad index {}",
                block.region
            );
        }
        assert!(
            next_free <= 1u128 << bits,
            "{name}: past the end of the space"
        );
        // Each run starts where the index says, and no run is empty.
        let run = blocks.len().div_ceil(table.index.len());
        for (r, &first) in table.index.iter().enumerate() {
            assert_eq!(blocks[r * run].first, first.into(), "{name}: run {r}");
        }
        assert!(table.at.windows(2).all(|w| w[0] < w[1]), "{name}: runs");
    }
    check("V4", 32, &V4);
    check("V6", 64, &V6);
    assert!(
        REGIONS.windows(2).all(|w| w[0] < w[1]),
        "REGIONS not sorted and unique"
    );
    for &(cloud, _) in REGIONS {
        assert!(cloud == "aws" || cloud == "gcp", "{cloud}");
    }
    for &dropped in DROPPED {
        assert!(!REGIONS.contains(&dropped), "{dropped:?} should be dropped");
    }
}

/// `find` gives what a plain search of every block gives, at each block's
/// edges and just outside them, which are the edges of the runs and of
/// the gaps between blocks too.
#[test]
fn lookups_agree_with_a_search_of_every_block() {
    fn check<T: Copy + Ord + Into<u64> + TryFrom<u128>>(name: &str, table: &BlockTable<T>) {
        let blocks: Vec<Block> = table.blocks().collect();
        // The last block starting at or before `x`, if it holds `x`.
        let plain = |x: u128| {
            let i = blocks
                .partition_point(|b| u128::from(b.first) <= x)
                .checked_sub(1)?;
            let b = blocks[i];
            (x - u128::from(b.first) < 1u128 << b.host_bits).then_some(b.region)
        };
        let mut probes = 0;
        for block in &blocks {
            let first = u128::from(block.first);
            let last = first + (1u128 << block.host_bits) - 1;
            for x in [
                first.checked_sub(1),
                Some(first),
                Some(last),
                last.checked_add(1),
            ] {
                let Some(Ok(addr)) = x.map(T::try_from) else {
                    continue;
                };
                assert_eq!(
                    table.find(addr),
                    plain(x.unwrap()),
                    "{name}: {:#x}",
                    x.unwrap()
                );
                probes += 1;
            }
        }
        assert!(probes >= blocks.len() * 3, "{name}: {probes} probes");
    }
    check("V4", &V4);
    check("V6", &V6);
}

/// Every region in the tables has a group: a new region in the data
/// needs a line in REGION_EXCEPTIONS or AREAS.
#[test]
fn every_cloud_region_has_a_group() {
    let missing: Vec<_> = REGIONS
        .iter()
        .filter(|&&(cloud, region)| group_for_cloud_region(cloud, region).is_none())
        .collect();
    assert!(missing.is_empty(), "regions without a group: {missing:?}");
}

/// Every line of the cloud group tables is used by some region, so a typo
/// there cannot hide.
#[test]
fn every_area_and_exception_is_used() {
    for &(cloud, region, _) in REGION_EXCEPTIONS {
        assert!(
            REGIONS.contains(&(cloud, region)),
            "unused exception {cloud}/{region}"
        );
    }
    for &(area, _) in AREAS {
        let used = REGIONS.iter().any(|&(cloud, region)| {
            !REGION_EXCEPTIONS
                .iter()
                .any(|&(c, r, _)| c == cloud && r == region)
                && region
                    .trim_end_matches(|c: char| c.is_ascii_digit())
                    .trim_end_matches('-')
                    == area
        });
        assert!(used, "unused area {area}");
    }
}

/// The data the tables were generated from, in the repository (data/README.md).
fn data_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/cloud-ranges")
}

fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The generated tables match the data files: the same regions (less the
/// dropped ones) and the same sync tokens. A refreshed data file that was
/// not run through scripts/gen-cloud-ranges fails here. (`cargo test -p
/// xtask` compares the whole file with a regeneration.)
#[test]
fn tables_match_the_data_files() {
    let dir = data_dir();
    let aws = read_json(&dir.join("aws-ip-ranges.json"));
    let gcp = read_json(&dir.join("gcp-cloud.json"));
    let mut in_data = BTreeSet::new();
    for key in ["prefixes", "ipv6_prefixes"] {
        for p in aws[key].as_array().unwrap() {
            in_data.insert(("aws".to_owned(), p["region"].as_str().unwrap().to_owned()));
        }
    }
    for p in gcp["prefixes"].as_array().unwrap() {
        in_data.insert(("gcp".to_owned(), p["scope"].as_str().unwrap().to_owned()));
    }
    for &(cloud, region) in DROPPED {
        in_data.remove(&(cloud.to_owned(), region.to_owned()));
    }
    let in_tables: BTreeSet<_> = REGIONS
        .iter()
        .map(|&(c, r)| (c.to_owned(), r.to_owned()))
        .collect();
    assert_eq!(in_tables, in_data, "rerun scripts/gen-cloud-ranges");
    let token = |v: &serde_json::Value| match &v["syncToken"] {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    assert_eq!(
        (token(&aws).as_str(), token(&gcp).as_str()),
        SYNC_TOKENS,
        "the data files changed: rerun scripts/gen-cloud-ranges"
    );
}

#[test]
fn cloud_regions_by_rule_and_exception() {
    let table = [
        ("aws", "us-east-1", NaEast),
        ("aws", "us-east-2", NaEast),
        ("aws", "us-gov-east-1", NaEast),
        ("aws", "ca-central-1", NaEast),
        ("aws", "us-south-1", NaCentral),
        ("aws", "mx-central-1", NaCentral),
        ("aws", "us-west-2", NaWest),
        ("aws", "us-gov-west-1", NaWest),
        ("aws", "ca-west-1", NaWest),
        ("aws", "sa-east-1", SouthAmerica),
        ("aws", "eu-west-1", EuropeWest),
        ("aws", "eu-south-2", EuropeWest),
        ("aws", "eu-central-1", EuropeCentral),
        ("aws", "eu-south-1", EuropeCentral),
        ("aws", "eusc-de-east-1", EuropeCentral),
        ("aws", "eu-north-1", EuropeNorth),
        ("aws", "af-south-1", Africa),
        ("aws", "me-south-1", MiddleEast),
        ("aws", "il-central-1", MiddleEast),
        ("aws", "ap-northeast-1", AsiaNorth),
        ("aws", "ap-east-1", AsiaNorth),
        ("aws", "cn-north-1", AsiaNorth),
        ("aws", "cn-northwest-1", AsiaNorth),
        ("aws", "ap-southeast-1", AsiaSouthEast),
        ("aws", "ap-southeast-3", AsiaSouthEast),
        ("aws", "ap-south-1", AsiaSouth),
        ("aws", "ap-south-2", AsiaSouth),
        ("aws", "ap-southeast-2", Oceania),
        ("aws", "ap-southeast-6", Oceania),
        ("gcp", "us-east4", NaEast),
        ("gcp", "northamerica-northeast1", NaEast),
        ("gcp", "us-central1", NaCentral),
        ("gcp", "us-south1", NaCentral),
        ("gcp", "northamerica-south1", NaCentral),
        ("gcp", "us-west1", NaWest),
        ("gcp", "southamerica-east1", SouthAmerica),
        ("gcp", "europe-west1", EuropeWest),
        ("gcp", "europe-southwest1", EuropeWest),
        ("gcp", "europe-west3", EuropeCentral),
        ("gcp", "europe-west10", EuropeCentral),
        ("gcp", "europe-central2", EuropeCentral),
        ("gcp", "europe-north1", EuropeNorth),
        ("gcp", "africa-south1", Africa),
        ("gcp", "me-central1", MiddleEast),
        ("gcp", "asia-northeast1", AsiaNorth),
        ("gcp", "asia-east2", AsiaNorth),
        ("gcp", "asia-southeast1", AsiaSouthEast),
        ("gcp", "asia-south1", AsiaSouth),
        ("gcp", "australia-southeast1", Oceania),
    ];
    for (cloud, region, group) in table {
        assert_eq!(
            group_for_cloud_region(cloud, region),
            Some(group),
            "{cloud}/{region}"
        );
    }
    // An exception belongs to its cloud only, and unknown names have no group.
    assert_eq!(
        group_for_cloud_region("aws", "europe-west3"),
        Some(EuropeWest)
    );
    assert_eq!(group_for_cloud_region("aws", "GLOBAL"), None);
    assert_eq!(group_for_cloud_region("gcp", "mars-north1"), None);
}

/// Every Fastly continent code has a group, and an unknown one falls back.
#[test]
fn every_continent_maps() {
    let table = [
        ("NA", NaEast),
        ("SA", SouthAmerica),
        ("EU", EuropeCentral),
        ("AF", Africa),
        ("AS", AsiaSouthEast),
        ("OC", Oceania),
        ("AN", Oceania),
        ("??", FALLBACK),
        ("", FALLBACK),
    ];
    for (continent, group) in table {
        assert_eq!(group_for_geo(continent, "", None), group, "{continent:?}");
    }
    assert_eq!(FALLBACK, NaEast);
}

#[test]
fn geo_by_subdivision_country_and_continent() {
    let table = [
        ("NA", "US", Some("VA"), NaEast),
        ("NA", "US", Some("US-NY"), NaEast),
        ("NA", "US", Some("OH"), NaEast),
        ("NA", "US", Some("TX"), NaCentral),
        ("NA", "US", Some("IL"), NaCentral),
        ("NA", "US", Some("CA"), NaWest),
        ("NA", "US", Some("WA"), NaWest),
        ("NA", "US", Some("CO"), NaWest),
        ("NA", "US", None, NaEast),
        ("NA", "US", Some("ZZ"), NaEast),
        ("NA", "CA", Some("QC"), NaEast),
        ("NA", "CA", Some("MB"), NaCentral),
        ("NA", "CA", Some("BC"), NaWest),
        ("NA", "CA", None, NaEast),
        ("NA", "MX", Some("CMX"), NaCentral),
        ("NA", "PA", None, NaEast),
        ("SA", "BR", Some("SP"), SouthAmerica),
        ("EU", "GB", Some("ENG"), EuropeWest),
        ("EU", "FR", None, EuropeWest),
        ("EU", "ES", None, EuropeWest),
        ("EU", "DE", Some("BE"), EuropeCentral),
        ("EU", "PL", None, EuropeCentral),
        ("EU", "IT", None, EuropeCentral),
        ("EU", "SE", Some("AB"), EuropeNorth),
        ("EU", "FI", None, EuropeNorth),
        ("EU", "RU", Some("MOW"), EuropeCentral),
        ("AS", "KZ", None, EuropeCentral),
        ("AF", "ZA", None, Africa),
        ("AF", "NG", None, Africa),
        ("AS", "AE", None, MiddleEast),
        ("AS", "IL", None, MiddleEast),
        ("EU", "TR", None, MiddleEast),
        ("AS", "TR", None, MiddleEast),
        ("AS", "JP", Some("13"), AsiaNorth),
        ("AS", "CN", None, AsiaNorth),
        ("AS", "HK", None, AsiaNorth),
        ("AS", "KR", None, AsiaNorth),
        ("AS", "SG", None, AsiaSouthEast),
        ("AS", "VN", None, AsiaSouthEast),
        ("AS", "IN", Some("MH"), AsiaSouth),
        ("AS", "PK", None, AsiaSouth),
        // Afghanistan's country code is Africa's continent code.
        ("AS", "AF", None, AsiaSouth),
        ("OC", "AU", Some("NSW"), Oceania),
        ("OC", "NZ", None, Oceania),
        ("AN", "AQ", None, Oceania),
        // Case is ignored; a listed country decides whatever the continent,
        // an unlisted one leaves it to the continent.
        ("na", "us", Some("ca"), NaWest),
        ("??", "GB", None, EuropeWest),
        ("??", "DE", None, FALLBACK),
    ];
    for (continent, country, region, group) in table {
        assert_eq!(
            group_for_geo(continent, country, region),
            group,
            "{continent} {country} {region:?}"
        );
    }
}

/// No code is listed twice, so no table's order decides anything.
#[test]
fn geo_tables_list_each_code_once() {
    for (name, table) in [
        ("US_STATES", US_STATES),
        ("CA_PROVINCES", CA_PROVINCES),
        ("COUNTRIES", COUNTRIES),
    ] {
        let mut seen = BTreeSet::new();
        for (_, codes) in table {
            for code in *codes {
                assert!(seen.insert(*code), "{name}: {code} listed twice");
            }
        }
    }
    let states: usize = US_STATES.iter().map(|(_, codes)| codes.len()).sum();
    assert_eq!(states, 50 + 3, "50 states, DC, PR and VI");
}

#[test]
fn group_names_round_trip() {
    let names: Vec<_> = RegionGroup::ALL.iter().map(|g| g.as_str()).collect();
    assert_eq!(
        names,
        [
            "na-east",
            "na-central",
            "na-west",
            "south-america",
            "europe-west",
            "europe-central",
            "europe-north",
            "africa",
            "middle-east",
            "asia-north",
            "asia-south-east",
            "asia-south",
            "oceania",
        ]
    );
    for group in RegionGroup::ALL {
        assert_eq!(RegionGroup::parse(group.as_str()), Some(group));
    }
    assert!(
        RegionGroup::ALL.windows(2).all(|w| w[0] < w[1]),
        "ALL in Ord order"
    );
    for bad in ["", "NA-EAST", "na_east", "europe", " oceania"] {
        assert_eq!(RegionGroup::parse(bad), None, "{bad:?}");
    }
}

/// An AWS or GCP address decides, even from Microsoft's ASN and with geo
/// that says otherwise (geo databases place clouds at head office).
#[test]
fn cloud_table_beats_asn_and_geo() {
    let seattle = geo(8075, "NA", "US", Some("WA"));
    let l = locate(Some(ip("35.187.0.1")), Some(&seattle));
    assert_eq!(
        l,
        Locality {
            group: EuropeWest,
            source: "gcp",
            cloud: Some("gcp"),
            cloud_region: Some("europe-west1".into()),
        }
    );
    let l = locate(Some(ip("2a05:d05b:b000::1")), None);
    assert_eq!(
        (l.group, l.source, l.cloud, l.cloud_region.as_deref()),
        (EuropeCentral, "aws", Some("aws"), Some("eu-central-1"))
    );
}

/// Outside the tables, Microsoft's ASN marks Azure, placed by geo.
#[test]
fn microsoft_asn_is_azure_placed_by_geo() {
    let table = [
        (geo(8075, "NA", "US", Some("VA")), NaEast, Some("us-va")),
        (geo(8075, "EU", "NL", Some("NH")), EuropeWest, Some("nl-nh")),
        (geo(8075, "AS", "SG", None), AsiaSouthEast, Some("sg")),
        (
            geo(8075, "NA", "US", Some("US-TX")),
            NaCentral,
            Some("us-tx"),
        ),
    ];
    for (g, group, region) in table {
        let l = locate(Some(ip("20.42.0.1")), Some(&g));
        assert_eq!(
            (l.group, l.source, l.cloud, l.cloud_region.as_deref()),
            (group, "azure-asn", Some("azure"), region),
            "{g:?}"
        );
    }
}

/// Anyone else is placed by geo alone, and without an address it is geo
/// that decides.
#[test]
fn others_are_placed_by_geo() {
    let table = [
        (
            Some(ip("203.0.113.7")),
            geo(3320, "EU", "DE", Some("HE")),
            EuropeCentral,
        ),
        (None, geo(7922, "NA", "US", Some("CA")), NaWest),
        (Some(ip("127.0.0.1")), geo(0, "OC", "AU", None), Oceania),
    ];
    for (addr, g, group) in table {
        assert_eq!(
            locate(addr, Some(&g)),
            Locality {
                group,
                source: "geo",
                cloud: None,
                cloud_region: None,
            },
            "{g:?}"
        );
    }
}

/// With no cloud address and no usable geo, the fallback group.
#[test]
fn nothing_known_falls_back() {
    let empty = geo(0, "", "", None);
    for (addr, g) in [
        (None, None),
        (Some(ip("203.0.113.7")), None),
        (None, Some(&empty)),
    ] {
        assert_eq!(
            locate(addr, g),
            Locality {
                group: FALLBACK,
                source: "none",
                cloud: None,
                cloud_region: None,
            }
        );
    }
}

/// The record as Viceroy and Fastly return it for `client.geo`.
#[test]
fn geo_is_read_from_the_platforms_record() {
    let record = r#"{"as_name":"example isp","as_number":64500,"area_code":0,"city":"frankfurt am main","conn_speed":"broadband","conn_type":"wired","continent":"EU","country_code":"DE","country_code3":"DEU","country_name":"germany","latitude":50.1,"longitude":8.7,"metro_code":0,"postal_code":"60311","proxy_description":"?","proxy_type":"?","region":"HE","utc_offset":100}"#;
    assert_eq!(
        Geo::from_json(record),
        Some(Geo {
            asn: 64500,
            as_name: "example isp".into(),
            continent: "EU".into(),
            country: "DE".into(),
            region: Some("HE".into()),
            city: "frankfurt am main".into(),
        })
    );
    let no_region = record.replace(r#""region":"HE""#, r#""region":null"#);
    assert_eq!(Geo::from_json(&no_region).unwrap().region, None);
    let odd = record.replace(r#""continent":"EU""#, r#""continent":"XX""#);
    assert_eq!(Geo::from_json(&odd).unwrap().continent, "??");
    for broken in [
        "",
        "null",
        "[]",
        &record.replace(r#""as_number":64500,"#, ""),
        &record.replace("64500", "\"64500\""),
        &record[..record.len() - 1],
    ] {
        assert_eq!(Geo::from_json(broken), None, "{broken}");
    }
}

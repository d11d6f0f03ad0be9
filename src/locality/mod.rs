//! Where a client is, as a region group: the input to shield selection.
//!
//! Most downloads come from CI machines in a cloud, and a cloud's published
//! address ranges say which region a machine is in far better than a geo
//! database, which often places a whole cloud at its head office. So the
//! AWS and GCP tables (generated into `locality/cloud_ranges.rs` from
//! `data/cloud-ranges/` by `cargo run -p xtask -- gen-cloud-ranges`, which
//! `scripts/gen-cloud-ranges` wraps) decide first; Azure publishes no
//! usable per-region list, so its ASN marks it and geo places it; everyone
//! else is placed by geo alone. See docs/locality.md.
//!
//! Everything here is const data and comparisons: no parsing or allocation
//! at request time, except the `cloud_region` string a [`Locality`] carries
//! for the log.

mod block_table;
mod cloud_ranges;

use std::borrow::Cow;
use std::net::IpAddr;

use crate::primitives::json;
use block_table::BlockTable;

/// What the platform knows about the client's network location, lent
/// from the text it was read from (`'t`) where no escape needed undoing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Geo<'t> {
    pub asn: u32,
    pub as_name: Cow<'t, str>,
    pub continent: Cow<'t, str>,
    pub country: Cow<'t, str>,
    pub region: Option<Cow<'t, str>>,
    pub city: Cow<'t, str>,
}

impl<'t> Geo<'t> {
    /// The platform's geolocation record, a JSON object (the fields
    /// Fastly documents for `client.geo`), read for what the service uses.
    /// None if it is not such an object. A continent code other than the
    /// seven is `??`, as the `fastly` crate reports it.
    pub fn from_json(text: &'t str) -> Option<Geo<'t>> {
        let mut geo = Geo::default();
        let (mut asn, mut as_name, mut continent, mut country, mut city) =
            (None, None, None, None, None);
        json::read(text, |r| {
            r.entries(|r, name| {
                match name.as_ref() {
                    "as_number" => asn = Some(r.uint()?),
                    "as_name" => as_name = Some(r.str()?),
                    "continent" => continent = Some(r.str()?),
                    "country_code" => country = Some(r.str()?),
                    "region" => geo.region = if r.null()? { None } else { Some(r.str()?) },
                    "city" => city = Some(r.str()?),
                    _ => r.skip()?,
                }
                Ok(())
            })
        })
        .ok()?;
        geo.asn = asn?;
        geo.as_name = as_name?;
        const CONTINENTS: [&str; 7] = ["AF", "AN", "AS", "EU", "NA", "OC", "SA"];
        let continent = continent?;
        let known = CONTINENTS.into_iter().find(|&code| code == continent);
        geo.continent = Cow::Borrowed(known.unwrap_or("??"));
        geo.country = country?;
        geo.city = city?;
        Some(geo)
    }
}

/// A cloud provider's region, from its published address ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloudRegion {
    /// `aws` or `gcp`.
    pub cloud: &'static str,
    /// The provider's own name: `us-east-1`, `europe-west3`.
    pub region: &'static str,
}

/// The cloud region an address belongs to, if AWS or GCP publish it.
///
/// IPv6 is matched on its top 64 bits (the tables hold nothing finer), and
/// an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as the IPv4 address.
/// Ranges AWS and GCP mark as global are not in the tables: they give
/// `None`.
pub fn cloud_region(ip: IpAddr) -> Option<CloudRegion> {
    let index = match ip {
        IpAddr::V4(v4) => V4.find(u32::from(v4)),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => V4.find(u32::from(v4)),
            None => V6.find((u128::from(v6) >> 64) as u64),
        },
    }?;
    let (cloud, region) = cloud_ranges::REGIONS[usize::from(index)];
    Some(CloudRegion { cloud, region })
}

/// The IPv4 table.
const V4: BlockTable<u32> = BlockTable {
    index: cloud_ranges::V4_INDEX,
    at: cloud_ranges::V4_AT,
    blocks: cloud_ranges::V4_BLOCKS,
};

/// The IPv6 table, by the top 64 bits of an address.
const V6: BlockTable<u64> = BlockTable {
    index: cloud_ranges::V6_INDEX,
    at: cloud_ranges::V6_AT,
    blocks: cloud_ranges::V6_BLOCKS,
};

/// A coarse area of the world that shares shield candidates.
///
/// Coarse on purpose: a shield plan names a few POPs per group, and a group
/// is only worth having when its clients are closer to its own shields
/// than to a neighbour's. docs/locality.md lists what maps to each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RegionGroup {
    NaEast,
    NaCentral,
    NaWest,
    SouthAmerica,
    EuropeWest,
    EuropeCentral,
    EuropeNorth,
    Africa,
    MiddleEast,
    /// North-East Asia: Japan, Korea, China, Hong Kong, Taiwan, Mongolia.
    AsiaNorth,
    AsiaSouthEast,
    /// The Indian subcontinent.
    AsiaSouth,
    Oceania,
}

use RegionGroup::*;

impl RegionGroup {
    pub const ALL: [RegionGroup; 13] = [
        NaEast,
        NaCentral,
        NaWest,
        SouthAmerica,
        EuropeWest,
        EuropeCentral,
        EuropeNorth,
        Africa,
        MiddleEast,
        AsiaNorth,
        AsiaSouthEast,
        AsiaSouth,
        Oceania,
    ];

    /// The kebab-case name used in the shield plan and the log.
    pub fn as_str(self) -> &'static str {
        match self {
            NaEast => "na-east",
            NaCentral => "na-central",
            NaWest => "na-west",
            SouthAmerica => "south-america",
            EuropeWest => "europe-west",
            EuropeCentral => "europe-central",
            EuropeNorth => "europe-north",
            Africa => "africa",
            MiddleEast => "middle-east",
            AsiaNorth => "asia-north",
            AsiaSouthEast => "asia-south-east",
            AsiaSouth => "asia-south",
            Oceania => "oceania",
        }
    }

    /// The group named by [`as_str`](Self::as_str); exact, no aliases.
    pub fn parse(s: &str) -> Option<RegionGroup> {
        RegionGroup::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// The group of a client nothing locates: us-east is where most of the
/// CI that downloads releases runs, and the centre of the largest group.
pub const FALLBACK: RegionGroup = NaEast;

/// Cloud regions whose group is not their area's, checked first.
///
/// AWS `ap-southeast` runs from Singapore to New Zealand, and GCP numbers
/// `europe-west` regions in order of opening, not of longitude.
const REGION_EXCEPTIONS: &[(&str, &str, RegionGroup)] = &[
    ("aws", "ap-southeast-2", Oceania),      // Sydney
    ("aws", "ap-southeast-4", Oceania),      // Melbourne
    ("aws", "ap-southeast-6", Oceania),      // New Zealand
    ("aws", "ca-central-1", NaEast),         // Montreal
    ("aws", "eu-south-1", EuropeCentral),    // Milan
    ("aws", "eu-south-2", EuropeWest),       // Aragón, Spain
    ("gcp", "europe-west3", EuropeCentral),  // Frankfurt
    ("gcp", "europe-west6", EuropeCentral),  // Zürich
    ("gcp", "europe-west8", EuropeCentral),  // Milan
    ("gcp", "europe-west10", EuropeCentral), // Berlin
    ("gcp", "europe-west12", EuropeCentral), // Turin
];

/// Region areas (the name without its number: `us-east-1` and `us-east4`
/// are both `us-east`) and their group, for both clouds.
const AREAS: &[(&str, RegionGroup)] = &[
    // North America. GovCloud follows its coast.
    ("us-east", NaEast),
    ("us-gov-east", NaEast),
    ("northamerica-northeast", NaEast), // GCP Montreal, Toronto
    ("us-central", NaCentral),
    ("us-south", NaCentral),
    ("mx-central", NaCentral),         // AWS Querétaro
    ("northamerica-south", NaCentral), // GCP Querétaro
    ("us-west", NaWest),
    ("us-gov-west", NaWest),
    ("ca-west", NaWest), // AWS Calgary
    // South America.
    ("sa-east", SouthAmerica),
    ("sa-west", SouthAmerica),
    ("southamerica-east", SouthAmerica),
    ("southamerica-west", SouthAmerica),
    // Europe: west and south-west, central (with Italy), north.
    ("eu-west", EuropeWest),
    ("europe-west", EuropeWest),
    ("europe-southwest", EuropeWest), // GCP Madrid
    ("eu-central", EuropeCentral),
    ("europe-central", EuropeCentral),
    ("eusc-de-east", EuropeCentral), // AWS European Sovereign Cloud
    ("eu-north", EuropeNorth),
    ("europe-north", EuropeNorth),
    // Africa and the Middle East (Israel included).
    ("af-south", Africa),
    ("africa-south", Africa),
    ("me-central", MiddleEast),
    ("me-south", MiddleEast),
    ("me-west", MiddleEast),
    ("il-central", MiddleEast),
    // Asia and Oceania.
    ("ap-northeast", AsiaNorth),
    ("ap-east", AsiaNorth), // Hong Kong, Taipei
    ("asia-northeast", AsiaNorth),
    ("asia-east", AsiaNorth), // Taiwan, Hong Kong
    ("cn-north", AsiaNorth),
    ("cn-northwest", AsiaNorth),
    ("ap-southeast", AsiaSouthEast),
    ("asia-southeast", AsiaSouthEast),
    ("ap-south", AsiaSouth),
    ("asia-south", AsiaSouth),
    ("australia-southeast", Oceania),
];

/// The group of a cloud region: an exception if listed, else its area's.
///
/// `None` for a region neither table knows; the tests fail when the data
/// holds such a region, so this only happens between a data refresh and
/// its review.
pub fn group_for_cloud_region(cloud: &str, region: &str) -> Option<RegionGroup> {
    if let Some(&(_, _, group)) = REGION_EXCEPTIONS
        .iter()
        .find(|&&(c, r, _)| c == cloud && r == region)
    {
        return Some(group);
    }
    let area = region
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .trim_end_matches('-');
    AREAS.iter().find(|&&(a, _)| a == area).map(|&(_, g)| g)
}

/// US states (and DC, PR, VI) by time zone: Eastern is east, Central is
/// central, Mountain, Pacific, Alaska and Hawaii are west. A state split
/// between zones goes with most of its people.
const US_STATES: &[(RegionGroup, &[&str])] = &[
    (
        NaEast,
        &[
            "CT", "DC", "DE", "FL", "GA", "IN", "KY", "MA", "MD", "ME", "MI", "NC", "NH", "NJ",
            "NY", "OH", "PA", "PR", "RI", "SC", "VA", "VI", "VT", "WV",
        ],
    ),
    (
        NaCentral,
        &[
            "AL", "AR", "IA", "IL", "KS", "LA", "MN", "MO", "MS", "ND", "NE", "OK", "SD", "TN",
            "TX", "WI",
        ],
    ),
    (
        NaWest,
        &[
            "AK", "AZ", "CA", "CO", "HI", "ID", "MT", "NM", "NV", "OR", "UT", "WA", "WY",
        ],
    ),
];

/// Canadian provinces and territories, the same way (Alberta with the west
/// coast, as AWS ca-west-1 in Calgary is).
const CA_PROVINCES: &[(RegionGroup, &[&str])] = &[
    (NaEast, &["NB", "NL", "NS", "ON", "PE", "QC"]),
    (NaCentral, &["MB", "NU", "SK"]),
    (NaWest, &["AB", "BC", "NT", "YT"]),
];

/// Countries whose group is not their continent's default, or whose
/// continent geo databases disagree on (Turkey, Cyprus, Russia, the
/// Caucasus). Checked before the continent.
const COUNTRIES: &[(RegionGroup, &[&str])] = &[
    (NaCentral, &["MX"]),
    (
        EuropeWest,
        &[
            "AD", "BE", "ES", "FR", "GB", "GG", "GI", "IE", "IM", "JE", "LU", "MC", "NL", "PT",
        ],
    ),
    (
        EuropeNorth,
        &[
            "AX", "DK", "EE", "FI", "FO", "IS", "LT", "LV", "NO", "SE", "SJ",
        ],
    ),
    // Russia and Central Asia reach the world through Frankfurt and
    // Stockholm, not through any Asian group's POPs.
    (EuropeCentral, &["KG", "KZ", "RU", "TJ", "TM", "UZ"]),
    (
        MiddleEast,
        &[
            "AE", "AM", "AZ", "BH", "CY", "GE", "IL", "IQ", "IR", "JO", "KW", "LB", "OM", "PS",
            "QA", "SA", "SY", "TR", "YE",
        ],
    ),
    (AsiaNorth, &["CN", "HK", "JP", "KP", "KR", "MN", "MO", "TW"]),
    (AsiaSouth, &["AF", "BD", "BT", "IN", "LK", "MV", "NP", "PK"]),
    (
        AsiaSouthEast,
        &[
            "BN", "ID", "KH", "LA", "MM", "MY", "PH", "SG", "TH", "TL", "VN",
        ],
    ),
];

/// Each Fastly continent code's group when the country refines nothing.
///
/// Antarctica goes to Oceania: its stations' links land in New Zealand and
/// Australia more than anywhere else.
const CONTINENTS: &[(&str, RegionGroup)] = &[
    ("NA", NaEast),
    ("SA", SouthAmerica),
    ("EU", EuropeCentral),
    ("AF", Africa),
    ("AS", AsiaSouthEast),
    ("OC", Oceania),
    ("AN", Oceania),
];

/// The first group whose list holds `code` (ASCII case ignored).
fn lookup(table: &[(RegionGroup, &[&str])], code: &str) -> Option<RegionGroup> {
    table
        .iter()
        .find(|(_, codes)| codes.iter().any(|c| c.eq_ignore_ascii_case(code)))
        .map(|&(group, _)| group)
}

/// The group of a geo location: Fastly's continent code, ISO 3166-1
/// alpha-2 country and ISO 3166-2 subdivision (`VA`, or `US-VA`).
///
/// The most specific thing known decides: the US state or Canadian
/// province, then the country, then the continent. An unknown continent
/// (`??`, empty) gives [`FALLBACK`].
pub fn group_for_geo(continent: &str, country: &str, region: Option<&str>) -> RegionGroup {
    let subdivision = region.map(|r| r.rsplit('-').next().unwrap_or(r));
    let by_subdivision = match subdivision {
        Some(sub) if country.eq_ignore_ascii_case("US") => lookup(US_STATES, sub),
        Some(sub) if country.eq_ignore_ascii_case("CA") => lookup(CA_PROVINCES, sub),
        _ => None,
    };
    by_subdivision
        .or_else(|| lookup(COUNTRIES, country))
        .or_else(|| {
            CONTINENTS
                .iter()
                .find(|(code, _)| code.eq_ignore_ascii_case(continent))
                .map(|&(_, group)| group)
        })
        .unwrap_or(FALLBACK)
}

/// Microsoft's ASNs: Azure, and with it GitHub Actions' hosted runners.
const AZURE_ASNS: &[u32] = &[8075];

/// Where a client is, and how that was decided (for the log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locality {
    pub group: RegionGroup,
    /// What decided: `aws`, `gcp`, `azure-asn`, `geo` or `none`.
    pub source: &'static str,
    /// `aws`, `gcp` or `azure` when the client is in a cloud.
    pub cloud: Option<&'static str>,
    /// The provider's region (`us-east-1`), or for Azure, which publishes
    /// none we use, the geo location (`us-va`).
    pub cloud_region: Option<String>,
}

/// The client's locality, from its address and the platform's geo data.
///
/// In order: the AWS and GCP tables (a region the group tables do not
/// know takes the geo group); a Microsoft ASN, placed by geo; geo alone;
/// and with neither address nor geo, [`FALLBACK`].
pub fn locate(ip: Option<IpAddr>, geo: Option<&Geo>) -> Locality {
    let geo = geo.filter(|g| !g.continent.is_empty() || !g.country.is_empty());
    let geo_group = geo.map(|g| group_for_geo(&g.continent, &g.country, g.region.as_deref()));
    if let Some(CloudRegion { cloud, region }) = ip.and_then(cloud_region) {
        return Locality {
            group: group_for_cloud_region(cloud, region)
                .or(geo_group)
                .unwrap_or(FALLBACK),
            source: cloud,
            cloud: Some(cloud),
            cloud_region: Some(region.to_owned()),
        };
    }
    match (geo, geo_group) {
        (Some(g), Some(group)) if AZURE_ASNS.contains(&g.asn) => Locality {
            group,
            source: "azure-asn",
            cloud: Some("azure"),
            cloud_region: azure_region(g),
        },
        (Some(_), Some(group)) => Locality {
            group,
            source: "geo",
            cloud: None,
            cloud_region: None,
        },
        _ => Locality {
            group: FALLBACK,
            source: "none",
            cloud: None,
            cloud_region: None,
        },
    }
}

/// `us-va` from country and subdivision, `de` from a country alone.
fn azure_region(geo: &Geo) -> Option<String> {
    let subdivision = geo
        .region
        .as_deref()
        .map(|r| r.rsplit('-').next().unwrap_or(r));
    let region = match subdivision {
        Some(r) if !r.is_empty() && !geo.country.is_empty() => [&geo.country, "-", r].concat(),
        _ if !geo.country.is_empty() => geo.country.to_string(),
        _ => return None,
    };
    Some(region.to_ascii_lowercase())
}

#[cfg(test)]
mod tests;

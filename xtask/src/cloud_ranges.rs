//! `src/locality/cloud_ranges.rs`, the AWS and GCP address tables behind
//! `locality::cloud_region`, from the providers' published range files:
//!
//! - `aws-ip-ranges.json` (<https://ip-ranges.amazonaws.com/ip-ranges.json>)
//! - `gcp-cloud.json` (<https://www.gstatic.com/ipranges/cloud.json>)
//!
//! What it does to the data (docs/locality.md says why):
//! - drops ranges whose region is AWS "GLOBAL" or GCP "global": they say
//!   nothing about where the client is, so those addresses fall through to
//!   the ASN and geo rules;
//! - where prefixes nest (AWS lists regional CloudFront and EC2 blocks
//!   inside larger ones), the most specific prefix names the address;
//! - the same prefix under several services counts once; the same prefix
//!   under two real regions is an error to look at, not to guess;
//! - IPv6 is kept to its top 64 bits (longer prefixes widen to their /64);
//! - adjacent and overlapping ranges of the same region are merged, and
//!   the result written as aligned blocks (CIDR prefixes again): a block is
//!   its first address and one byte of host bits, not a second address;
//! - the blocks are written compactly, in runs of [`RUN`] ([`compact`]):
//!   each block as its host bits, its distance from the end of the block
//!   before it, and its region, with the first address of every run in an
//!   index. Mostly three bytes a block instead of six (IPv4) or ten (IPv6).
//!
//! The tables are const data: a lookup searches the index with
//! `partition_point` and reads one run. Nothing is parsed or allocated at
//! request time, and a lookup touches two or three of the tables' pages
//! (`locality::block_table`).

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, Ipv6Addr};

use serde_json::Value;

use crate::layout::const_array;

/// Regions that are not a place (docs/locality.md says why). The
/// generated file carries them too, as `DROPPED`, for the core's tests.
pub const DROPPED: &[(&str, &str)] = &[("aws", "GLOBAL"), ("gcp", "global")];

/// An address block, first and last address as integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Net {
    V4 { first: u32, last: u32 },
    V6 { first: u128, last: u128 },
}

/// One published prefix: (cloud, region, block).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prefix {
    pub cloud: String,
    pub region: String,
    pub net: Net,
}

/// A range of one table, first to last inclusive, with its index into the
/// region list. IPv4 addresses, or the top 64 bits of IPv6 ones; `u128`
/// so that `last + 1` cannot overflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub first: u128,
    pub last: u128,
    pub region: u16,
}

/// `a.b.c.d/n`, strict: host bits set after the prefix are an error, as a
/// mistyped prefix is more likely than a meant one.
pub fn parse_v4(cidr: &str) -> Result<Net, String> {
    let (addr, len) = split_cidr(cidr, 32)?;
    let addr: Ipv4Addr = addr
        .parse()
        .map_err(|e| format!("{cidr:?} is not an IPv4 prefix: {e}"))?;
    let host = u32::MAX.checked_shr(len).unwrap_or(0);
    let first = u32::from(addr);
    if first & host != 0 {
        return Err(format!("{cidr:?} has host bits set"));
    }
    Ok(Net::V4 {
        first,
        last: first | host,
    })
}

/// `x:y::/n`, strict like [`parse_v4`].
pub fn parse_v6(cidr: &str) -> Result<Net, String> {
    let (addr, len) = split_cidr(cidr, 128)?;
    let addr: Ipv6Addr = addr
        .parse()
        .map_err(|e| format!("{cidr:?} is not an IPv6 prefix: {e}"))?;
    let host = u128::MAX.checked_shr(len).unwrap_or(0);
    let first = u128::from(addr);
    if first & host != 0 {
        return Err(format!("{cidr:?} has host bits set"));
    }
    Ok(Net::V6 {
        first,
        last: first | host,
    })
}

fn split_cidr(cidr: &str, max: u32) -> Result<(&str, u32), String> {
    let (addr, len) = cidr
        .split_once('/')
        .ok_or_else(|| format!("{cidr:?} has no prefix length"))?;
    let len: u32 = len
        .parse()
        .ok()
        .filter(|&l| l <= max)
        .ok_or_else(|| format!("{cidr:?} has a bad prefix length"))?;
    Ok((addr, len))
}

fn field<'a>(p: &'a Value, key: &str) -> Result<&'a str, String> {
    p[key]
        .as_str()
        .ok_or_else(|| format!("prefix without a string {key:?}: {p}"))
}

fn list<'a>(v: &'a Value, key: &str) -> Result<&'a [Value], String> {
    v[key]
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| format!("no {key:?} list"))
}

/// Every published prefix of both files, in file order.
pub fn prefixes(aws: &Value, gcp: &Value) -> Result<Vec<Prefix>, String> {
    let mut out = Vec::new();
    let mut push = |cloud: &str, region: &str, net| {
        out.push(Prefix {
            cloud: cloud.to_owned(),
            region: region.to_owned(),
            net,
        })
    };
    for p in list(aws, "prefixes")? {
        push(
            "aws",
            field(p, "region")?,
            parse_v4(field(p, "ip_prefix")?)?,
        );
    }
    for p in list(aws, "ipv6_prefixes")? {
        push(
            "aws",
            field(p, "region")?,
            parse_v6(field(p, "ipv6_prefix")?)?,
        );
    }
    for p in list(gcp, "prefixes")? {
        let net = if let Some(v4) = p["ipv4Prefix"].as_str() {
            parse_v4(v4)?
        } else if let Some(v6) = p["ipv6Prefix"].as_str() {
            parse_v6(v6)?
        } else {
            return Err(format!("GCP prefix without an address: {p}"));
        };
        push("gcp", field(p, "scope")?, net);
    }
    Ok(out)
}

pub fn is_dropped(p: &Prefix) -> bool {
    DROPPED.contains(&(p.cloud.as_str(), p.region.as_str()))
}

/// The (cloud, region) pairs of `kept`, sorted and unique: the order of
/// `REGIONS`, which the `*_REGION` arrays index.
pub fn regions(kept: &[Prefix]) -> Result<Vec<(String, String)>, String> {
    let set: BTreeSet<(String, String)> = kept
        .iter()
        .map(|p| (p.cloud.clone(), p.region.clone()))
        .collect();
    if set.len() > usize::from(u16::MAX) + 1 {
        return Err("more regions than a u16 index holds".to_owned());
    }
    Ok(set.into_iter().collect())
}

/// The ranges of one address family (`v6` false: IPv4), IPv6 reduced to
/// its top 64 bits, one per distinct range, sorted by first address and,
/// among those starting together, the widest first (so enclosing ranges
/// come before the ones nested in them). The same range under two regions
/// is an error.
pub fn ranges(
    kept: &[Prefix],
    regions: &[(String, String)],
    v6: bool,
) -> Result<Vec<Range>, String> {
    let index: BTreeMap<(&str, &str), u16> = regions
        .iter()
        .enumerate()
        .map(|(i, (c, r))| ((c.as_str(), r.as_str()), i as u16))
        .collect();
    let mut by_range: BTreeMap<(u128, u128), BTreeSet<u16>> = BTreeMap::new();
    for p in kept {
        let (first, last) = match (p.net, v6) {
            (Net::V4 { first, last }, false) => (u128::from(first), u128::from(last)),
            (Net::V6 { first, last }, true) => (first >> 64, last >> 64),
            _ => continue,
        };
        let region = *index
            .get(&(p.cloud.as_str(), p.region.as_str()))
            .ok_or_else(|| format!("{}/{} is not in the region list", p.cloud, p.region))?;
        by_range.entry((first, last)).or_default().insert(region);
    }
    let mut out = Vec::with_capacity(by_range.len());
    for ((first, last), found) in by_range {
        if found.len() > 1 {
            let names: Vec<String> = found
                .iter()
                .map(|&i| {
                    let (c, r) = &regions[usize::from(i)];
                    format!("{c}/{r}")
                })
                .collect();
            return Err(format!(
                "IPv{} range {first:#x}-{last:#x} is in several regions: {names:?}",
                if v6 { 6 } else { 4 }
            ));
        }
        let region = *found.first().expect("a range has a region");
        out.push(Range {
            first,
            last,
            region,
        });
    }
    out.sort_by(|a, b| a.first.cmp(&b.first).then(b.last.cmp(&a.last)));
    Ok(out)
}

/// Sorted, possibly nested ranges (as [`ranges`] gives them) to sorted,
/// disjoint ones: where ranges nest, the innermost names the address, and
/// touching or overlapping pieces of one region are merged. Ranges that
/// overlap without one holding the other are an error.
pub fn flatten(items: &[Range]) -> Result<Vec<Range>, String> {
    let mut out: Vec<Range> = Vec::new();
    let mut emit = |first: u128, last: u128, region: u16| {
        if first > last {
            return;
        }
        match out.last_mut() {
            Some(prev) if prev.region == region && prev.last + 1 >= first => {
                prev.last = prev.last.max(last);
            }
            _ => out.push(Range {
                first,
                last,
                region,
            }),
        }
    };
    // Enclosing ranges, innermost last: (last, region).
    let mut stack: Vec<(u128, u16)> = Vec::new();
    // The first address not yet emitted.
    let mut pos = 0u128;
    for r in items {
        while let Some(&(end, region)) = stack.last().filter(|&&(end, _)| end < r.first) {
            stack.pop();
            emit(pos, end, region);
            pos = end + 1;
        }
        if let Some(&(end, region)) = stack.last() {
            if r.last > end {
                return Err(format!("ranges overlap without nesting at {:#x}", r.first));
            }
            if r.first > pos {
                emit(pos, r.first - 1, region);
            }
        }
        pos = r.first;
        stack.push((r.last, r.region));
    }
    while let Some((end, region)) = stack.pop() {
        emit(pos, end, region);
        pos = end + 1;
    }
    debug_assert!(out.windows(2).all(|w| w[0].last < w[1].first));
    Ok(out)
}

/// An aligned block of one table: `2^host_bits` addresses from `first`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    pub first: u128,
    pub host_bits: u8,
    pub region: u8,
}

/// Disjoint ranges (as [`flatten`] gives them) as the fewest aligned
/// blocks that cover exactly the same addresses, in order. `bits` is the
/// width of the table's addresses (32, or 64 for IPv6's top half).
pub fn blocks(ranges: &[Range], bits: u32) -> Result<Vec<Block>, String> {
    let mut out = Vec::new();
    for r in ranges {
        let region = u8::try_from(r.region)
            .map_err(|_| format!("region index {} does not fit a byte", r.region))?;
        let mut first = r.first;
        while first <= r.last {
            // The widest block aligned at `first` that ends within the range.
            let mut host_bits = if first == 0 {
                bits
            } else {
                first.trailing_zeros().min(bits)
            };
            while first + (1u128 << host_bits) - 1 > r.last {
                host_bits -= 1;
            }
            out.push(Block {
                first,
                host_bits: host_bits as u8,
                region,
            });
            first += 1u128 << host_bits;
        }
    }
    Ok(out)
}

/// Blocks per run: the index holds every `RUN`th first address, and a
/// lookup decodes at most `RUN` blocks (about 25 bytes). Decoding costs
/// about 50 instructions a block: against a binary search over plain
/// arrays, runs of 32 added 3,660 instructions per request of
/// `examples/corpus`, runs of 8 add 670, with an index a fifth of the
/// table (27.6 KB in all, against 22.8 KB with runs of 32).
pub const RUN: usize = 8;

/// A table of blocks as the generated file holds it (see
/// `locality::block_table`, which reads it).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Compact {
    /// The first address of each run's first block.
    pub index: Vec<u128>,
    /// Where each run starts in `bytes`.
    pub at: Vec<u16>,
    /// Per block: its host bits; how many blocks of its size lie between
    /// the end of the block before it (the run's first address for the
    /// first) rounded up to its size and its first address, as an unsigned
    /// LEB128 number; its region.
    pub bytes: Vec<u8>,
}

impl Compact {
    /// Its size in the Wasm, for an address of `width` bytes.
    pub fn size(&self, width: usize) -> usize {
        self.index.len() * width + self.at.len() * 2 + self.bytes.len()
    }
}

/// Sorted, disjoint, aligned blocks (as [`blocks`] gives them) written as
/// runs of [`RUN`].
pub fn compact(blocks: &[Block]) -> Result<Compact, String> {
    let mut out = Compact::default();
    let mut end = 0u128;
    for (i, block) in blocks.iter().enumerate() {
        if i % RUN == 0 {
            out.index.push(block.first);
            let at = u16::try_from(out.bytes.len())
                .map_err(|_| format!("a run starts past byte {}", u16::MAX))?;
            out.at.push(at);
            end = block.first;
        }
        let size = 1u128 << block.host_bits;
        let aligned = end.next_multiple_of(size);
        if block.first < aligned {
            return Err(format!("block {i} overlaps the one before"));
        }
        out.bytes.push(block.host_bits);
        leb128((block.first - aligned) >> block.host_bits, &mut out.bytes);
        out.bytes.push(block.region);
        end = block.first + size;
    }
    Ok(out)
}

/// `n` as unsigned LEB128: seven bits a byte, low first, the high bit set
/// on every byte but the last.
fn leb128(mut n: u128, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push((n & 0x7f) as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// The generated file and a line saying what went into it.
pub struct Generated {
    pub source: String,
    pub summary: String,
}

/// A sync token as the file gives it: AWS and GCP both write a string, a
/// number would do as well.
fn token(v: &Value, key: &str) -> Result<String, String> {
    match &v[key] {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(format!("{key:?} is {other}, not a string")),
    }
}

pub fn generate(aws: &Value, gcp: &Value) -> Result<Generated, String> {
    let entries = prefixes(aws, gcp)?;
    let (dropped, kept): (Vec<Prefix>, Vec<Prefix>) = entries.into_iter().partition(is_dropped);
    let regions = regions(&kept)?;
    let v4_blocks = blocks(&flatten(&ranges(&kept, &regions, false)?)?, 32)?;
    let v6_blocks = blocks(&flatten(&ranges(&kept, &regions, true)?)?, 64)?;
    let (v4, v6) = (compact(&v4_blocks)?, compact(&v6_blocks)?);
    let tokens = (token(aws, "syncToken")?, token(gcp, "syncToken")?);
    let dates = (token(aws, "createDate")?, token(gcp, "creationTime")?);
    let source = render(&regions, &v4, &v6, &tokens, &dates);
    let summary = format!(
        "{} prefixes ({} global, dropped), {} regions, {} IPv4 blocks ({} bytes), \
         {} IPv6 blocks ({} bytes)",
        dropped.len() + kept.len(),
        dropped.len(),
        regions.len(),
        v4_blocks.len(),
        v4.size(4),
        v6_blocks.len(),
        v6.size(8),
    );
    Ok(Generated { source, summary })
}

/// The Rust source: the region list and, per family, a table as
/// [`compact`] writes it, in three arrays.
pub fn render(
    regions: &[(String, String)],
    v4: &Compact,
    v6: &Compact,
    (aws_token, gcp_token): &(String, String),
    (aws_date, gcp_date): &(String, String),
) -> String {
    let mut out = format!(
        "//! Cloud address ranges by region: the tables behind [`super::cloud_region`].
//!
//! Generated by scripts/gen-cloud-ranges from aws-ip-ranges.json (syncToken
//! {aws_token}, {aws_date}) and gcp-cloud.json (syncToken
//! {gcp_token}, {gcp_date}). Do not edit: rerun the script.
//! AWS \"GLOBAL\" and GCP \"global\" ranges are dropped (docs/locality.md).

/// The data files this was generated from, for the staleness test.
#[cfg(test)]
pub const SYNC_TOKENS: (&str, &str) = ({aws_token:?}, {gcp_token:?});

/// The regions dropped from the data, for the tests.
#[cfg(test)]
pub const DROPPED: &[(&str, &str)] = &[{dropped}];

/// (cloud, region), sorted; each block's region is an index into it.
",
        dropped = DROPPED
            .iter()
            .map(|(c, r)| format!("({c:?}, {r:?})"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let names: Vec<String> = regions
        .iter()
        .map(|(c, r)| format!("({c:?}, {r:?})"))
        .collect();
    const_array(&mut out, "REGIONS", "&[(&str, &str)]", &names);
    out.push('\n');
    table(&mut out, "V4", "IPv4 addresses", "u32", 8, v4);
    out.push('\n');
    table(
        &mut out,
        "V6",
        "the top 64 bits of IPv6 addresses",
        "u64",
        16,
        v6,
    );
    out
}

/// One family's table: the index, the runs' starts and the blocks (see
/// [`Compact`]).
fn table(out: &mut String, name: &str, what: &str, kind: &str, width: usize, table: &Compact) {
    let hex = |v: &u128| format!("0x{v:0width$x}");
    out.push_str(&format!(
        "/// Aligned blocks of {what}, sorted and disjoint, in runs of {RUN}\n\
         /// (`super::block_table`): the first address of each run.\n"
    ));
    let index: Vec<String> = table.index.iter().map(hex).collect();
    const_array(out, &format!("{name}_INDEX"), &format!("&[{kind}]"), &index);
    out.push_str(&format!(
        "\n/// Where each run starts in `{name}_BLOCKS`.\n"
    ));
    let at: Vec<String> = table.at.iter().map(u16::to_string).collect();
    const_array(out, &format!("{name}_AT"), "&[u16]", &at);
    out.push_str(
        "\n/// Each block: its host bits, its distance from the block before (LEB128),\n\
         /// its index into `REGIONS`.\n",
    );
    let bytes: Vec<String> = table.bytes.iter().map(u8::to_string).collect();
    const_array(out, &format!("{name}_BLOCKS"), "&[u8]", &bytes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn range(first: u128, last: u128, region: u16) -> Range {
        Range {
            first,
            last,
            region,
        }
    }

    fn v4(cidr: &str) -> (u128, u128) {
        match parse_v4(cidr).unwrap() {
            Net::V4 { first, last } => (first.into(), last.into()),
            Net::V6 { .. } => unreachable!(),
        }
    }

    #[test]
    fn cidr_parsing_is_strict() {
        assert_eq!(v4("10.0.0.0/8"), (0x0a00_0000, 0x0aff_ffff));
        assert_eq!(v4("1.2.3.4/32"), (0x0102_0304, 0x0102_0304));
        assert_eq!(v4("0.0.0.0/0"), (0, 0xffff_ffff));
        assert_eq!(
            parse_v6("2600:1900::/28").unwrap(),
            Net::V6 {
                first: 0x2600_1900 << 96,
                last: (0x2600_190f << 96) | (u128::MAX >> 32),
            }
        );
        assert_eq!(
            parse_v6("::/0").unwrap(),
            Net::V6 {
                first: 0,
                last: u128::MAX
            }
        );
        for bad in [
            "10.0.0.1/8",
            "10.0.0.0",
            "10.0.0.0/33",
            "10.0.0/8",
            "10.0.0.0/x",
            "2600::1/64",
        ] {
            assert!(parse_v4(bad).is_err() || bad.contains(':'), "{bad}");
            assert!(parse_v6(bad).is_err(), "{bad}");
        }
    }

    fn prefix(cloud: &str, region: &str, cidr: &str) -> Prefix {
        let net = if cidr.contains(':') {
            parse_v6(cidr)
        } else {
            parse_v4(cidr)
        };
        Prefix {
            cloud: cloud.to_owned(),
            region: region.to_owned(),
            net: net.unwrap(),
        }
    }

    #[test]
    fn global_regions_are_dropped_and_nothing_else() {
        assert!(is_dropped(&prefix("aws", "GLOBAL", "1.0.0.0/8")));
        assert!(is_dropped(&prefix("gcp", "global", "1.0.0.0/8")));
        // Each cloud's spelling only.
        assert!(!is_dropped(&prefix("aws", "global", "1.0.0.0/8")));
        assert!(!is_dropped(&prefix("gcp", "GLOBAL", "1.0.0.0/8")));
        assert!(!is_dropped(&prefix("aws", "us-east-1", "1.0.0.0/8")));
    }

    #[test]
    fn a_regional_block_inside_a_global_one_keeps_its_region() {
        let aws = json!({
            "syncToken": "1", "createDate": "d",
            "prefixes": [
                {"ip_prefix": "10.0.0.0/8", "region": "GLOBAL"},
                {"ip_prefix": "10.1.0.0/16", "region": "us-east-1"},
            ],
            "ipv6_prefixes": [],
        });
        let gcp = json!({"syncToken": "2", "creationTime": "t", "prefixes": [
            {"ipv4Prefix": "34.0.0.0/16", "scope": "global"},
        ]});
        let generated = generate(&aws, &gcp).unwrap();
        assert!(generated
            .source
            .contains("REGIONS: &[(&str, &str)] = &[(\"aws\", \"us-east-1\")];"));
        // Named only in the list of what was dropped.
        assert_eq!(generated.source.matches("GLOBAL\")").count(), 1);
        assert!(generated
            .source
            .contains(r#"DROPPED: &[(&str, &str)] = &[("aws", "GLOBAL"), ("gcp", "global")];"#));
        assert!(generated
            .source
            .contains("V4_INDEX: &[u32] = &[0x0a010000];"));
        assert!(generated.source.contains("V4_BLOCKS: &[u8] = &[16, 0, 0];"));
        assert!(generated.source.contains("V6_INDEX: &[u64] = &[];"));
        assert_eq!(
            generated.summary,
            "3 prefixes (2 global, dropped), 1 regions, 1 IPv4 blocks (9 bytes), \
             0 IPv6 blocks (0 bytes)"
        );
    }

    fn names(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|&(c, r)| (c.to_owned(), r.to_owned()))
            .collect()
    }

    #[test]
    fn regions_are_sorted_and_unique() {
        let kept = [
            prefix("gcp", "us-east1", "1.0.0.0/24"),
            prefix("aws", "us-east-1", "2.0.0.0/24"),
            prefix("aws", "eu-west-1", "3.0.0.0/24"),
            prefix("aws", "us-east-1", "4.0.0.0/24"),
        ];
        assert_eq!(
            regions(&kept).unwrap(),
            names(&[
                ("aws", "eu-west-1"),
                ("aws", "us-east-1"),
                ("gcp", "us-east1")
            ])
        );
    }

    #[test]
    fn the_same_prefix_under_several_services_counts_once() {
        let kept = [
            prefix("aws", "us-east-1", "10.0.0.0/24"),
            prefix("aws", "us-east-1", "10.0.0.0/24"),
        ];
        let regions = regions(&kept).unwrap();
        assert_eq!(
            ranges(&kept, &regions, false).unwrap(),
            [range(0x0a00_0000, 0x0a00_00ff, 0)]
        );
    }

    #[test]
    fn the_same_prefix_under_two_regions_is_an_error() {
        let kept = [
            prefix("aws", "us-east-1", "10.0.0.0/24"),
            prefix("gcp", "us-east1", "10.0.0.0/24"),
        ];
        let regions = regions(&kept).unwrap();
        let error = ranges(&kept, &regions, false).unwrap_err();
        assert!(error.contains("several regions"), "{error}");
        assert!(error.contains("aws/us-east-1") && error.contains("gcp/us-east1"));
    }

    #[test]
    fn ipv6_keeps_the_top_64_bits() {
        let kept = [
            prefix("aws", "a", "2600:1f00::/40"),
            // A /128 widens to its /64, which it then fills.
            prefix("aws", "b", "2600:1f00:1:2::7/128"),
            prefix("aws", "a", "10.0.0.0/8"),
        ];
        let regions = regions(&kept).unwrap();
        assert_eq!(
            ranges(&kept, &regions, true).unwrap(),
            [
                range(0x2600_1f00_0000_0000, 0x2600_1f00_00ff_ffff, 0),
                range(0x2600_1f00_0001_0002, 0x2600_1f00_0001_0002, 1),
            ]
        );
        // And IPv4 stays in its own table.
        assert_eq!(
            ranges(&kept, &regions, false).unwrap(),
            [range(0x0a00_0000, 0x0aff_ffff, 0)]
        );
    }

    #[test]
    fn two_slash_128s_in_one_slash_64_under_two_regions_is_an_error() {
        let kept = [
            prefix("aws", "a", "2600::1/128"),
            prefix("aws", "b", "2600::2/128"),
        ];
        let regions = regions(&kept).unwrap();
        assert!(ranges(&kept, &regions, true).is_err());
    }

    #[test]
    fn ranges_sort_enclosing_before_nested() {
        let kept = [
            prefix("aws", "a", "10.0.0.0/24"),
            prefix("aws", "b", "10.0.0.0/16"),
            prefix("aws", "a", "9.0.0.0/8"),
        ];
        let regions = regions(&kept).unwrap();
        assert_eq!(
            ranges(&kept, &regions, false).unwrap(),
            [
                range(0x0900_0000, 0x09ff_ffff, 0),
                range(0x0a00_0000, 0x0a00_ffff, 1),
                range(0x0a00_0000, 0x0a00_00ff, 0),
            ]
        );
    }

    #[test]
    fn the_most_specific_range_names_the_address() {
        // 0-99 region 0, with 10-19 region 1 and, inside it, 12-13 region 2.
        let items = [range(0, 99, 0), range(10, 19, 1), range(12, 13, 2)];
        assert_eq!(
            flatten(&items).unwrap(),
            [
                range(0, 9, 0),
                range(10, 11, 1),
                range(12, 13, 2),
                range(14, 19, 1),
                range(20, 99, 0),
            ]
        );
    }

    #[test]
    fn a_nested_range_at_either_end_leaves_no_empty_piece() {
        let items = [range(0, 99, 0), range(0, 9, 1), range(90, 99, 2)];
        assert_eq!(
            flatten(&items).unwrap(),
            [range(0, 9, 1), range(10, 89, 0), range(90, 99, 2)]
        );
    }

    #[test]
    fn touching_and_nested_ranges_of_one_region_merge() {
        let items = [
            range(0, 9, 0),
            range(10, 19, 0),
            // A gap: not merged.
            range(30, 39, 0),
            range(40, 99, 1),
            // Nested in the same region: absorbed.
            range(50, 59, 1),
            range(100, 109, 1),
        ];
        assert_eq!(
            flatten(&items).unwrap(),
            [range(0, 19, 0), range(30, 39, 0), range(40, 109, 1)]
        );
    }

    #[test]
    fn ranges_overlapping_without_nesting_are_an_error() {
        let items = [range(0, 19, 0), range(10, 29, 1)];
        let error = flatten(&items).unwrap_err();
        assert!(error.contains("overlap without nesting at 0xa"), "{error}");
    }

    #[test]
    fn the_top_of_the_address_space_does_not_overflow() {
        let top = u128::from(u64::MAX);
        let items = [range(0, top, 0), range(top, top, 1)];
        assert_eq!(
            flatten(&items).unwrap(),
            [range(0, top - 1, 0), range(top, top, 1)]
        );
    }

    fn block(first: u128, host_bits: u8, region: u8) -> Block {
        Block {
            first,
            host_bits,
            region,
        }
    }

    #[test]
    fn ranges_become_the_fewest_aligned_blocks() {
        let (a, _) = v4("10.0.0.0/24");
        let cases = [
            // One whole /23.
            (range(a, a + 511, 0), vec![block(a, 9, 0)]),
            // A /23 and a /24: 10.0.0.0-10.0.2.255.
            (
                range(a, a + 767, 1),
                vec![block(a, 9, 1), block(a + 512, 8, 1)],
            ),
            // Unaligned at both ends: .1, .2/31, .4/30, then .8 alone.
            (
                range(a + 1, a + 8, 2),
                vec![
                    block(a + 1, 0, 2),
                    block(a + 2, 1, 2),
                    block(a + 4, 2, 2),
                    block(a + 8, 0, 2),
                ],
            ),
        ];
        for (r, expected) in cases {
            let got = blocks(&[r], 32).unwrap();
            assert_eq!(got, expected, "{r:?}");
            // Exactly the same addresses, nothing more.
            let covered: u128 = got.iter().map(|b| 1u128 << b.host_bits).sum();
            assert_eq!(covered, r.last - r.first + 1);
        }
        // The whole space, and its top end.
        assert_eq!(
            blocks(&[range(0, u128::from(u32::MAX), 3)], 32).unwrap(),
            [block(0, 32, 3)]
        );
        let top = u128::from(u64::MAX);
        assert_eq!(
            blocks(&[range(top, top, 4)], 64).unwrap(),
            [block(top, 0, 4)]
        );
        assert!(
            blocks(&[range(0, 1, 256)], 32).is_err(),
            "a region index past a byte"
        );
    }

    /// Blocks are written in runs of `RUN`, each run's first address in
    /// the index; the distance from the block before counts blocks of the
    /// block's own size, from the end of the one before rounded up to it.
    #[test]
    fn blocks_are_written_in_runs() {
        // RUN + 1 adjacent /24s, then a /16 one /16 past the next /16
        // boundary.
        let mut rows: Vec<Block> = (0..=RUN as u128)
            .map(|i| block(0x0a00_0000 + (i << 8), 8, 0))
            .collect();
        rows.push(block(0x0a02_0000, 16, 1));
        let table = compact(&rows).unwrap();
        assert_eq!(
            table.index,
            [0x0a00_0000, 0x0a00_0000 + ((RUN as u128) << 8)]
        );
        assert_eq!(table.at, [0, 3 * RUN as u16]);
        // Run 2: the last /24 (distance 0 from its run's start), then the
        // /16: the /24s end below 0x0a010000, the next /16 boundary, and
        // one /16 further is 0x0a020000.
        assert_eq!(table.bytes[3 * RUN..], [8, 0, 0, 16, 1, 1]);
        assert_eq!(table.size(4), 2 * 4 + 2 * 2 + (RUN + 1) * 3 + 3);
        // A distance of 2^64 - 1 single addresses takes ten LEB128 bytes.
        let far = compact(&[block(0, 0, 0), block(1 << 64, 0, 0)]).unwrap();
        assert_eq!(
            far.bytes[3..],
            [0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 0]
        );
        assert!(
            compact(&[block(0x0a00_0000, 16, 0), block(0x0a00_8000, 8, 0)]).is_err(),
            "overlapping blocks"
        );
    }

    #[test]
    fn the_whole_pipeline_on_a_small_input() {
        let aws = json!({
            "syncToken": "123", "createDate": "2026-01-01-00-00-00",
            "prefixes": [
                {"ip_prefix": "10.0.0.0/24", "region": "us-east-1", "service": "AMAZON"},
                {"ip_prefix": "10.0.0.0/24", "region": "us-east-1", "service": "EC2"},
                {"ip_prefix": "10.0.1.0/24", "region": "us-east-1", "service": "EC2"},
            ],
            "ipv6_prefixes": [
                {"ipv6_prefix": "2600:1f18::/36", "region": "us-east-1"},
            ],
        });
        let gcp = json!({
            "syncToken": "456", "creationTime": "2026-01-01T00:00:00",
            "prefixes": [{"ipv4Prefix": "34.0.0.0/15", "scope": "us-east1"}],
        });
        let source = generate(&aws, &gcp).unwrap().source;
        assert_eq!(
            source,
            r#"//! Cloud address ranges by region: the tables behind [`super::cloud_region`].
//!
//! Generated by scripts/gen-cloud-ranges from aws-ip-ranges.json (syncToken
//! 123, 2026-01-01-00-00-00) and gcp-cloud.json (syncToken
//! 456, 2026-01-01T00:00:00). Do not edit: rerun the script.
//! AWS "GLOBAL" and GCP "global" ranges are dropped (docs/locality.md).

/// The data files this was generated from, for the staleness test.
#[cfg(test)]
pub const SYNC_TOKENS: (&str, &str) = ("123", "456");

/// The regions dropped from the data, for the tests.
#[cfg(test)]
pub const DROPPED: &[(&str, &str)] = &[("aws", "GLOBAL"), ("gcp", "global")];

/// (cloud, region), sorted; each block's region is an index into it.
pub const REGIONS: &[(&str, &str)] = &[("aws", "us-east-1"), ("gcp", "us-east1")];

/// Aligned blocks of IPv4 addresses, sorted and disjoint, in runs of 8
/// (`super::block_table`): the first address of each run.
pub const V4_INDEX: &[u32] = &[0x0a000000];

/// Where each run starts in `V4_BLOCKS`.
pub const V4_AT: &[u16] = &[0];

/// Each block: its host bits, its distance from the block before (LEB128),
/// its index into `REGIONS`.
pub const V4_BLOCKS: &[u8] = &[9, 0, 0, 17, 255, 23, 1];

/// Aligned blocks of the top 64 bits of IPv6 addresses, sorted and disjoint, in runs of 8
/// (`super::block_table`): the first address of each run.
pub const V6_INDEX: &[u64] = &[0x26001f1800000000];

/// Where each run starts in `V6_BLOCKS`.
pub const V6_AT: &[u16] = &[0];

/// Each block: its host bits, its distance from the block before (LEB128),
/// its index into `REGIONS`.
pub const V6_BLOCKS: &[u8] = &[28, 0, 0];
"#
        );
    }

    #[test]
    fn a_gcp_prefix_without_an_address_is_an_error() {
        let aws = json!({"syncToken": "1", "createDate": "d", "prefixes": [], "ipv6_prefixes": []});
        let gcp = json!({"syncToken": "2", "creationTime": "t", "prefixes": [{"scope": "x"}]});
        assert!(generate(&aws, &gcp)
            .err()
            .unwrap()
            .contains("without an address"));
    }
}

//! Release version ranges in shield plan rules: `<1.28`, `>=1.31`,
//! `>=1.28, <1.31`, `1.31` (every 1.31.x), `=1.30.4` or `1.30.4` (exact).

use std::fmt;

use crate::artifact::version::Version;

/// One comparison against a version prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    /// Equal on the parts given: `1.31` matches every 1.31.x.
    Eq,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Comparator {
    op: Op,
    /// Missing parts are 0 for ordering; for `Eq` only the given parts count.
    parts: [u64; 3],
    given: usize,
}

/// All comparators must hold. Pre-releases and builds compare by their
/// numbers alone: `v1.32.0-rc.1` is in `>=1.32`, which is where its
/// traffic belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRange {
    text: String,
    comparators: Vec<Comparator>,
}

/// Why a version range was refused: the range, and what is wrong in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeError {
    pub range: String,
    pub reason: RangeReason,
}

/// What is wrong in one comparator of a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeReason {
    EmptyComparator,
    MoreThanThreeNumbers(String),
    NotAVersion(String),
    TooLarge(String),
}

impl fmt::Display for RangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "version range {:?}: ", self.range)?;
        match &self.reason {
            RangeReason::EmptyComparator => f.write_str("empty comparator"),
            RangeReason::MoreThanThreeNumbers(c) => write!(f, "{c:?} has more than three numbers"),
            RangeReason::NotAVersion(c) => {
                write!(f, "{c:?} is not a version such as 1.31 or 1.31.2")
            }
            RangeReason::TooLarge(c) => write!(f, "{c:?} is too large"),
        }
    }
}

impl VersionRange {
    pub fn parse(text: &str) -> Result<VersionRange, RangeError> {
        let comparators = text
            .split(',')
            .map(|c| parse_comparator(c.trim()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|reason| RangeError {
                range: text.to_owned(),
                reason,
            })?;
        Ok(VersionRange {
            text: text.to_owned(),
            comparators,
        })
    }

    pub fn contains(&self, version: &Version) -> bool {
        let v = [version.major, version.minor, version.patch];
        self.comparators.iter().all(|c| match c.op {
            Op::Lt => v < c.parts,
            Op::Le => v <= c.parts,
            Op::Gt => v > c.parts,
            Op::Ge => v >= c.parts,
            Op::Eq => v[..c.given] == c.parts[..c.given],
        })
    }
}

/// A version as the ranges order it: (major, minor, patch).
type Point = [u64; 3];

/// The versions a range holds, as one interval: from `lo` (inclusive)
/// to `hi` (exclusive), `None` where unbounded. Every comparator is an
/// interval, and so is their intersection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Interval {
    lo: Point,
    hi: Option<Point>,
}

/// The next point after `p`, if there is one.
fn after(p: Point) -> Option<Point> {
    let patch = p[2].checked_add(1)?;
    Some([p[0], p[1], patch])
}

impl Comparator {
    fn interval(&self) -> Interval {
        let p = self.parts;
        let (lo, hi) = match self.op {
            Op::Lt => ([0; 3], Some(p)),
            Op::Le => ([0; 3], after(p)),
            Op::Gt => match after(p) {
                Some(lo) => (lo, None),
                None => (p, Some(p)),
            },
            Op::Ge => (p, None),
            Op::Eq => {
                let mut hi = p;
                let last = self.given - 1;
                let bumped = hi[last].checked_add(1);
                let hi = bumped.map(|n| {
                    hi[last] = n;
                    hi
                });
                (p, hi)
            }
        };
        Interval { lo, hi }
    }
}

impl VersionRange {
    fn interval(&self) -> Interval {
        self.comparators.iter().fold(
            Interval {
                lo: [0; 3],
                hi: None,
            },
            |acc, c| {
                let i = c.interval();
                Interval {
                    lo: acc.lo.max(i.lo),
                    hi: match (acc.hi, i.hi) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    },
                }
            },
        )
    }

    /// Whether no version is in the range (`>=1.30, <1.29`).
    pub fn is_empty(&self) -> bool {
        let i = self.interval();
        i.hi.is_some_and(|hi| i.lo >= hi)
    }

    /// Whether every version in `other` is in this range too.
    pub fn covers(&self, other: &VersionRange) -> bool {
        if other.is_empty() {
            return true;
        }
        let (a, b) = (self.interval(), other.interval());
        a.lo <= b.lo
            && match (a.hi, b.hi) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(x), Some(y)) => y <= x,
            }
    }
}

impl fmt::Display for VersionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn parse_comparator(text: &str) -> Result<Comparator, RangeReason> {
    let (op, rest) = [
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("<", Op::Lt),
        (">", Op::Gt),
        ("=", Op::Eq),
    ]
    .iter()
    .find_map(|(prefix, op)| text.strip_prefix(prefix).map(|rest| (*op, rest)))
    .unwrap_or((Op::Eq, text));
    let rest = rest.trim();
    let rest = rest.strip_prefix('v').unwrap_or(rest);
    if rest.is_empty() {
        return Err(RangeReason::EmptyComparator);
    }
    let mut parts = [0u64; 3];
    let mut given = 0;
    for piece in rest.split('.') {
        if given == 3 {
            return Err(RangeReason::MoreThanThreeNumbers(text.to_owned()));
        }
        if piece.is_empty() || !piece.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RangeReason::NotAVersion(text.to_owned()));
        }
        parts[given] = piece
            .parse()
            .map_err(|_| RangeReason::TooLarge(text.to_owned()))?;
        given += 1;
    }
    Ok(Comparator { op, parts, given })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn ranges_contain_what_they_say() {
        let table = [
            ("<1.28", "v1.27.9", true),
            ("<1.28", "v1.28.0", false),
            (">=1.31", "v1.31.0", true),
            (">=1.31", "v1.30.99", false),
            (">=1.28, <1.31", "v1.29.8", true),
            (">=1.28, <1.31", "v1.31.0", false),
            ("1.31", "v1.31.7", true),
            ("1.31", "v1.32.0", false),
            ("=1.30.4", "v1.30.4", true),
            ("1.30.4", "v1.30.5", false),
            ("v1.30.4", "v1.30.4", true),
            (">=1.32", "v1.32.0-rc.1", true),
            ("<=1.29.8", "v1.29.8", true),
            (">1.29.8", "v1.29.8", false),
            (">=1", "v1234.5678.9012-rc.3456", true),
        ];
        for (range, version, expected) in table {
            let r = VersionRange::parse(range).unwrap();
            assert_eq!(r.contains(&v(version)), expected, "{range} {version}");
        }
    }

    #[test]
    fn empty_ranges_and_covering_ranges() {
        let r = |s: &str| VersionRange::parse(s).unwrap();
        for empty in [">=1.30, <1.29", "1.29, 1.30", ">1.29.8, <=1.29.8", "<0"] {
            assert!(r(empty).is_empty(), "{empty}");
        }
        for some in ["1.29", ">=1.28, <1.31", "<=0", ">99"] {
            assert!(!r(some).is_empty(), "{some}");
        }
        for (wide, narrow) in [
            ("<1.30", "<1.28"),
            ("<1.30", "1.29"),
            (">=1.28", ">=1.31, <1.33"),
            ("1.29", "1.29.8"),
            ("<=1.29.8", "1.29.8"),
            (">1.29", ">=1.29.1"),
            ("1", "1.31"),
            ("<1.28", ">=1.30, <1.29"),
        ] {
            assert!(r(wide).covers(&r(narrow)), "{wide} covers {narrow}");
        }
        for (a, b) in [
            ("<1.28", "<1.30"),
            ("1.29", "1.30"),
            (">=1.31", "<1.31"),
            ("1.29.8", "1.29"),
            (">=1.28, <1.31", ">=1.30"),
        ] {
            assert!(!r(a).covers(&r(b)), "{a} does not cover {b}");
        }
        // The interval agrees with `contains` on a grid of versions.
        for range in [
            "<1.28",
            "<=1.29",
            ">1.29.8",
            "1.30",
            ">=1.28, <1.31",
            "=1.30.4",
        ] {
            for major in 0..3 {
                for minor in [0, 1, 27, 28, 29, 30, 31, 99] {
                    for patch in [0, 1, 3, 4, 5, 8, 9] {
                        let v = v(&format!("v{major}.{minor}.{patch}"));
                        let whole = r(range);
                        let point = r(&format!("={major}.{minor}.{patch}"));
                        assert_eq!(whole.covers(&point), whole.contains(&v), "{range} {v}");
                    }
                }
            }
        }
    }

    #[test]
    fn bad_ranges_say_why() {
        use RangeReason::*;
        let c = |s: &str| s.to_owned();
        for (bad, reason) in [
            ("", EmptyComparator),
            ("<", EmptyComparator),
            (">=1.x", NotAVersion(c(">=1.x"))),
            ("1.2.3.4", MoreThanThreeNumbers(c("1.2.3.4"))),
            ("~1.2", NotAVersion(c("~1.2"))),
            ("<1..2", NotAVersion(c("<1..2"))),
            (">=1.28,", EmptyComparator),
            ("99999999999999999999", TooLarge(c("99999999999999999999"))),
        ] {
            assert_eq!(
                VersionRange::parse(bad),
                Err(RangeError {
                    range: bad.to_owned(),
                    reason
                }),
                "{bad:?}"
            );
        }
    }
}

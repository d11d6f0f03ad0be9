//! The `overrides` key: emergency overrides ("break glass") that force a
//! route to a bucket, bypass shielding, or cap TTLs, each with a mandatory
//! expiry, after which it is ignored on its own. An override nobody
//! remembers to remove is how a CDN ends up serving from the wrong bucket
//! for a year, so there is no override without an expiry.
//!
//! This module only reads the entries; `policy::overrides` applies the
//! ones in force.

use crate::config::names::{is_bucket_name, is_route_prefix};
use std::borrow::Cow;

use crate::primitives::json::{self, Reader};
use crate::primitives::utc::parse_utc;

/// What an override does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Serve paths under `prefix` from `bucket` only (no migration, no
    /// fallback).
    ForceBucket { prefix: String, bucket: String },
    /// Send every request straight to the origin.
    NoShield,
    /// Cap every edge TTL and client max-age at `seconds`.
    MaxTtl { seconds: u32 },
}

/// One entry of the `overrides` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub name: String,
    pub action: Action,
    /// Seconds since 1970; the override is ignored from then on.
    pub expires: i64,
}

/// An entry as written, read in place: a flat shape rather than one per
/// kind, so a known kind with the wrong fields can be named as such.
#[derive(Default)]
struct RawOverride<'a> {
    name: Cow<'a, str>,
    kind: Cow<'a, str>,
    expires: Option<Cow<'a, str>>,
    prefix: Option<Cow<'a, str>>,
    bucket: Option<Cow<'a, str>>,
    seconds: Option<u32>,
}

impl<'a> RawOverride<'a> {
    const FIELDS: &'static [&'static str] =
        &["name", "kind", "expires", "prefix", "bucket", "seconds"];

    fn read(r: &mut Reader<'a>) -> Result<RawOverride<'a>, json::Error> {
        let (mut name, mut kind) = (None, None);
        let mut raw = RawOverride::default();
        r.fields(Self::FIELDS, |r, field| {
            match field {
                "name" => name = Some(r.str()?),
                "kind" => kind = Some(r.str()?),
                "expires" => raw.expires = Some(r.str()?),
                "prefix" => raw.prefix = Some(r.str()?),
                "bucket" => raw.bucket = Some(r.str()?),
                "seconds" => raw.seconds = Some(r.uint()?),
                _ => r.skip()?,
            }
            Ok(())
        })?;
        raw.name = json::required(name, "name")?;
        raw.kind = json::required(kind, "kind")?;
        Ok(raw)
    }
}

/// Why one override entry was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverrideError {
    MissingExpiry,
    BadExpiry(String),
    /// A known kind without what it takes (`kind`, what it takes).
    WrongFields {
        kind: String,
        takes: &'static str,
    },
    UnknownKind(String),
    /// A `force_bucket` prefix that routes would refuse.
    RoutePrefix(String),
    /// A `force_bucket` bucket that routes would refuse.
    NotBucket(String),
}

impl std::fmt::Display for OverrideError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use OverrideError::*;
        match self {
            MissingExpiry => f.write_str("an expiry (\"expires\") is required"),
            BadExpiry(v) => write!(f, "expires {v:?} is not a time like 2026-11-22T18:00:00Z"),
            WrongFields { kind, takes } => write!(f, "kind {kind} takes {takes}"),
            UnknownKind(kind) => {
                write!(
                    f,
                    "unknown kind {kind:?}: use force_bucket, no_shield or max_ttl"
                )
            }
            RoutePrefix(p) => write!(f, "prefix {p:?} must start and end with /"),
            NotBucket(b) => write!(f, "{b:?} is not a GCS bucket name"),
        }
    }
}

/// An entry that was refused: its name and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub name: String,
    pub error: OverrideError,
}

/// Parses the `overrides` key. An entry without a valid expiry, of an
/// unknown kind, or missing what its kind needs is refused and reported;
/// the others stand. A value that is not a list of entries is the
/// reader's error.
pub fn parse(value: &str) -> Result<(Vec<Override>, Vec<Refused>), json::Error> {
    let raw = json::read(value, |r| r.list_of(RawOverride::read))?;
    let mut overrides = Vec::new();
    let mut refused = Vec::new();
    for r in raw {
        match entry(&r) {
            Ok(o) => overrides.push(o),
            Err(error) => refused.push(Refused {
                name: r.name.to_string(),
                error,
            }),
        }
    }
    Ok((overrides, refused))
}

fn entry(r: &RawOverride<'_>) -> Result<Override, OverrideError> {
    use OverrideError::*;
    let expires = r.expires.as_deref().ok_or(MissingExpiry)?;
    let expires = parse_utc(expires).ok_or_else(|| BadExpiry(expires.to_owned()))?;
    let action = match (
        &*r.kind,
        r.prefix.as_deref(),
        r.bucket.as_deref(),
        r.seconds,
    ) {
        ("force_bucket", Some(prefix), Some(bucket), None) => {
            if !is_route_prefix(prefix) {
                return Err(RoutePrefix(prefix.to_owned()));
            }
            if !is_bucket_name(bucket) {
                return Err(NotBucket(bucket.to_owned()));
            }
            Action::ForceBucket {
                prefix: prefix.to_owned(),
                bucket: bucket.to_owned(),
            }
        }
        ("no_shield", None, None, None) => Action::NoShield,
        ("max_ttl", None, None, Some(seconds)) => Action::MaxTtl { seconds },
        (kind @ ("force_bucket" | "no_shield" | "max_ttl"), ..) => {
            return Err(WrongFields {
                kind: kind.to_owned(),
                takes: match kind {
                    "force_bucket" => "prefix and bucket",
                    "max_ttl" => "seconds",
                    _ => "nothing more",
                },
            })
        }
        (kind, ..) => return Err(UnknownKind(kind.to_owned())),
    };
    Ok(Override {
        name: r.name.to_string(),
        action,
        expires,
    })
}

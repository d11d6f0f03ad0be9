//! The `overrides` key: emergency overrides ("break glass") that force a
//! route to a bucket, bypass shielding, or cap TTLs, each with a mandatory
//! expiry, after which it is ignored on its own. An override nobody
//! remembers to remove is how a CDN ends up serving from the wrong bucket
//! for a year, so there is no override without an expiry.
//!
//! This module only reads the entries; `policy::overrides` applies the
//! ones in force.

use serde::Deserialize;

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

/// The JSON form of an entry. A flat struct rather than a tagged enum:
/// serde's machinery for those costs tens of KB of Wasm, paid on every
/// request's instantiation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverride {
    name: String,
    kind: String,
    expires: Option<String>,
    prefix: Option<String>,
    bucket: Option<String>,
    seconds: Option<u32>,
}

/// An entry that was refused: its name and why.
pub type Refused = (String, String);

/// Parses the `overrides` key. An entry without a valid expiry, of an
/// unknown kind, or missing what its kind needs is refused and reported;
/// the others stand.
pub fn parse(value: &str) -> Result<(Vec<Override>, Vec<Refused>), String> {
    let raw: Vec<RawOverride> =
        serde_json::from_str(value).map_err(|e| format!("not a list of overrides: {e}"))?;
    let mut overrides = Vec::new();
    let mut refused = Vec::new();
    for r in raw {
        match entry(&r) {
            Ok(o) => overrides.push(o),
            Err(why) => refused.push((
                r.name.clone(),
                format!("override {}: {why}; the override is refused", r.name),
            )),
        }
    }
    Ok((overrides, refused))
}

fn entry(r: &RawOverride) -> Result<Override, String> {
    let expires = r
        .expires
        .as_deref()
        .ok_or("an expiry (\"expires\") is required")?;
    let expires = parse_utc(expires)
        .ok_or_else(|| format!("expires {expires:?} is not a time like 2026-11-22T18:00:00Z"))?;
    let action = match (r.kind.as_str(), &r.prefix, &r.bucket, r.seconds) {
        ("force_bucket", Some(prefix), Some(bucket), None) => Action::ForceBucket {
            prefix: prefix.clone(),
            bucket: bucket.clone(),
        },
        ("no_shield", None, None, None) => Action::NoShield,
        ("max_ttl", None, None, Some(seconds)) => Action::MaxTtl { seconds },
        ("force_bucket" | "no_shield" | "max_ttl", ..) => {
            return Err(format!(
                "kind {} takes {}",
                r.kind,
                match r.kind.as_str() {
                    "force_bucket" => "prefix and bucket",
                    "max_ttl" => "seconds",
                    _ => "nothing more",
                }
            ))
        }
        (kind, ..) => {
            return Err(format!(
                "unknown kind {kind:?}: use force_bucket, no_shield or max_ttl"
            ))
        }
    };
    Ok(Override {
        name: r.name.clone(),
        action,
        expires,
    })
}

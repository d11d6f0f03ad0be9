//! The names routes and overrides share: bucket names and route prefixes.
//! Both check them here, so a `force_bucket` override cannot name what a
//! route may not.

/// A GCS bucket name: 3 to 63 of lowercase letters, digits, `-`, `_`, `.`.
pub fn is_bucket_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        })
}

/// A route prefix: starts and ends with `/`, so it covers whole segments.
pub fn is_route_prefix(prefix: &str) -> bool {
    prefix.starts_with('/') && prefix.ends_with('/')
}

//! How long the edge keeps a response and what clients are told.
//!
//! The class alone does not decide it: a 404 for an artifact must not be
//! cached for a year (product rule 1; Kubernetes once kept a freshly
//! published kubectl "missing" for days). So the policy is a function of the
//! class *and* the origin's status, applied once the response is known.

use crate::artifact::classify::Class;
use crate::config::CacheSettings;

/// What the edge cache does with one origin response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EdgeCache {
    Store {
        ttl: u32,
        stale_while_revalidate: u32,
        stale_if_error: u32,
    },
    DoNotStore,
}

/// The cache decision for one origin response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachePolicy {
    pub edge: EdgeCache,
    /// The `Cache-Control` value sent to clients.
    pub cache_control: String,
}

/// Chooses the policy for an origin response of `status` to an object of
/// `class`.
///
/// - 2xx and 304: the class TTL (immutable `public, max-age=..., immutable`;
///   never `private, no-store` for an immutable file, rule 3).
/// - 404 and 410: the short not-found TTL, whatever the class.
/// - Everything else (other 4xx, 3xx, 5xx): not stored, `no-store`.
pub fn policy(class: Class, status: u16, settings: &CacheSettings) -> CachePolicy {
    let ttl = match status {
        200..=299 | 304 => match class {
            Class::Immutable => settings.immutable_ttl,
            Class::Marker => settings.marker_ttl,
            Class::Mutable => settings.mutable_ttl,
        },
        404 | 410 => settings.not_found_ttl,
        _ => return uncached(),
    };
    if ttl == 0 {
        return uncached();
    }
    let stale = matches!(status, 200..=299 | 304);
    // Concatenated, not formatted: this runs on every fetch.
    let mut age = itoa::Buffer::new();
    let immutable = if class == Class::Immutable && stale {
        ", immutable"
    } else {
        ""
    };
    let cache_control = ["public, max-age=", age.format(ttl), immutable].concat();
    CachePolicy {
        edge: EdgeCache::Store {
            ttl,
            // An error page is never worth serving stale.
            stale_while_revalidate: if stale {
                settings.stale_while_revalidate
            } else {
                0
            },
            stale_if_error: if stale { settings.stale_if_error } else { 0 },
        },
        cache_control,
    }
}

fn uncached() -> CachePolicy {
    CachePolicy {
        edge: EdgeCache::DoNotStore,
        cache_control: "no-store".to_owned(),
    }
}

/// Surrogate keys known from the request: the class, the release, and for
/// a marker its own path, so release tooling can purge one marker, all
/// markers, or one release. Lent from the path, as the request asks for
/// them (nothing is copied on the decision's path).
pub fn request_keys<'a>(
    class: Class,
    release: Option<&'a str>,
    public_path: &'a str,
) -> RequestKeys<'a> {
    let class_key = match class {
        Class::Marker => "markers",
        Class::Immutable => "immutable",
        Class::Mutable => "mutable",
    };
    let mut keys = RequestKeys {
        keys: [class_key, "", ""],
        len: 1,
    };
    // Both come from the client's (decoded) path: a key that is not a
    // valid one (a space would split it into keys the client chooses, and
    // non-ASCII text or bidi controls do not belong in purge keys) is left
    // out rather than mended.
    let from_path = [
        release,
        (class == Class::Marker).then(|| public_path.trim_start_matches('/')),
    ];
    for key in from_path.into_iter().flatten() {
        if is_valid_key(key) {
            keys.keys[keys.len] = key;
            keys.len += 1;
        }
    }
    keys
}

/// The (at most three) surrogate keys [`request_keys`] finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestKeys<'a> {
    keys: [&'a str; 3],
    len: usize,
}

impl<'a> RequestKeys<'a> {
    pub fn as_slice(&self) -> &[&'a str] {
        &self.keys[..self.len]
    }
}

/// A surrogate key as Fastly takes it: printable ASCII without spaces, at
/// most [`MAX_KEY_BYTES`].
fn is_valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= MAX_KEY_BYTES && key.bytes().all(|b| b.is_ascii_graphic())
}

/// The longest surrogate key Fastly accepts.
const MAX_KEY_BYTES: usize = 1024;

/// Adds the keys an object carries in its `x-goog-meta-surrogate-key`
/// metadata (space-separated), skipping anything that is not a valid key.
pub fn with_object_keys(keys: &[impl AsRef<str>], metadata: Option<&str>) -> Vec<String> {
    let known = keys.iter().map(AsRef::as_ref);
    known
        .chain(object_keys(keys, metadata))
        .map(str::to_owned)
        .collect()
}

/// The keys of `metadata` (an object's `x-goog-meta-surrogate-key`,
/// space-separated) that are valid and not among `keys` or earlier in
/// it: what [`with_object_keys`] adds, lent, for a response's
/// `Surrogate-Key` written without a copy of each key.
pub fn object_keys<'k>(
    keys: &'k [impl AsRef<str>],
    metadata: Option<&'k str>,
) -> impl Iterator<Item = &'k str> + 'k {
    let metadata = metadata.unwrap_or("");
    metadata
        .split_ascii_whitespace()
        .enumerate()
        .filter(move |&(i, key)| {
            is_valid_key(key)
                && !keys.iter().any(|k| k.as_ref() == key)
                && !metadata.split_ascii_whitespace().take(i).any(|k| k == key)
        })
        .map(|(_, key)| key)
}

/// The edge's lifetime for an answer that was already `age` seconds old
/// when it arrived: a shield's copy. The TTL and the stale window count
/// from when the origin answered, so the edge's copy goes stale and expires
/// when the shield's does, never later: a marker reaches no client older
/// than its TTL, and no stale-while-revalidate copy outlives the shield's.
pub fn aged(edge: EdgeCache, age: u32) -> EdgeCache {
    match edge {
        EdgeCache::Store {
            ttl,
            stale_while_revalidate,
            stale_if_error,
        } => {
            let fresh = ttl.saturating_sub(age);
            let usable = ttl
                .saturating_add(stale_while_revalidate)
                .saturating_sub(age);
            EdgeCache::Store {
                ttl: fresh,
                stale_while_revalidate: usable - fresh,
                stale_if_error,
            }
        }
        EdgeCache::DoNotStore => EdgeCache::DoNotStore,
    }
}

/// An `Age` header value (RFC 9111 §5.1): delta-seconds, digits only. A
/// value too large for the counter is as old as can be.
pub fn parse_age(value: &str) -> Option<u32> {
    let value = value.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(value.parse().unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn settings() -> CacheSettings {
        Config::default().cache
    }

    #[test]
    fn immutable_artifacts_are_public_for_a_year() {
        let p = policy(Class::Immutable, 200, &settings());
        assert_eq!(p.cache_control, "public, max-age=31536000, immutable");
        assert_eq!(
            p.edge,
            EdgeCache::Store {
                ttl: 31_536_000,
                stale_while_revalidate: 60,
                stale_if_error: 86_400
            }
        );
        assert_eq!(
            policy(Class::Immutable, 206, &settings()).cache_control,
            p.cache_control
        );
    }

    #[test]
    fn markers_get_a_short_ttl_and_a_client_max_age_no_longer() {
        let p = policy(Class::Marker, 200, &settings());
        assert_eq!(p.cache_control, "public, max-age=60");
        assert!(matches!(p.edge, EdgeCache::Store { ttl: 60, .. }));
    }

    #[test]
    fn mutable_files_get_five_minutes() {
        let p = policy(Class::Mutable, 200, &settings());
        assert_eq!(p.cache_control, "public, max-age=300");
    }

    /// Rule 1: a 404 or 410 is cached briefly whatever the class, never stale.
    #[test]
    fn not_found_is_short_for_every_class() {
        for class in [Class::Immutable, Class::Marker, Class::Mutable] {
            for status in [404, 410] {
                let p = policy(class, status, &settings());
                assert_eq!(p.cache_control, "public, max-age=10", "{class:?} {status}");
                assert_eq!(
                    p.edge,
                    EdgeCache::Store {
                        ttl: 10,
                        stale_while_revalidate: 0,
                        stale_if_error: 0
                    }
                );
            }
        }
    }

    #[test]
    fn other_errors_are_never_stored() {
        for status in [400, 401, 403, 412, 416, 429, 500, 502, 503, 504, 301, 302] {
            let p = policy(Class::Immutable, status, &settings());
            assert_eq!(p.edge, EdgeCache::DoNotStore, "{status}");
            assert_eq!(p.cache_control, "no-store", "{status}");
        }
    }

    #[test]
    fn a_zero_ttl_means_not_stored() {
        let mut s = settings();
        s.not_found_ttl = 0;
        assert_eq!(policy(Class::Mutable, 404, &s).edge, EdgeCache::DoNotStore);
    }

    #[test]
    fn surrogate_keys_by_class_release_and_marker() {
        assert_eq!(
            request_keys(
                Class::Immutable,
                Some("release/v1.31.0"),
                "/release/v1.31.0/x"
            )
            .as_slice(),
            ["immutable", "release/v1.31.0"]
        );
        assert_eq!(
            request_keys(Class::Marker, None, "/release/stable.txt").as_slice(),
            ["markers", "release/stable.txt"]
        );
        assert_eq!(
            request_keys(Class::Mutable, None, "/index.html").as_slice(),
            ["mutable"]
        );
    }

    #[test]
    fn object_metadata_adds_valid_keys_once() {
        let keys = with_object_keys(&["markers"], Some(" docs  markers site\u{7f}x docs "));
        assert_eq!(keys, ["markers", "docs"]);
        assert_eq!(with_object_keys(&["a"], None), ["a"]);
    }

    /// An edge behind a shield counts the TTL and the stale window from the
    /// shield's `Age`.
    #[test]
    fn a_shields_age_shortens_the_edge_lifetime() {
        let store = |ttl, swr, sie| EdgeCache::Store {
            ttl,
            stale_while_revalidate: swr,
            stale_if_error: sie,
        };
        for (age, expected) in [
            (0, store(60, 60, 86_400)),
            (25, store(35, 60, 86_400)),
            (60, store(0, 60, 86_400)),
            (90, store(0, 30, 86_400)),
            (120, store(0, 0, 86_400)),
            (u32::MAX, store(0, 0, 86_400)),
        ] {
            assert_eq!(aged(store(60, 60, 86_400), age), expected, "age {age}");
        }
        assert_eq!(aged(EdgeCache::DoNotStore, 5), EdgeCache::DoNotStore);
    }

    #[test]
    fn age_values_are_delta_seconds() {
        for (value, expected) in [
            ("0", Some(0)),
            ("25", Some(25)),
            (" 7 ", Some(7)),
            ("99999999999", Some(u32::MAX)),
            ("-1", None),
            ("1.5", None),
            ("", None),
            ("soon", None),
        ] {
            assert_eq!(parse_age(value), expected, "{value:?}");
        }
    }

    /// Keys from the request path are sanitized like keys from metadata:
    /// a client cannot split them or fill them with text that is no key.
    #[test]
    fn keys_from_the_request_path_are_valid_keys_or_none() {
        for path in [
            "/release/stable purge-everything.txt",
            "/release/st\u{e4}ble.txt",
            "/release/stable\u{202e}.txt",
        ] {
            assert_eq!(
                request_keys(Class::Marker, None, path).as_slice(),
                ["markers"],
                "{path:?}"
            );
        }
        let long = format!("/release/{}.txt", "a".repeat(2000));
        assert_eq!(
            request_keys(Class::Marker, None, &long).as_slice(),
            ["markers"]
        );
        assert_eq!(
            request_keys(Class::Immutable, Some("release/v1.31.0 x"), "/x").as_slice(),
            ["immutable"]
        );
    }
}

//! From a public path to an object in a bucket, and from there to the GCS
//! request that fetches it.

use std::borrow::Cow;

use crate::artifact::version::Version;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::config::{Config, OriginStyle};
use crate::request::rejection::Rejection;

/// Where an object lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The public path after the version alias is applied, e.g.
    /// `/release/v1.31.0/...` for `/v1.31.0/...`. Classification and cache
    /// keys use this form, so both spellings share one cached object.
    pub path: String,
    /// The bucket tried first.
    pub bucket: String,
    /// The decoded object name, never empty and never ending in `/`.
    pub object: String,
    /// Buckets to try next, in order (product rules 7 and 9).
    pub alternates: Vec<Alternate>,
}

/// Another bucket holding the object: the other side of a migration, or the
/// route's fallback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alternate {
    pub bucket: String,
    /// Also tried when the previous bucket answered 404: during a migration
    /// the new bucket may not have everything yet. A fallback is tried only
    /// when the previous bucket failed.
    pub after_not_found: bool,
}

/// How one origin attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptResult {
    /// No answer: refused, reset, or timed out.
    Unreachable,
    Status(u16),
}

/// Whether to move on to `next` after `result`: on no answer or a 5xx
/// always, on a 404 only to the other side of a migration.
pub fn try_next(result: AttemptResult, next: &Alternate) -> bool {
    match result {
        AttemptResult::Unreachable => true,
        AttemptResult::Status(status) => status >= 500 || (status == 404 && next.after_not_found),
    }
}

/// Whether an object is in the share served from the new bucket of a
/// migration at `percent`: a stable hash of the object name, so the same
/// object always goes to the same bucket at a given percentage, and raising
/// the percentage only moves objects to the new bucket.
pub fn in_new_share(object: &str, percent: u8) -> bool {
    crate::primitives::fnv::fnv1a(object.bytes()) % 100 < u64::from(percent)
}

/// Maps a decoded public path to its bucket and object.
pub fn resolve(path: &str, config: &Config) -> Result<Target, Rejection> {
    let path = apply_alias(path, &config.version_alias);
    if !config.allowed_prefixes.is_empty()
        && !config
            .allowed_prefixes
            .iter()
            .any(|p| within_prefix(&path, p))
    {
        return Err(Rejection::OutsideAllowlist);
    }
    let route = config.route_for(&path).ok_or(Rejection::NoRoute)?;
    let object = if route.strip_prefix {
        &path[route.prefix.len()..]
    } else {
        &path[1..]
    };
    // Product rule 5: an empty or `/`-terminated name would be a bucket
    // listing, so it never reaches GCS.
    if object.is_empty() || object.ends_with('/') {
        return Err(Rejection::DirectoryListing);
    }
    // A migration tries the object's side first and the other one after a
    // 404 too; a fallback only after errors.
    let (first, other) = match &route.new_bucket {
        Some(new) if in_new_share(object, route.new_percent) => (new, Some(&route.bucket)),
        Some(new) => (&route.bucket, Some(new)),
        None => (&route.bucket, None),
    };
    let alternates = [(other, true), (route.fallback.as_ref(), false)]
        .into_iter()
        .filter_map(|(bucket, after_not_found)| {
            bucket.map(|bucket| Alternate {
                bucket: bucket.clone(),
                after_not_found,
            })
        })
        .collect();
    Ok(Target {
        bucket: first.clone(),
        object: object.to_owned(),
        alternates,
        path,
    })
}

/// `/v1.31.0/bin/...` → `/release/v1.31.0/bin/...`, only when the first
/// segment is a release version directory (not `/v8/engine`, not
/// `/v1.2.3-gamma.4/...`).
/// Whether `path` is under `prefix` by whole segments: `/release` covers
/// `/release` and `/release/x`, not `/release-x/y`; a prefix ending in `/`
/// (`/release/`) covers what starts with it.
pub fn within_prefix(path: &str, prefix: &str) -> bool {
    match path.strip_prefix(prefix) {
        Some(rest) => prefix.ends_with('/') || rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

fn apply_alias(path: &str, alias: &str) -> String {
    if alias.is_empty() {
        return path.to_owned();
    }
    let rest = &path[1..];
    match rest.split_once('/') {
        Some((first, _)) if Version::parse(first).is_some() => [alias, path].concat(),
        _ => path.to_owned(),
    }
}

/// The request line and Host header of the GCS XML API request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginRequest {
    pub backend: String,
    pub host: String,
    /// Percent-encoded, starting with `/`.
    pub path: String,
}

/// Builds the GCS request for an object, path-style or virtual-host style.
pub fn origin_request(target: &Target, config: &Config) -> OriginRequest {
    origin_request_for(&target.bucket, &target.object, config)
}

/// The GCS request for an object in a given bucket, through that bucket's
/// backend (`bucket_backends`, else `origin_backend`).
pub fn origin_request_for(bucket: &str, object: &str, config: &Config) -> OriginRequest {
    let object = encode_object(object);
    let (host, path) = match config.origin_style {
        OriginStyle::Path => (
            config.origin_host.clone(),
            ["/", bucket, "/", &object].concat(),
        ),
        OriginStyle::VirtualHost => (
            [bucket, ".", &config.origin_host].concat(),
            ["/", &object].concat(),
        ),
    };
    let backend = config
        .bucket_backends
        .get(bucket)
        .unwrap_or(&config.origin_backend)
        .clone();
    OriginRequest {
        backend,
        host,
        path,
    }
}

/// What an edge asks its shield for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShieldRequest {
    /// The first configured hostname, whichever one the client used.
    pub host: String,
    /// The public path after aliasing, percent-encoded.
    pub path: String,
}

/// The edge→shield request names the object canonically: every hostname
/// and the `/vX.Y.Z` alias share one cache entry at the shield and at the
/// edge, instead of up to one per spelling. The shield decides again from
/// this request, and reaches the same target.
pub fn shield_request(target: &Target, config: &Config) -> ShieldRequest {
    ShieldRequest {
        host: config.hosts[0].clone(),
        path: encode_object(&target.path).into_owned(),
    }
}

/// Percent-encodes an object name for the GCS path, keeping `/` and the
/// unreserved characters. `+` becomes `%2B`: GCS would read a bare `+` in a
/// path as a space-like character in some paths, and SigV4 signing needs this
/// exact canonical form. Borrowed when nothing needs encoding, as most
/// release paths.
pub fn encode_object(object: &str) -> Cow<'_, str> {
    utf8_percent_encode(object, OBJECT_NAME).into()
}

/// What stays as it is in an object name: unreserved characters and `/`.
const OBJECT_NAME: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn target(path: &str) -> Result<(String, String), Rejection> {
        resolve(path, &Config::default()).map(|t| (t.bucket, t.object))
    }

    #[test]
    fn kubernetes_layout_routes_to_the_right_bucket() {
        let table = [
            (
                "/release/stable.txt",
                "kubernetes-release",
                "release/stable.txt",
            ),
            (
                "/v1.31.0/bin/linux/amd64/kubectl",
                "kubernetes-release",
                "release/v1.31.0/bin/linux/amd64/kubectl",
            ),
            (
                "/v1234.5678.9012-rc.3456/x",
                "kubernetes-release",
                "release/v1234.5678.9012-rc.3456/x",
            ),
            ("/v8/engine", "kubernetes-release", "v8/engine"),
            (
                "/v1.2.3-gamma.4/kubernetes.tar.gz",
                "kubernetes-release",
                "v1.2.3-gamma.4/kubernetes.tar.gz",
            ),
            ("/ci/latest.txt", "k8s-release-dev", "ci/latest.txt"),
            (
                "/ci/kops/kops/markers/release-1.30/latest-ci.txt",
                "k8s-staging-kops",
                "kops/markers/release-1.30/latest-ci.txt",
            ),
            (
                "/network-plugins/cni-plugins-amd64-v0.6.0.tgz",
                "kubernetes-release",
                "network-plugins/cni-plugins-amd64-v0.6.0.tgz",
            ),
            ("/index.html", "kubernetes-release", "index.html"),
        ];
        for (path, bucket, object) in table {
            assert_eq!(target(path), Ok((bucket.into(), object.into())), "{path}");
        }
    }

    #[test]
    fn directory_names_never_reach_the_bucket() {
        for path in ["/release/", "/release/v1.31.0/", "/ci/kops/", "/ci/"] {
            assert_eq!(target(path), Err(Rejection::DirectoryListing), "{path}");
        }
    }

    #[test]
    fn allowlist_answers_404_outside_its_prefixes() {
        let map: HashMap<&str, &str> = [("allowed_prefixes", "/release/,/ci/,/index.html")].into();
        let (config, _) = Config::load(&map);
        assert!(resolve("/release/stable.txt", &config).is_ok());
        assert!(
            resolve("/v1.31.0/bin/linux/amd64/kubectl", &config).is_ok(),
            "alias applies first"
        );
        assert!(resolve("/index.html", &config).is_ok());
        assert_eq!(
            resolve("/network-plugins/x.tgz", &config),
            Err(Rejection::OutsideAllowlist)
        );
    }

    /// An allowlist prefix matches whole path segments.
    #[test]
    fn allowlist_prefixes_match_whole_segments() {
        let map: HashMap<&str, &str> = [("allowed_prefixes", "/release,/index.html")].into();
        let (config, _) = Config::load(&map);
        for path in [
            "/release/stable.txt",
            "/index.html",
            "/v1.31.0/kubernetes.tar.gz",
        ] {
            assert!(resolve(path, &config).is_ok(), "{path}");
        }
        for path in ["/release-x/stable.txt", "/releases/x", "/index.html.bak"] {
            assert_eq!(
                resolve(path, &config),
                Err(Rejection::OutsideAllowlist),
                "{path}"
            );
        }
    }

    #[test]
    fn without_a_catch_all_route_unmatched_paths_get_404() {
        let map: HashMap<&str, &str> =
            [("routes", r#"[{"prefix":"/release/","bucket":"rel"}]"#)].into();
        let (config, _) = Config::load(&map);
        assert_eq!(resolve("/other/x", &config), Err(Rejection::NoRoute));
    }

    #[test]
    fn origin_requests_are_path_style_or_virtual_host_style() {
        let config = Config::default();
        let t = resolve("/ci/v1.36.0-alpha.1.111+0123abcd/kubelet", &config).unwrap();
        let req = origin_request(&t, &config);
        assert_eq!(req.host, "storage.googleapis.com");
        assert_eq!(
            req.path,
            "/k8s-release-dev/ci/v1.36.0-alpha.1.111%2B0123abcd/kubelet"
        );
        assert_eq!(req.backend, "gcs");

        let map: HashMap<&str, &str> = [("origin_style", "virtual-host")].into();
        let (config, _) = Config::load(&map);
        let req = origin_request(&t, &config);
        assert_eq!(req.host, "k8s-release-dev.storage.googleapis.com");
        assert_eq!(req.path, "/ci/v1.36.0-alpha.1.111%2B0123abcd/kubelet");
    }

    fn config_with(pairs: &[(&str, &str)]) -> Config {
        let map: HashMap<&str, &str> = pairs.iter().copied().collect();
        let (config, warnings) = Config::load(&map);
        assert!(warnings.is_empty(), "{warnings:?}");
        config
    }

    const MIGRATING: &str = r#"[{"prefix":"/","bucket":"old-bucket","new_bucket":"new-bucket","new_percent":50,"fallback":"backup-bucket"}]"#;

    #[test]
    fn a_fallback_is_tried_after_errors_only() {
        let config = config_with(&[(
            "routes",
            r#"[{"prefix":"/","bucket":"primary","fallback":"secondary"}]"#,
        )]);
        let t = resolve("/release/stable.txt", &config).unwrap();
        assert_eq!(t.bucket, "primary");
        let fallback = Alternate {
            bucket: "secondary".into(),
            after_not_found: false,
        };
        assert_eq!(t.alternates, std::slice::from_ref(&fallback));
        assert!(try_next(AttemptResult::Unreachable, &fallback));
        assert!(try_next(AttemptResult::Status(503), &fallback));
        assert!(
            !try_next(AttemptResult::Status(404), &fallback),
            "a 404 is an answer"
        );
        assert!(!try_next(AttemptResult::Status(200), &fallback));
    }

    #[test]
    fn a_migration_sends_each_object_to_the_bucket_its_hash_says_and_retries_404s() {
        let config = config_with(&[("routes", MIGRATING)]);
        let objects: Vec<String> = (0..1000)
            .map(|i| format!("release/v1.{i}.0/kubectl"))
            .collect();
        let mut new_first = 0;
        for object in &objects {
            let t = resolve(&format!("/{object}"), &config).unwrap();
            let expected_first = if in_new_share(object, 50) {
                "new-bucket"
            } else {
                "old-bucket"
            };
            assert_eq!(t.bucket, expected_first);
            assert!(t.alternates[0].after_not_found, "the other side takes 404s");
            assert_eq!(t.alternates[1].bucket, "backup-bucket");
            new_first += usize::from(t.bucket == "new-bucket");
            let again = resolve(&format!("/{object}"), &config).unwrap();
            assert_eq!(again.bucket, t.bucket, "stable");
        }
        assert!(
            (400..600).contains(&new_first),
            "{new_first} of 1000 at 50%"
        );
    }

    #[test]
    fn migration_percentages_only_ever_move_objects_to_the_new_bucket() {
        let objects: Vec<String> = (0..500).map(|i| format!("o{i}")).collect();
        for object in &objects {
            assert!(!in_new_share(object, 0));
            assert!(in_new_share(object, 100));
            for p in 1..100 {
                if in_new_share(object, p) {
                    assert!(
                        in_new_share(object, p + 1),
                        "{object} left the new bucket at {}",
                        p + 1
                    );
                }
            }
        }
    }

    #[test]
    fn buckets_use_their_own_backend() {
        let config = config_with(&[("bucket_backends", r#"{"k8s-release-dev":"gcs_us"}"#)]);
        assert_eq!(
            origin_request_for("k8s-release-dev", "ci/latest.txt", &config).backend,
            "gcs_us"
        );
        assert_eq!(
            origin_request_for("kubernetes-release", "x", &config).backend,
            "gcs"
        );
    }

    #[test]
    fn object_names_are_encoded_for_the_path() {
        assert_eq!(encode_object("a b/c+d~e_f.g-h"), "a%20b/c%2Bd~e_f.g-h");
        assert_eq!(encode_object("café"), "caf%C3%A9");
        assert_eq!(encode_object("100%"), "100%25");
    }

    /// Every hostname and the version alias ask the shield for one thing.
    #[test]
    fn the_shield_request_is_canonical_whatever_the_client_wrote() {
        let config = Config::default();
        let canonical = ShieldRequest {
            host: "dl.k8s.io".into(),
            path: "/release/v1.31.0/bin/linux/amd64/kubectl".into(),
        };
        for path in [
            "/v1.31.0/bin/linux/amd64/kubectl",
            "/release/v1.31.0/bin/linux/amd64/kubectl",
        ] {
            let target = resolve(path, &config).unwrap();
            assert_eq!(shield_request(&target, &config), canonical, "{path}");
        }
        let ci = resolve("/ci/v1.36.0-alpha.1.111+0123abcd/kubelet", &config).unwrap();
        assert_eq!(
            shield_request(&ci, &config).path,
            "/ci/v1.36.0-alpha.1.111%2B0123abcd/kubelet"
        );
    }
}

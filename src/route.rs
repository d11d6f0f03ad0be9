//! From a public path to an object in a bucket, and from there to the GCS
//! request that fetches it.

use crate::config::{Config, OriginStyle};
use crate::rejection::Rejection;
use crate::version::Version;

/// Where an object lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The public path after the version alias is applied, e.g.
    /// `/release/v1.31.0/...` for `/v1.31.0/...`. Classification and cache
    /// keys use this form, so both spellings share one cached object.
    pub path: String,
    pub bucket: String,
    /// The decoded object name, never empty and never ending in `/`.
    pub object: String,
}

/// Maps a decoded public path to its bucket and object.
pub fn resolve(path: &str, config: &Config) -> Result<Target, Rejection> {
    let path = apply_alias(path, &config.version_alias);
    if !config.allowed_prefixes.is_empty()
        && !config
            .allowed_prefixes
            .iter()
            .any(|p| path.starts_with(p.as_str()))
    {
        return Err(Rejection::NotAllowed);
    }
    let route = config.route_for(&path).ok_or(Rejection::NotAllowed)?;
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
    Ok(Target {
        bucket: route.bucket.clone(),
        object: object.to_owned(),
        path,
    })
}

/// `/v1.31.0/bin/...` → `/release/v1.31.0/bin/...`, only when the first
/// segment is a release version directory (not `/v8/engine`, not
/// `/v1.2.3-gamma.4/...`).
fn apply_alias(path: &str, alias: &str) -> String {
    if alias.is_empty() {
        return path.to_owned();
    }
    let rest = &path[1..];
    match rest.split_once('/') {
        Some((first, _)) if Version::parse(first).is_some() => format!("{alias}{path}"),
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
    let object = encode_object(&target.object);
    let (host, path) = match config.origin_style {
        OriginStyle::Path => (
            config.origin_host.clone(),
            format!("/{}/{}", target.bucket, object),
        ),
        OriginStyle::VirtualHost => (
            format!("{}.{}", target.bucket, config.origin_host),
            format!("/{object}"),
        ),
    };
    OriginRequest {
        backend: config.origin_backend.clone(),
        host,
        path,
    }
}

/// Percent-encodes an object name for the GCS path, keeping `/` and the
/// unreserved characters. `+` becomes `%2B`: GCS would read a bare `+` in a
/// path as a space-like character in some paths, and SigV4 signing needs this
/// exact canonical form.
pub fn encode_object(object: &str) -> String {
    let mut out = String::with_capacity(object.len() + 8);
    for &b in object.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b & 15)]));
        }
    }
    out
}

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
            Err(Rejection::NotAllowed)
        );
    }

    #[test]
    fn without_a_catch_all_route_unmatched_paths_get_404() {
        let map: HashMap<&str, &str> =
            [("routes", r#"[{"prefix":"/release/","bucket":"rel"}]"#)].into();
        let (config, _) = Config::load(&map);
        assert_eq!(resolve("/other/x", &config), Err(Rejection::NotAllowed));
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

    #[test]
    fn object_names_are_encoded_for_the_path() {
        assert_eq!(encode_object("a b/c+d~e_f.g-h"), "a%20b/c%2Bd~e_f.g-h");
        assert_eq!(encode_object("café"), "caf%C3%A9");
        assert_eq!(encode_object("100%"), "100%25");
    }
}

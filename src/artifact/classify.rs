//! What a path names: a marker, an immutable artifact, or a mutable file.
//!
//! The class decides the cache lifetime, so a wrong answer is expensive in
//! one direction only: a marker taken for an artifact is cached for a year
//! (Kubernetes once served `stable-1.txt` for a year because a marker pattern
//! missed it). The rules are therefore ordered to fail towards short TTLs.

use crate::artifact::version::Version;

/// The cache class of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// A small mutable text file naming a version (`stable.txt`,
    /// `latest-1.31.txt`, `ci/latest-fast.txt`).
    Marker,
    /// A file inside a release version directory: never changes.
    Immutable,
    /// Anything else: pages, JSON indexes, unversioned objects.
    Mutable,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Marker => "marker",
            Class::Immutable => "immutable",
            Class::Mutable => "mutable",
        }
    }
}

/// The class of a public path, with what the path says about the release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    pub class: Class,
    /// The version of the release directory the object is in.
    pub version: Option<Version>,
    /// The release directory without its leading `/`, e.g.
    /// `release/v1.31.0`: the surrogate key that purges the release.
    pub release: Option<String>,
    pub os: Option<&'static str>,
    pub arch: Option<&'static str>,
    /// The last path segment.
    pub file: String,
}

impl Classification {
    /// The version directory's name as the path has it: `Version::parse`
    /// accepts only the canonical form, so this is the version's
    /// `Display` text, without formatting it again.
    pub fn version_text(&self) -> Option<&str> {
        let release = self.release.as_deref()?;
        Some(release.rsplit('/').next().unwrap_or(release))
    }
}

const OSES: [&str; 3] = ["linux", "darwin", "windows"];
const ARCHES: [&str; 7] = [
    "amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64",
];

/// Classifies a decoded public path such as `/release/v1.31.0/bin/linux/amd64/kubectl`.
///
/// - Under a directory whose name is a release version: immutable.
/// - Otherwise a `.txt` file is a marker. This covers every marker form
///   (`stable.txt`, `stable-1.txt`, `latest-1.31.txt`, `ci/latest-fast.txt`,
///   `ci/k8s-master.txt`, kops `markers/.../latest-ci.txt`) without a list
///   that could miss the next one; a text file that is not a marker only
///   loses some cache lifetime.
/// - Everything else is mutable.
pub fn classify(path: &str) -> Classification {
    let path = path.trim_start_matches('/');
    let (dirs, file) = match path.rsplit_once('/') {
        Some((dirs, file)) => (Some(dirs), file),
        None => (None, path),
    };
    // The first directory that is a version, and where it ends: the
    // release is the path up to there.
    let mut end = 0;
    let versioned = dirs.into_iter().flat_map(|d| d.split('/')).find_map(|dir| {
        end += dir.len() + 1;
        Version::parse(dir).map(|v| (end - 1, v))
    });
    let (os, arch) = platform(dirs, file);
    let (class, version, release) = match versioned {
        Some((end, version)) => (
            Class::Immutable,
            Some(version),
            Some(path[..end].to_owned()),
        ),
        None if file.ends_with(".txt") => (Class::Marker, None, None),
        None => (Class::Mutable, None, None),
    };
    Classification {
        class,
        version,
        release,
        os,
        arch,
        file: file.to_owned(),
    }
}

/// OS and architecture from `.../<os>/<arch>/<file>` or from a tarball name
/// such as `kubernetes-client-linux-amd64.tar.gz`.
fn platform(dirs: Option<&str>, file: &str) -> (Option<&'static str>, Option<&'static str>) {
    if let Some((rest, arch)) = dirs.and_then(|d| d.rsplit_once('/')) {
        let os = rest.rsplit('/').next().unwrap_or(rest);
        if let (Some(os), Some(arch)) = (known(&OSES, os), known(&ARCHES, arch)) {
            return (Some(os), Some(arch));
        }
    }
    let stem = file.split('.').next().unwrap_or(file);
    let mut words = stem.rsplit('-');
    if let (Some(arch), Some(os)) = (words.next(), words.next()) {
        if let (Some(os), Some(arch)) = (known(&OSES, os), known(&ARCHES, arch)) {
            return (Some(os), Some(arch));
        }
    }
    (None, None)
}

fn known(names: &[&'static str], candidate: &str) -> Option<&'static str> {
    names.iter().copied().find(|n| *n == candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_text_is_the_version_as_displayed() {
        for path in [
            "/release/v1.31.0/bin/linux/amd64/kubectl",
            "/release/v1.32.0-rc.2/kubernetes.tar.gz",
            "/ci/v1.33.0-alpha.1.111+4bd4a6da5c0b0f/bin/linux/arm64/kubelet",
            "/ci/fast/v1.33.0-beta.0.5+9c8e7f6a5b4d3c/bin/windows/amd64/kubectl.exe",
            "/v0.0.0/x",
            "/release/v1234.5678.9012-rc.3456/x",
        ] {
            let c = classify(path);
            let shown = c.version.as_ref().map(ToString::to_string);
            assert_eq!(c.version_text(), shown.as_deref(), "{path}");
            assert!(shown.is_some(), "{path} has a version");
        }
        assert_eq!(classify("/release/stable.txt").version_text(), None);
    }

    #[test]
    fn markers_in_every_form() {
        for path in [
            "/release/stable.txt",
            "/release/latest.txt",
            "/release/stable-1.txt",
            "/release/latest-1.txt",
            "/release/stable-1.31.txt",
            "/release/latest-1.29.txt",
            "/ci/latest.txt",
            "/ci/latest-1.32.txt",
            "/ci/latest-fast.txt",
            "/ci/k8s-master.txt",
            "/ci/k8s-stable1.txt",
            "/ci/kops/kops/markers/release-1.30/latest-ci.txt",
        ] {
            let c = classify(path);
            assert_eq!(c.class, Class::Marker, "{path}");
            assert_eq!(c.version, None, "{path}");
        }
    }

    #[test]
    fn artifacts_under_a_version_directory_are_immutable() {
        let c = classify("/release/v1.31.0/bin/linux/arm64/kubectl.sha256");
        assert_eq!(c.class, Class::Immutable);
        assert_eq!(c.release.as_deref(), Some("release/v1.31.0"));
        assert_eq!(c.version_text(), Some("v1.31.0"));
        assert_eq!(c.version.as_ref().map(|v| v.minor), Some(31));
        assert_eq!((c.os, c.arch), (Some("linux"), Some("arm64")));
        assert_eq!(c.file, "kubectl.sha256");

        let c =
            classify("/ci/fast/v1.33.0-alpha.1.120+9c8e7f6a5b4d3c/bin/linux/amd64/kube-apiserver");
        assert_eq!(c.class, Class::Immutable);
        assert_eq!(
            c.release.as_deref(),
            Some("ci/fast/v1.33.0-alpha.1.120+9c8e7f6a5b4d3c")
        );
        assert_eq!(c.version.unwrap().build.as_deref(), Some("9c8e7f6a5b4d3c"));

        let c = classify("/release/v1.29.8/kubernetes-client-darwin-arm64.tar.gz");
        assert_eq!((c.os, c.arch), (Some("darwin"), Some("arm64")));

        // A marker-like name inside a release directory is part of the release.
        assert_eq!(
            classify("/release/v1.31.0/version.txt").class,
            Class::Immutable
        );
    }

    #[test]
    fn other_files_are_mutable() {
        for path in [
            "/index.html",
            "/release/release-notes-index.json",
            "/network-plugins/cni-plugins-amd64-v0.6.0.tgz",
            "/v8/engine",
            "/release/v1.2.3-gamma.4/kubernetes.tar.gz",
            // A version as the file name is not a version directory.
            "/release/v1.31.0",
        ] {
            assert_eq!(classify(path).class, Class::Mutable, "{path}");
        }
    }

    #[test]
    fn unknown_platform_words_are_not_guessed() {
        let c = classify("/release/v1.31.0/bin/plan9/amd64/kubectl");
        assert_eq!((c.os, c.arch), (None, None));
        let c = classify("/release/v1.29.8/kubernetes-src.tar.gz");
        assert_eq!((c.os, c.arch), (None, None));
    }
}

//! Release versions as they appear in the download layout: `v1.31.0`,
//! `v1.32.0-rc.2`, `v1.33.0-alpha.1.111+4bd4a6da5c0b0f`.
//!
//! A path segment is a version only if it parses here. The parser is
//! hand-written rather than a regex: it runs on every request in a fresh Wasm
//! instance, and an earlier generation of download CDNs matched versions with
//! patterns like `v1\.[0-9]{2}` that broke on the first unusual number.

use std::fmt;

/// A parsed release version (semver with a leading `v`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    /// The pre-release part without its `-`, e.g. `rc.2` or `alpha.1.111`.
    pub pre_release: Option<String>,
    /// The build metadata without its `+`, e.g. the commit of a CI build.
    pub build: Option<String>,
}

/// The pre-release channels Kubernetes publishes. Anything else (`-gamma.4`)
/// means the segment is not a release version and is passed through as is.
const PRE_RELEASE_CHANNELS: [&str; 3] = ["alpha", "beta", "rc"];

impl Version {
    /// Parses one path segment such as `v1.31.0` or `v1.32.0-rc.2`.
    ///
    /// Numbers may be of any length that fits a `u64` and must not have
    /// leading zeros (semver). The pre-release must be `alpha`, `beta` or
    /// `rc` followed by one or more numeric parts; build metadata is any
    /// non-empty run of ASCII alphanumerics, `-` and `.`.
    pub fn parse(segment: &str) -> Option<Version> {
        let rest = segment.strip_prefix('v')?;
        let (core_and_pre, build) = match rest.split_once('+') {
            Some((head, build)) => (head, Some(parse_build(build)?)),
            None => (rest, None),
        };
        let (core, pre_release) = match core_and_pre.split_once('-') {
            Some((core, pre)) => (core, Some(parse_pre_release(pre)?)),
            None => (core_and_pre, None),
        };
        let mut numbers = core.split('.');
        let major = parse_number(numbers.next()?)?;
        let minor = parse_number(numbers.next()?)?;
        let patch = parse_number(numbers.next()?)?;
        if numbers.next().is_some() {
            return None;
        }
        Some(Version {
            major,
            minor,
            patch,
            pre_release,
            build,
        })
    }

    /// `major.minor` as used by marker names (`stable-1.31.txt`) and by the
    /// default shield granularity.
    pub fn minor_line(&self) -> String {
        format!("{}.{}", self.major, self.minor)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}.{}", self.major, self.minor, self.patch)?;
        if let Some(pre) = &self.pre_release {
            write!(f, "-{pre}")?;
        }
        if let Some(build) = &self.build {
            write!(f, "+{build}")?;
        }
        Ok(())
    }
}

fn parse_number(digits: &str) -> Option<u64> {
    let all_digits = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    let leading_zero = digits.len() > 1 && digits.starts_with('0');
    if !all_digits || leading_zero {
        return None;
    }
    digits.parse().ok()
}

fn parse_pre_release(pre: &str) -> Option<String> {
    let mut parts = pre.split('.');
    let channel = parts.next()?;
    if !PRE_RELEASE_CHANNELS.contains(&channel) {
        return None;
    }
    let mut numeric_parts = 0;
    for part in parts {
        parse_number(part)?;
        numeric_parts += 1;
    }
    (numeric_parts > 0).then(|| pre.to_owned())
}

fn parse_build(build: &str) -> Option<String> {
    let valid = build.split('.').all(|part| {
        !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    valid.then(|| build.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A version segment, its numbers, its pre-release and its build.
    type Row = (
        &'static str,
        (u64, u64, u64),
        Option<&'static str>,
        Option<&'static str>,
    );

    #[test]
    fn parses_release_pre_release_and_ci_versions() {
        let table: &[Row] = &[
            ("v1.31.0", (1, 31, 0), None, None),
            ("v1.32.0-alpha.0", (1, 32, 0), Some("alpha.0"), None),
            ("v1.32.0-beta.1", (1, 32, 0), Some("beta.1"), None),
            ("v1.32.0-rc.2", (1, 32, 0), Some("rc.2"), None),
            (
                "v1.33.0-alpha.1.111+4bd4a6da5c0b0f",
                (1, 33, 0),
                Some("alpha.1.111"),
                Some("4bd4a6da5c0b0f"),
            ),
            (
                "v1234.5678.9012-rc.3456",
                (1234, 5678, 9012),
                Some("rc.3456"),
                None,
            ),
            ("v0.0.0", (0, 0, 0), None, None),
        ];
        for (segment, (major, minor, patch), pre, build) in table {
            let v = Version::parse(segment).unwrap_or_else(|| panic!("{segment} is a version"));
            assert_eq!(
                (v.major, v.minor, v.patch),
                (*major, *minor, *patch),
                "{segment}"
            );
            assert_eq!(v.pre_release.as_deref(), *pre, "{segment}");
            assert_eq!(v.build.as_deref(), *build, "{segment}");
            assert_eq!(v.to_string(), *segment, "round trip");
        }
    }

    #[test]
    fn rejects_what_is_not_a_release_version() {
        for segment in [
            "v8",
            "v1.2",
            "v1.2.3.4",
            "1.31.0",
            "v1.2.3-gamma.4",
            "v1.2.3-rc",
            "v1.2.3-rc.",
            "v1.2.3-rc.x",
            "v01.2.3",
            "v1.02.3",
            "v1.2.3+",
            "v1.2.3+a..b",
            "v1.2.3+a/b",
            "v99999999999999999999.0.0",
            "V1.2.3",
            "v1.2.3-",
            "",
            "v",
        ] {
            assert_eq!(Version::parse(segment), None, "{segment} is not a version");
        }
    }

    #[test]
    fn minor_line_is_major_dot_minor() {
        assert_eq!(Version::parse("v1.31.7").unwrap().minor_line(), "1.31");
    }
}

//! Every Config Store key, declared once beside its default and its
//! meaning. The README table and `fastly.toml`'s `[setup]` are checked
//! against this list.

use crate::primitives::words;

/// One Config Store key: its name, value type, default and effect.
pub struct Key {
    pub name: &'static str,
    pub kind: &'static str,
    pub default: &'static str,
    pub effect: &'static str,
}

/// Every key the service reads, with its default (the Kubernetes profile).
pub const KEYS: &[Key] = &[
    Key {
        name: "hosts",
        kind: "comma-separated hostnames",
        default: "dl.k8s.io,cdn.dl.k8s.io,dl.k8s.dev",
        effect: "Host header values served; others get 421. The port is ignored.",
    },
    Key {
        name: "routes",
        kind: "JSON list of {prefix, bucket, strip_prefix}",
        default: r#"[{"prefix":"/ci/kops/","bucket":"k8s-staging-kops","strip_prefix":true},{"prefix":"/ci/","bucket":"k8s-release-dev"},{"prefix":"/","bucket":"kubernetes-release"}]"#,
        effect: "Public path prefix to bucket; the longest prefix wins. With strip_prefix the prefix is removed from the object name. A path no route matches gets 404 at the edge.",
    },
    Key {
        name: "version_alias",
        kind: "path prefix or empty",
        default: "/release",
        effect: "`/vX.Y.Z/...` is served as `<alias>/vX.Y.Z/...`; empty turns the alias off.",
    },
    Key {
        name: "allowed_prefixes",
        kind: "comma-separated path prefixes or empty",
        default: "",
        effect: "Empty: every path goes to its route. Otherwise an allowlist: a path (after `/` and alias rewriting) outside these prefixes gets 404 without an origin fetch.",
    },
    Key {
        name: "origin_backend",
        kind: "backend name",
        default: "gcs",
        effect: "The fastly.toml backend that reaches GCS.",
    },
    Key {
        name: "origin_host",
        kind: "hostname",
        default: "storage.googleapis.com",
        effect: "The GCS XML API host.",
    },
    Key {
        name: "origin_style",
        kind: "`path` or `virtual-host`",
        default: "path",
        effect: "Path style: `GET /<bucket>/<object>` with Host `<origin_host>`; virtual-host style: `GET /<object>` with Host `<bucket>.<origin_host>`.",
    },
    Key {
        name: "bucket_backends",
        kind: "JSON object {bucket: backend name}",
        default: "{}",
        effect: "The backend for a bucket (another region, another timeout); buckets not listed use `origin_backend`.",
    },
    Key {
        name: "signed_buckets",
        kind: "comma-separated bucket names",
        default: "",
        effect: "Private buckets: origin requests to these are signed with GCS HMAC keys (SigV4, region `auto`) read from the Secret Store `dl_edge_secrets` as `hmac.<bucket>.access_key` and `hmac.<bucket>.secret_key`. A refused signature is a 502 for the client and an error on the service log.",
    },
    Key {
        name: "max_path_bytes",
        kind: "integer, 1..=8192",
        default: "1024",
        effect: "Longest raw request path accepted; longer gets 400.",
    },
    Key {
        name: "max_header_bytes",
        kind: "integer, 1024..=1048576",
        default: "16384",
        effect: "Largest total size of request header names and values; larger gets 431.",
    },
    Key {
        name: "ttl_immutable",
        kind: "seconds",
        default: "31536000",
        effect: "Edge TTL and client max-age for artifacts under a release version directory.",
    },
    Key {
        name: "ttl_marker",
        kind: "seconds",
        default: "60",
        effect: "Edge TTL and client max-age for markers (stable.txt, latest-1.31.txt, ...).",
    },
    Key {
        name: "ttl_mutable",
        kind: "seconds",
        default: "300",
        effect: "Edge TTL and client max-age for other files (index.html, JSON, ...).",
    },
    Key {
        name: "ttl_not_found",
        kind: "seconds, at most 300",
        default: "10",
        effect: "Edge TTL and client max-age for 404 and 410 answers from the origin.",
    },
    Key {
        name: "stale_while_revalidate",
        kind: "seconds",
        default: "60",
        effect: "How long the edge may serve a stale copy while it revalidates (cacheable classes).",
    },
    Key {
        name: "stale_if_error",
        kind: "seconds",
        default: "86400",
        effect: "How long the edge may serve a stale copy while the origin fails (cacheable classes).",
    },
    Key {
        name: "log_endpoints",
        kind: "JSON list of {name, format, sample_rate, min_class, index, source, sourcetype}",
        default: r#"[{"name":"splunk","format":"hec"}]"#,
        effect: "Where each request's log line goes. `format` is `hec` (Splunk HTTP Event Collector envelope) or `json` (the bare record); `sample_rate` 0..1 (default 1) samples by request id; `min_class` `all` (default) or `errors`. `index`, `source` (default `dl-edge`) and `sourcetype` (default `dl-edge:request`) fill the HEC envelope.",
    },
    Key {
        name: "service_log_endpoint",
        kind: "log endpoint name, or a JSON object like a `log_endpoints` entry",
        default: "dl_edge_service",
        effect: "Receives the service's own warnings (bad config values, unknown endpoints, origin failures) and panics. A bare name gets Splunk HEC envelopes (sourcetype `dl-edge:service`); a JSON object such as `{\"name\":\"archive\",\"format\":\"json\"}` chooses the format, index and source as `log_endpoints` entries do.",
    },
    Key {
        name: "warning_sample_rate",
        kind: "number, 0..=1",
        default: "0.01",
        effect: "Share of requests (by request id) that repeat config warnings to the service log; each request re-reads the config, so 1 would write a warning on every request while a value is bad.",
    },
    Key {
        name: "log_client_ip",
        kind: "`full`, `truncated`, `hashed` or `none`",
        default: "truncated",
        effect: "Client IP in log lines: in full, truncated to /24 (IPv4) or /48 (IPv6), HMAC-SHA256 with the salt `log_ip_salt` from the Secret Store `dl_edge_secrets` (truncated if the salt is missing), or left out.",
    },
    Key {
        name: "log_at_shield",
        kind: "`true` or `false`",
        default: "true",
        effect: "Whether a shield writes a line (marked `role: shield`) for the requests edges send it; the edge always writes the client's line.",
    },
    Key {
        name: "overrides",
        kind: "JSON list of {name, kind, expires, ...}",
        default: "[]",
        effect: "Emergency overrides, each with a mandatory UTC expiry (`\"expires\":\"2026-11-22T18:00:00Z\"`), ignored once past it: `{\"kind\":\"force_bucket\",\"prefix\":\"/release/\",\"bucket\":...}`, `{\"kind\":\"no_shield\"}`, `{\"kind\":\"max_ttl\",\"seconds\":60}`. Every log line names the overrides in force; an entry without a valid expiry is refused with a warning.",
    },
    Key {
        name: "shield_plan",
        kind: "JSON shield plan (docs/shielding.md)",
        default: crate::shield::DEFAULT_PLAN,
        effect: "Which shield POP fetches each request from the origin, by region group and release version; the default is one static shield, as Kubernetes runs today. Check a plan with `dl-edge-ops plan check` before uploading it.",
    },
    Key {
        name: "snapshot",
        kind: "JSON object of the other keys' values: each a string, or the key's JSON list or object written in place",
        default: "",
        effect: "Every other key but `overrides` in one value, read in one host call instead of one per key: when present, the service reads it and `overrides`, and ignores the other keys one by one. Write it with `dl-edge-ops config export` after editing the keys; `dl-edge-ops config check` reports a snapshot out of step with them. Absent by default.",
    },
];

/// The names and defaults of [`KEYS`], in order: what the service looks
/// keys up by. Taken out at compile time, so that the kinds and effects
/// (the README table's text) are not carried in the Wasm.
pub const NAMES_AND_DEFAULTS: [(&str, &str); KEYS.len()] = {
    let mut out = [("", ""); KEYS.len()];
    let mut i = 0;
    while i < KEYS.len() {
        out[i] = (KEYS[i].name, KEYS[i].default);
        i += 1;
    }
    out
};

/// A declared key, by its place in [`KEYS`]: what the service reads keys
/// by. Made at compile time by [`key!`](crate::key), which refuses a name
/// `KEYS` does not declare, so no key is searched for by name while a
/// request runs (about 7,000 instructions per request when the config
/// read each of its keys by name, three or four times).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Declared(usize);

impl Declared {
    /// The key `name`; a build error (or a panic outside a const) if it is
    /// not declared.
    pub const fn named(name: &str) -> Declared {
        let mut i = 0;
        while i < KEYS.len() {
            if same(KEYS[i].name.as_bytes(), name.as_bytes()) {
                return Declared(i);
            }
            i += 1;
        }
        panic!("config key not declared in KEYS")
    }

    /// The key `name`, if it is declared: for names read from text (a
    /// snapshot's, a store's), a word at a time.
    pub fn find(name: &str) -> Option<Declared> {
        NAMES_AND_DEFAULTS
            .iter()
            .position(|(k, _)| words::same(k.as_bytes(), name.as_bytes()))
            .map(Declared)
    }

    /// Every declared key, in order.
    pub fn all() -> impl Iterator<Item = Declared> {
        (0..KEYS.len()).map(Declared)
    }

    /// Its place in [`KEYS`].
    pub fn place(self) -> usize {
        self.0
    }

    pub fn name(self) -> &'static str {
        NAMES_AND_DEFAULTS[self.0].0
    }

    /// Its built-in default.
    pub fn default(self) -> &'static str {
        NAMES_AND_DEFAULTS[self.0].1
    }
}

/// The declared keys' names with their places in [`KEYS`], in the order
/// of the names, sorted when the crate builds.
const BY_NAME: [(&str, usize); KEYS.len()] = {
    let mut out = [("", 0); KEYS.len()];
    let mut i = 0;
    while i < KEYS.len() {
        // Insertion: the names before `i` are already in order.
        let mut j = i;
        while j > 0 && before(KEYS[i].name.as_bytes(), out[j - 1].0.as_bytes()) {
            out[j] = out[j - 1];
            j -= 1;
        }
        out[j] = (KEYS[i].name, i);
        i += 1;
    }
    out
};

/// Finds declared keys among names that come in sorted order, as a
/// snapshot's do (`export` writes them sorted): each name is looked for
/// first after the last one found, so a snapshot's names (21 in the
/// store `fastly compute publish` creates) take about as many
/// comparisons as there are keys, where looking each up from the start
/// took about 250 a request. A name out of order is still found, from
/// the start, as [`Declared::find`] finds it.
#[derive(Default)]
pub struct InOrder {
    next: usize,
}

impl InOrder {
    /// The key `name`, if it is declared.
    pub fn find(&mut self, name: &str) -> Option<Declared> {
        let ahead = BY_NAME[self.next..]
            .iter()
            .position(|(key, _)| words::same(key.as_bytes(), name.as_bytes()));
        match ahead {
            Some(skipped) => {
                self.next += skipped + 1;
                Some(Declared(BY_NAME[self.next - 1].1))
            }
            None => Declared::find(name),
        }
    }
}

/// `a < b`, byte by byte, in a const fn.
const fn before(a: &[u8], b: &[u8]) -> bool {
    let mut i = 0;
    while i < a.len() && i < b.len() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
        i += 1;
    }
    a.len() < b.len()
}

/// `a == b`, in a const fn.
const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The declared config key named by a literal, checked when the crate
/// builds: `key!("hosts")`.
#[macro_export]
macro_rules! key {
    ($name:literal) => {
        const { $crate::config::keys::Declared::named($name) }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every declared key is found by its name, at its place, with its
    /// default; nothing else is found.
    #[test]
    fn declared_keys_are_found_at_their_place() {
        for (place, key) in KEYS.iter().enumerate() {
            let declared = Declared::find(key.name).unwrap();
            assert_eq!(declared.place(), place, "{}", key.name);
            assert_eq!(declared, Declared::named(key.name));
            assert_eq!(
                (declared.name(), declared.default()),
                (key.name, key.default)
            );
        }
        assert_eq!(Declared::all().count(), KEYS.len());
        for name in ["", "host", "hostss", "Hosts", "snapshot "] {
            assert_eq!(Declared::find(name), None, "{name:?}");
        }
        assert_eq!(crate::key!("routes").name(), "routes");
    }

    /// The names sorted when the crate builds are every key's, in the
    /// order `str` sorts them.
    #[test]
    fn keys_by_name_are_every_key_sorted() {
        let mut expected: Vec<(&str, usize)> = KEYS
            .iter()
            .enumerate()
            .map(|(place, key)| (key.name, place))
            .collect();
        expected.sort();
        assert_eq!(BY_NAME.to_vec(), expected);
    }

    /// Names in sorted order, names out of it, repeated and unknown names
    /// are found, or not, as `Declared::find` finds them.
    #[test]
    fn names_in_order_are_found_as_by_find() {
        let mut sorted: Vec<&str> = KEYS.iter().map(|key| key.name).collect();
        sorted.sort();
        let mut reversed = sorted.clone();
        reversed.reverse();
        let some: Vec<&str> = sorted.iter().copied().step_by(3).collect();
        let mixed = vec![
            "ttl_marker",
            "hosts",
            "nope",
            "hosts",
            "",
            "zzz",
            "routes",
            "aaa",
        ];
        for names in [sorted, reversed, some, mixed] {
            let mut in_order = InOrder::default();
            for name in &names {
                assert_eq!(
                    in_order.find(name),
                    Declared::find(name),
                    "{name:?} in {names:?}"
                );
            }
        }
    }
}

//! The decision over tables of real URLs and hostile requests.

use std::collections::HashMap;

use dl_edge_testkit::corpus::url_rows;

use super::*;
use crate::artifact::classify::Class;
use crate::origin::route::encode_object;

fn get(target: &str) -> RequestView<'_> {
    RequestView {
        method: "GET",
        host: Some("dl.k8s.io"),
        target,
        range: None,
        header_bytes: 200,
        repeated: None,
    }
}

fn fetch_of(decision: Decision) -> Fetch {
    match decision {
        Decision::Fetch(fetch) => *fetch,
        Decision::Reply(reply) => panic!("expected a fetch, got {reply:?}"),
    }
}

fn config_with(pairs: &[(&str, &str)]) -> Config {
    let map: HashMap<&str, &str> = pairs.iter().copied().collect();
    let (config, warnings) = Config::load(&map);
    assert!(warnings.is_empty(), "{warnings:?}");
    config
}

#[test]
fn every_real_url_is_fetched_from_the_right_object_with_the_right_class() {
    let config = Config::default();
    let rows = url_rows();
    assert!(rows.len() > 80, "the corpus is loaded");
    for row in rows {
        let fetch = fetch_of(decide(&get(row.path), &config));
        assert_eq!(fetch.target.bucket, row.bucket, "{}", row.path);
        assert_eq!(fetch.target.object, row.object, "{}", row.path);
        assert_eq!(
            fetch.classification.class.as_str(),
            row.class,
            "{}",
            row.path
        );
        assert_eq!(
            fetch.classification.release.as_deref(),
            row.release,
            "{}",
            row.path
        );
        assert_eq!(
            fetch.origin.path,
            format!("/{}/{}", row.bucket, encode_object(row.object)),
            "{}",
            row.path
        );
        assert_eq!(fetch.origin.host, "storage.googleapis.com");
        let class_key = match fetch.classification.class {
            Class::Marker => "markers",
            Class::Immutable => "immutable",
            Class::Mutable => "mutable",
        };
        let keys = fetch.request_keys();
        assert_eq!(keys.as_slice()[0], class_key, "{}", row.path);
        if let Some(release) = row.release {
            assert!(keys.as_slice().contains(&release), "{}", row.path);
        }
        assert!(!fetch.head);
        assert!(!fetch.public.query_dropped);
    }
}

#[test]
fn ci_build_metadata_reaches_gcs_as_percent_2b() {
    let fetch = fetch_of(decide(
        &get("/ci/v1.33.0-alpha.1.111+4bd4a6da5c0b0f/bin/linux/amd64/kubelet"),
        &Config::default(),
    ));
    assert_eq!(
        fetch.origin.path,
        "/k8s-release-dev/ci/v1.33.0-alpha.1.111%2B4bd4a6da5c0b0f/bin/linux/amd64/kubelet"
    );
}

#[test]
fn queries_and_fragments_are_dropped_and_recorded() {
    let fetch = fetch_of(decide(
        &get("/release/stable.txt?cachebust=1#x"),
        &Config::default(),
    ));
    assert_eq!(fetch.origin.path, "/kubernetes-release/release/stable.txt");
    assert!(fetch.public.query_dropped);
}

#[test]
fn head_is_fetched_like_get() {
    let mut view = get("/release/stable.txt");
    view.method = "HEAD";
    assert!(fetch_of(decide(&view, &Config::default())).head);
}

#[test]
fn single_ranges_are_forwarded_and_several_ignored() {
    let mut view = get("/release/v1.31.0/bin/linux/amd64/kubectl");
    view.range = Some("bytes=-5");
    let fetch = fetch_of(decide(&view, &Config::default()));
    assert_eq!(fetch.range, RangeRequest::Single("bytes=-5".into()));
    view.range = Some("bytes=0-1,5-6");
    assert_eq!(
        fetch_of(decide(&view, &Config::default())).range,
        RangeRequest::Whole
    );
}

#[test]
fn options_is_answered_at_the_edge_as_a_preflight() {
    let mut view = get("/release/stable.txt");
    view.method = "OPTIONS";
    let decision = decide(&view, &Config::default());
    assert_eq!(decision, Decision::Reply(Reply::Preflight));
    let Decision::Reply(reply) = decision else {
        unreachable!()
    };
    assert_eq!(reply.status(), 204);
    assert!(reply
        .headers()
        .contains(&("access-control-allow-methods", "GET, HEAD, OPTIONS")));
}

/// A row of the bad-input table: what is sent and the rejection expected.
struct Bad {
    method: &'static str,
    host: Option<&'static str>,
    target: &'static str,
    range: Option<&'static str>,
    header_bytes: usize,
    repeated: Option<&'static str>,
    expected: Rejection,
}

const fn bad(target: &'static str, expected: Rejection) -> Bad {
    Bad {
        method: "GET",
        host: Some("dl.k8s.io"),
        target,
        range: None,
        header_bytes: 200,
        repeated: None,
        expected,
    }
}

#[test]
fn bad_input_gets_the_right_4xx_and_no_fetch() {
    use Rejection::*;
    let table = [
        Bad {
            method: "POST",
            ..bad("/release/stable.txt", MethodNotAllowed)
        },
        Bad {
            method: "PUT",
            ..bad("/release/stable.txt", MethodNotAllowed)
        },
        Bad {
            method: "DELETE",
            ..bad("/release/stable.txt", MethodNotAllowed)
        },
        Bad {
            method: "get",
            ..bad("/release/stable.txt", MethodNotAllowed)
        },
        Bad {
            method: "TRACE",
            ..bad("/", MethodNotAllowed)
        },
        Bad {
            host: None,
            ..bad("/release/stable.txt", MissingHost)
        },
        Bad {
            host: Some("evil.example"),
            ..bad("/release/stable.txt", UnknownHost)
        },
        Bad {
            header_bytes: 1 << 20,
            ..bad("/release/stable.txt", HeadersTooLarge)
        },
        Bad {
            host: Some("dl.k8s.io:a@evil.example"),
            ..bad("/release/stable.txt", BadHost)
        },
        Bad {
            host: Some("dl.k8s.io:"),
            ..bad("/release/stable.txt", BadHost)
        },
        Bad {
            repeated: Some("host"),
            ..bad("/release/stable.txt", RepeatedHeader)
        },
        Bad {
            repeated: Some("range"),
            ..bad("/release/stable.txt", RepeatedHeader)
        },
        // `GET *`: the asterisk form is for OPTIONS only.
        bad("*", PathNotAbsolute),
        Bad {
            range: Some("bytes=a-b"),
            ..bad("/release/stable.txt", MalformedRange)
        },
        Bad {
            range: Some("lines=1-2"),
            ..bad("/release/stable.txt", MalformedRange)
        },
        Bad {
            range: Some("bytes=9-1"),
            ..bad("/release/stable.txt", UnsatisfiableRange)
        },
        bad("/release/../../etc/passwd", DotSegment),
        bad("/release/%2e%2e/%2e%2e/etc/passwd", DotSegment),
        bad("/release/..%2fsecret", EncodedSlash),
        bad("/release/%252e%252e/x", DoubleEncoded),
        bad("/release\\..\\x", Backslash),
        bad("/release/stable.txt%00", ControlCharacter),
        bad("//release/stable.txt", EmptySegment),
        bad("/release/", DirectoryListing),
        bad("/release/v1.31.0/bin/linux/amd64/", DirectoryListing),
        bad("/ci/kops/", DirectoryListing),
        bad("http://evil.example/x", PathNotAbsolute),
    ];
    let config = Config::default();
    for row in table {
        let view = RequestView {
            method: row.method,
            host: row.host,
            target: row.target,
            range: row.range,
            header_bytes: row.header_bytes,
            repeated: row.repeated,
        };
        assert_eq!(
            decide(&view, &config),
            Decision::Reply(Reply::Rejected(row.expected)),
            "{} {}",
            row.method,
            row.target
        );
    }
    let long = format!("/release/{}", "a".repeat(2000));
    assert_eq!(
        decide(&get(&long), &config),
        Decision::Reply(Reply::Rejected(PathTooLong))
    );
}

#[test]
fn rejections_are_plain_text_uncached_and_405_says_allow() {
    let reply = Reply::Rejected(Rejection::MethodNotAllowed);
    assert_eq!(reply.status(), 405);
    assert_eq!(reply.body(), "method not allowed: use GET or HEAD\n");
    let headers = reply.headers();
    assert!(headers.contains(&("allow", "GET, HEAD, OPTIONS")));
    assert!(headers.contains(&("cache-control", "no-store")));
    assert!(headers.contains(&("content-type", "text/plain; charset=utf-8")));
    assert!(headers.contains(&("access-control-allow-origin", "*")));
    let reply = Reply::Rejected(Rejection::DotSegment);
    assert!(!reply.headers().iter().any(|(name, _)| *name == "allow"));
}

#[test]
fn virtual_host_style_names_the_bucket_in_the_host() {
    let config = config_with(&[("origin_style", "virtual-host")]);
    let fetch = fetch_of(decide(&get("/ci/latest.txt"), &config));
    assert_eq!(fetch.origin.host, "k8s-release-dev.storage.googleapis.com");
    assert_eq!(fetch.origin.path, "/ci/latest.txt");
}

#[test]
fn an_allowlist_answers_404_outside_its_prefixes_without_a_fetch() {
    let config = config_with(&[("allowed_prefixes", "/release/,/ci/,/index.html")]);
    assert!(matches!(decide(&get("/"), &config), Decision::Fetch(_)));
    assert_eq!(
        decide(
            &get("/network-plugins/cni-plugins-amd64-v0.6.0.tgz"),
            &config
        ),
        Decision::Reply(Reply::Rejected(Rejection::OutsideAllowlist))
    );
}

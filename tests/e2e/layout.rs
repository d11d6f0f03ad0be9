//! Every row of the URL layout table, fetched through the edge and checked
//! against what the origin holds and what it was asked.

use dl_edge_testkit::corpus::url_rows;

use crate::Ctx;

pub const CASES: &[crate::Case] = &[
    (
        "every_url_row_serves_the_right_object_with_the_right_policy",
        every_row,
    ),
    (
        "the_alias_and_the_release_path_share_an_object",
        alias_shares_object,
    ),
    (
        "object_metadata_adds_surrogate_keys",
        metadata_surrogate_keys,
    ),
];

fn expected_cache_control(class: &str) -> &'static str {
    match class {
        "immutable" => "public, max-age=31536000, immutable",
        "marker" => "public, max-age=60",
        "mutable" => "public, max-age=300",
        other => panic!("unknown class {other}"),
    }
}

fn every_row(ctx: &Ctx) {
    let rows = url_rows();
    assert!(rows.len() > 80);
    let mut problems = Vec::new();
    for row in rows {
        let (path, bucket, object, class) = (row.path, row.bucket, row.object, row.class);
        let (response, hits) = ctx.origin_hits_during(&ctx.edge, || ctx.curl(path, &[]));
        let mut check = |ok: bool, what: String| {
            if !ok {
                problems.push(format!("{path}: {what}"));
            }
        };
        check(
            response.status == 200,
            format!("status {}", response.status),
        );
        check(
            response.body == ctx.origin.object(bucket, object),
            format!("body differs from {bucket}/{object}"),
        );
        let cache_control = response.header("cache-control").unwrap_or("");
        check(
            cache_control == expected_cache_control(class),
            format!("cache-control {cache_control:?} for a {class}"),
        );
        let keys: Vec<&str> = response
            .header("surrogate-key")
            .unwrap_or("")
            .split(' ')
            .collect();
        let class_key = if class == "marker" { "markers" } else { class };
        check(
            keys.contains(&class_key),
            format!("surrogate keys {keys:?} lack {class_key}"),
        );
        if let Some(release) = row.release {
            check(
                keys.contains(&release),
                format!("surrogate keys {keys:?} lack {release}"),
            );
        }
        let origin_uri = format!("/{bucket}/{}", object.replace('+', "%2B"));
        let asked: Vec<&str> = hits.iter().map(|h| h.uri.as_str()).collect();
        check(
            asked == [origin_uri.as_str()],
            format!("origin was asked {asked:?}, expected {origin_uri}"),
        );
        let leaked: Vec<&String> = response
            .headers
            .iter()
            .map(|(n, _)| n)
            .filter(|n| n.starts_with("x-goog-") || *n == "x-guploader-uploadid")
            .collect();
        check(
            leaked.is_empty(),
            format!("origin headers leaked: {leaked:?}"),
        );
        check(
            response.header("access-control-allow-origin") == Some("*"),
            "no CORS header".into(),
        );
        check(
            response.header("x-content-type-options") == Some("nosniff"),
            "no nosniff".into(),
        );
        let is_checksum = [
            ".sha256",
            ".sha512",
            ".sig",
            ".cert",
            "SHA256SUMS",
            "SHA512SUMS",
        ]
        .iter()
        .any(|s| object.ends_with(s));
        if is_checksum {
            check(
                response.header("content-type") == Some("text/plain; charset=utf-8"),
                format!("content-type {:?}", response.header("content-type")),
            );
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn alias_shares_object(ctx: &Ctx) {
    let alias = ctx.curl("/v1.31.0/bin/linux/amd64/kubectl", &[]);
    let full = ctx.curl("/release/v1.31.0/bin/linux/amd64/kubectl", &[]);
    assert_eq!(alias.status, 200);
    assert_eq!(alias.body, full.body);
    assert_eq!(alias.header("surrogate-key"), full.header("surrogate-key"));
}

/// Keys in the object's `x-goog-meta-surrogate-key` metadata join the
/// request's own; the metadata header itself does not reach the client.
fn metadata_surrogate_keys(ctx: &Ctx) {
    ctx.origin.set_metadata(
        "kubernetes-release",
        "release/release-notes-index.json",
        "surrogate-key",
        "release-notes docs",
    );
    let r = ctx.curl("/release/release-notes-index.json", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("surrogate-key"),
        Some("mutable release-notes docs")
    );
    assert!(!r.has_header("x-goog-meta-surrogate-key"));
}

//! Config Store variations, each in its own Viceroy instance.

use crate::Ctx;

pub const CASES: &[crate::Case] = &[
    (
        "virtual_host_style_and_an_allowlist",
        virtual_host_and_allowlist,
    ),
    (
        "bad_config_values_fall_back_and_serving_goes_on",
        bad_config_falls_back,
    ),
];

fn virtual_host_and_allowlist(ctx: &Ctx) {
    let edge = ctx
        .edge_with(r#"{"origin_style":"virtual-host","allowed_prefixes":"/release/,/index.html"}"#);
    let curl = |path: &str| crate::http::curl(&ctx.work, edge.port, &edge.url(path), &[]);
    let (r, hits) = ctx.origin_hits_during(&edge, || curl("/release/latest-1.31.txt"));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        ctx.origin
            .object("kubernetes-release", "release/latest-1.31.txt")
    );
    let asked: Vec<&str> = hits.iter().map(|h| h.uri.as_str()).collect();
    assert_eq!(
        asked,
        ["/release/latest-1.31.txt"],
        "the bucket is in the Host, not the path"
    );

    let (r, hits) = ctx.origin_hits_during(&edge, || {
        curl("/network-plugins/cni-plugins-amd64-v0.6.0.tgz")
    });
    assert_eq!(r.status, 404);
    assert_eq!(r.text(), "not found\n");
    assert!(
        hits.is_empty(),
        "outside the allowlist nothing is fetched: {hits:?}"
    );
}

fn bad_config_falls_back(ctx: &Ctx) {
    let edge =
        ctx.edge_with(r#"{"ttl_marker":"soon","routes":"not json","origin_style":"sideways"}"#);
    let r = crate::http::curl(&ctx.work, edge.port, &edge.url("/release/stable.txt"), &[]);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("cache-control"),
        Some("public, max-age=60"),
        "the default marker TTL"
    );
    let output = edge.output();
    for key in ["ttl_marker", "routes", "origin_style"] {
        assert!(
            output.contains(&format!("config key {key} =")),
            "a warning names {key}: {output}"
        );
    }
}

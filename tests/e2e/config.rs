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

/// Bad values, a log endpoint list with an unknown format among them, fall
/// back to their defaults: the request is served, logged on the default
/// endpoint, and the service log says what was wrong.
fn bad_config_falls_back(ctx: &Ctx) {
    let edge = ctx.edge_with(
        r#"{"ttl_marker":"soon","routes":"not json","origin_style":"sideways",
            "log_endpoints":"[{\"name\":\"splunk\",\"format\":\"xml\"}]",
            "warning_sample_rate":"1"}"#,
    );
    let r = crate::http::curl(&ctx.work, edge.port, &edge.url("/release/stable.txt"), &[]);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("cache-control"),
        Some("public, max-age=60"),
        "the default marker TTL"
    );
    let warnings = edge.wait_for_log_lines("dl_edge_service", 4);
    for key in ["ttl_marker", "routes", "origin_style", "log_endpoints"] {
        assert!(
            warnings.iter().any(|w| w["kind"] == "config"
                && w["level"] == "warn"
                && w["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains(&format!("config key {key} ="))),
            "a service-log warning names {key}: {warnings:?}"
        );
    }
    let lines = edge.wait_for_log_lines("splunk", 1);
    assert_eq!(lines.len(), 1, "logged on the default endpoint");
    assert_eq!(lines[0]["event"]["config_warnings"], 4);
    assert_eq!(lines[0]["event"]["response"]["status"], 200);
}

//! Config Store variations, each in its own Viceroy instance.

use dl_edge_testkit::stack::mentions;

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
    ("overrides_expire_on_their_own_and_are_logged", overrides),
    (
        "a_snapshot_is_read_alone_and_one_it_cannot_trust_is_refused",
        snapshot,
    ),
];

/// With a `snapshot`, the service serves its values, not the keys' one by
/// one, except `overrides`, always read on its own; a snapshot naming an
/// unknown key is refused whole and reported, and the keys are read one
/// by one.
fn snapshot(ctx: &Ctx) {
    let marker_ttl = |config: &str| {
        let edge = ctx.edge_with(config);
        let r = dl_edge_testkit::http::curl(
            &ctx.work,
            edge.port,
            &edge.url("/release/stable.txt"),
            &[],
        );
        assert_eq!(r.status, 200, "{config}");
        (r.header("cache-control").map(str::to_owned), edge)
    };
    let (served, edge) = marker_ttl(r#"{"snapshot":"{\"ttl_marker\":\"7\"}","ttl_marker":"60"}"#);
    assert_eq!(served.as_deref(), Some("public, max-age=7"));
    assert_eq!(
        edge.wait_for_log_lines("splunk", 1)[0]["event"]["config_warnings"],
        0
    );
    // As `dl-edge-ops config export` writes it: a JSON value in place.
    let (served, edge) = marker_ttl(
        r#"{"snapshot":"{\"ttl_marker\":\"9\",\"routes\":[{\"prefix\":\"/\",\"bucket\":\"kubernetes-release\"}]}"}"#,
    );
    assert_eq!(served.as_deref(), Some("public, max-age=9"));
    assert_eq!(
        edge.wait_for_log_lines("splunk", 1)[0]["event"]["config_warnings"],
        0,
        "the routes in place are read as routes"
    );
    // An emergency override is read on its own, snapshot or not.
    let (served, _edge) = marker_ttl(
        r#"{"snapshot":"{\"ttl_marker\":\"7\"}","overrides":"[{\"name\":\"short\",\"kind\":\"max_ttl\",\"seconds\":5,\"expires\":\"2099-01-01T00:00:00Z\"}]"}"#,
    );
    assert_eq!(served.as_deref(), Some("public, max-age=5"));
    let (served, edge) = marker_ttl(
        r#"{"snapshot":"{\"tll_marker\":\"7\"}","ttl_marker":"45","warning_sample_rate":"1"}"#,
    );
    assert_eq!(served.as_deref(), Some("public, max-age=45"));
    let events = edge.wait_for_service_events(1);
    assert!(
        mentions(&events, "config key snapshot refused (names \"tll_marker\""),
        "{events:?}"
    );
}

fn virtual_host_and_allowlist(ctx: &Ctx) {
    let edge = ctx
        .edge_with(r#"{"origin_style":"virtual-host","allowed_prefixes":"/release/,/index.html"}"#);
    let curl = |path: &str| dl_edge_testkit::http::curl(&ctx.work, edge.port, &edge.url(path), &[]);
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
    let r =
        dl_edge_testkit::http::curl(&ctx.work, edge.port, &edge.url("/release/stable.txt"), &[]);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("cache-control"),
        Some("public, max-age=60"),
        "the default marker TTL"
    );
    let warnings = edge.wait_for_service_events(4);
    // The service log is in HEC form by default, and every line matches
    // docs/service-log.schema.json.
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(ctx.root.join("docs/service-log.schema.json")).unwrap(),
    )
    .unwrap();
    let schema = jsonschema::validator_for(&schema).unwrap();
    for line in edge.log_lines(dl_edge_testkit::stack::SERVICE_LOG) {
        assert_eq!(line["sourcetype"], "dl-edge:service", "{line}");
        assert!(schema.is_valid(&line), "{line}");
    }
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

/// An override whose expiry has passed changes nothing; one in the future
/// takes effect and every line names it.
fn overrides(ctx: &Ctx) {
    let list = r#"[
        {"name":"gone","kind":"force_bucket","prefix":"/release/","bucket":"no-such-bucket","expires":"2020-01-01T00:00:00Z"},
        {"name":"short-ttl","kind":"max_ttl","seconds":30,"expires":"2099-01-01T00:00:00Z"}]"#;
    let config = format!(
        r#"{{"overrides": {}, "warning_sample_rate": "1"}}"#,
        serde_json::to_string(list).unwrap()
    );
    let edge = ctx.edge_with(&config);
    let r = dl_edge_testkit::http::curl(
        &ctx.work,
        edge.port,
        &edge.url("/release/v1.31.0/bin/linux/amd64/kubectl"),
        &[],
    );
    assert_eq!(
        r.status, 200,
        "the expired override to a missing bucket did nothing"
    );
    assert_eq!(
        r.header("cache-control"),
        Some("public, max-age=30, immutable")
    );
    let line = &edge.wait_for_log_lines("splunk", 1)[0]["event"];
    assert_eq!(line["overrides"], serde_json::json!(["short-ttl"]));
    assert_eq!(line["routing"]["bucket"], "kubernetes-release");
    let notices: Vec<String> = edge
        .wait_for_service_events(2)
        .iter()
        .filter(|l| l["kind"] == "override")
        .map(|l| l["message"].as_str().unwrap_or("").to_owned())
        .collect();
    assert!(
        notices
            .iter()
            .any(|m| m == "override gone expired at 2020-01-01T00:00:00Z; ignored"),
        "{notices:?}"
    );
    assert!(
        notices
            .iter()
            .any(|m| m == "override short-ttl in force until 2099-01-01T00:00:00Z"),
        "{notices:?}"
    );
}

//! Edge and shield: two Viceroy instances of the same Wasm. Clients on
//! different loopback addresses are placed in different region groups by
//! Viceroy's geolocation table.

use dl_edge_testkit::http::curl;
use dl_edge_testkit::proxy::{start_faulty, Fault, Proxy};
use dl_edge_testkit::stack::{mentions, Edge};
use dl_edge_testkit::viceroy::{loopback, Geo, Site, ViceroyConfig};

use crate::Ctx;

pub const CASES: &[crate::Case] = &[
    (
        "edges_reach_the_planned_shield_and_only_the_shield_fetches",
        shielding,
    ),
    (
        "the_shield_hop_keeps_one_cache_ttl_and_purge_keys",
        one_cache,
    ),
    (
        "a_failed_or_slow_shield_passes_to_the_next_candidate",
        shield_failover,
    ),
];

const TOKEN: &str = "e2e-shield-token";
const RELEASE: &str = "/release/v1.31.0/bin/linux/amd64/kubectl";
const PLAN: &str = r#"{"groups":{"na-east":["iad-va-us"],"europe-central":["frankfurt-de"]},"default":["chi-il-us"],"unversioned":["chi-il-us"]}"#;

/// A shield: every one of `local_sites` is this POP.
fn shield_config(origin_port: u16, config: &str, local_sites: &[&str]) -> ViceroyConfig {
    let mut viceroy = ViceroyConfig::on_loopback(origin_port)
        .config_json(config)
        .secret("shield_token", TOKEN);
    for code in local_sites {
        viceroy = viceroy.shielding_site(code, Site::Local);
    }
    viceroy
}

/// An edge whose shield POPs are all the Viceroy at `shield_port`, with
/// geolocation for two loopback clients: Virginia and Germany.
fn toward_shield(origin_port: u16, config: &str, shield_port: u16) -> ViceroyConfig {
    let mut viceroy = ViceroyConfig::on_loopback(origin_port)
        .config_json(config)
        .secret("shield_token", TOKEN);
    for (ip, continent, country, country3, region, city, lat, lon) in [
        (
            "127.0.0.2",
            "NA",
            "US",
            "USA",
            "VA",
            "Ashburn",
            39.04,
            -77.49,
        ),
        (
            "127.0.0.3",
            "EU",
            "DE",
            "DEU",
            "HE",
            "Frankfurt",
            50.11,
            8.68,
        ),
    ] {
        viceroy = viceroy.geolocation(Geo {
            ip: ip.into(),
            continent: continent.into(),
            country_code: country.into(),
            country_code3: country3.into(),
            region: region.into(),
            city: city.into(),
            latitude: lat,
            longitude: lon,
        });
    }
    for code in ["iad-va-us", "frankfurt-de"] {
        viceroy = viceroy.shielding_site(code, Site::At(loopback(shield_port)));
    }
    viceroy
}

fn get_from(
    ctx: &Ctx,
    edge: &Edge,
    client_ip: &str,
    path: &str,
    extra: &[&str],
) -> dl_edge_testkit::http::Response {
    let mut args = vec!["--interface", client_ip];
    args.extend_from_slice(extra);
    curl(&ctx.work, edge.port, &edge.url(path), &args)
}

fn origin_requests(proxy: &Proxy) -> Vec<String> {
    proxy.requests().into_iter().map(|h| h.line).collect()
}

fn shielding(ctx: &Ctx) {
    let kubectl = ctx.origin.object("kubernetes-release", &RELEASE[1..]);
    let edge_config = format!(
        r#"{{"shield_plan": {}, "warning_sample_rate": "1", "hosts": "dl.k8s.io"}}"#,
        serde_json::to_string(PLAN).unwrap()
    );
    // The shield: both shield POPs are "this POP"; it reaches the emulator
    // directly.
    let shield = ctx.start_edge(&shield_config(
        ctx.origin.port,
        r#"{"warning_sample_rate": "1"}"#,
        &["iad-va-us", "frankfurt-de"],
    ));
    // The edge reaches the origin only through a recording proxy, to show
    // that it never does when its shield answers.
    let edge_origin = Proxy::start(ctx.origin.port);
    let edge = ctx.start_edge(&toward_shield(edge_origin.port, &edge_config, shield.port));

    for (hop, (client, group, expected_shield)) in [
        ("127.0.0.2", "na-east", "iad-va-us"),
        ("127.0.0.3", "europe-central", "frankfurt-de"),
    ]
    .into_iter()
    .enumerate()
    {
        let r = get_from(ctx, &edge, client, RELEASE, &[]);
        assert_eq!(r.status, 200, "{client}");
        assert_eq!(r.body, kubectl, "{client}: the bytes");
        let line = edge
            .wait_for_log_lines("splunk", 1)
            .last()
            .cloned()
            .unwrap();
        let e = &line["event"];
        assert_eq!(e["routing"]["role"], "edge");
        assert_eq!(e["routing"]["shield"], expected_shield, "{client}");
        assert_eq!(e["routing"]["shield_rule"], format!("group:{group}"));
        assert_eq!(e["client"]["group"], group);
        assert_eq!(e["client"]["locality_source"], "geo");
        // The shield writes its line once its answer has gone out, so it
        // may land just after the edge's.
        let at_shield = shield.wait_for_log_lines("splunk", hop + 1);
        let last = at_shield.last().expect("the shield logged the hop");
        assert_eq!(last["event"]["routing"]["role"], "shield");
        assert_eq!(last["event"]["routing"]["shield"], expected_shield);
    }
    // Two client requests, each shielded: two edge lines and two shield
    // lines, and the operator's report counts two requests.
    let mut lines = edge.output();
    lines.push_str(&shield.output());
    let report = report_of(ctx, &lines);
    assert_eq!(report["requests"], 2, "{report}");
    assert_eq!(report["shield_lines"], 2, "{report}");
    assert!(
        origin_requests(&edge_origin).is_empty(),
        "the edge went to the origin: {:?}",
        origin_requests(&edge_origin)
    );
    let shield_fetches = ctx
        .origin
        .hits()
        .iter()
        .filter(|h| h.uri.ends_with("/v1.31.0/bin/linux/amd64/kubectl"))
        .count();
    assert!(shield_fetches >= 2, "the shield fetched from the emulator");

    // A forged header to the edge is ignored: the edge still shields, and
    // says so on the service log.
    let before = shield.log_lines("splunk").len();
    let r = get_from(
        ctx,
        &edge,
        "127.0.0.2",
        RELEASE,
        &["-H", "dl-edge-shield: iad-va-us;guess"],
    );
    assert_eq!(r.status, 200);
    let line = edge
        .wait_for_log_lines("splunk", 3)
        .last()
        .cloned()
        .unwrap();
    assert_eq!(line["event"]["routing"]["role"], "edge");
    assert_eq!(line["event"]["routing"]["shield"], "iad-va-us");
    assert_eq!(
        shield.wait_for_log_lines("splunk", before + 1).len(),
        before + 1,
        "it still went through the shield"
    );
    assert!(
        mentions(&edge.service_events(), "without a valid token"),
        "the forged header is reported"
    );
    // The same forgery sent straight to the shield does not make it a
    // shield hop.
    let r = curl(
        &ctx.work,
        shield.port,
        &shield.url(RELEASE),
        &["-H", "dl-edge-shield: iad-va-us;guess"],
    );
    assert_eq!(r.status, 200);
    let last = shield
        .wait_for_log_lines("splunk", before + 2)
        .last()
        .cloned()
        .unwrap();
    assert_eq!(last["event"]["routing"]["role"], "edge");

    // log_at_shield = false: the shield writes no line; the edge's line is
    // the only one for the client request.
    let quiet = ctx.start_edge(&shield_config(
        ctx.origin.port,
        r#"{"log_at_shield": "false"}"#,
        &["iad-va-us"],
    ));
    let quiet_edge = ctx.start_edge(&toward_shield(ctx.origin.port, &edge_config, quiet.port));
    let r = get_from(ctx, &quiet_edge, "127.0.0.2", RELEASE, &[]);
    assert_eq!(r.status, 200);
    assert_eq!(
        quiet_edge.wait_for_log_lines("splunk", 1)[0]["event"]["routing"]["shield"],
        "iad-va-us"
    );
    assert!(
        quiet.log_lines("splunk").is_empty(),
        "the shield wrote a line"
    );

    // A candidate the platform does not know (not in this Viceroy's
    // shielding sites) is skipped for the next one. Pick one that the
    // rendezvous order puts first for this release.
    let unknown = ranks_first(RELEASE);
    let plan = format!(r#"{{"groups":{{"na-east":["{unknown}","iad-va-us"]}}}}"#);
    let config = format!(
        r#"{{"shield_plan": {}, "warning_sample_rate": "1"}}"#,
        serde_json::to_string(&plan).unwrap()
    );
    let skipping = ctx.start_edge(&toward_shield(ctx.origin.port, &config, shield.port));
    let r = get_from(ctx, &skipping, "127.0.0.2", RELEASE, &[]);
    assert_eq!(r.status, 200);
    assert_eq!(
        skipping.wait_for_log_lines("splunk", 1)[0]["event"]["routing"]["shield"],
        "iad-va-us"
    );
    assert!(
        mentions(
            &skipping.service_events(),
            &format!("{unknown} is unknown here")
        ),
        "the skipped candidate is reported"
    );

    // A shield that is down: the client still gets its bytes, from the origin.
    let dead_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let lonely_origin = Proxy::start(ctx.origin.port);
    let lonely = ctx.start_edge(&toward_shield(lonely_origin.port, &edge_config, dead_port));
    let r = get_from(ctx, &lonely, "127.0.0.2", RELEASE, &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, kubectl);
    assert_eq!(
        origin_requests(&lonely_origin).len(),
        1,
        "fetched from the origin itself"
    );
    assert!(
        lonely
            .wait_for_service_events(1)
            .iter()
            .any(|w| w["kind"] == "shield"),
        "the unreachable shield is reported"
    );
}

/// The edge's config for a plan given as JSON text.
fn config_with_plan(plan: &str) -> String {
    format!(
        r#"{{"shield_plan": {}, "warning_sample_rate": "1", "hosts": "dl.k8s.io,cdn.dl.k8s.io"}}"#,
        serde_json::to_string(plan).unwrap()
    )
}

/// A shield code that ranks before `iad-va-us` for `path` in na-east,
/// so that a test can make it the first candidate tried.
fn ranks_first(path: &str) -> &'static str {
    [
        "bos-ma-us",
        "lga-ny-us",
        "miami-fl-us",
        "dallas-tx-us",
        "den-co-us",
    ]
    .into_iter()
    .find(|code| {
        let plan = format!(r#"{{"groups":{{"na-east":["{code}","iad-va-us"]}}}}"#);
        let (plan, _) = dl_edge::shield::Plan::parse(&plan).unwrap();
        let c = plan.choose(
            &dl_edge::artifact::classify::classify(path),
            path,
            dl_edge::locality::RegionGroup::NaEast,
        );
        c.candidates[0] == *code
    })
    .expect("one of five ranks first")
}

/// Behind a shield the edge stays one cache with it: the TTL counts from
/// the shield's `Age`, the object's purge keys come through, and every
/// hostname and the version alias ask the shield for the same object.
fn one_cache(ctx: &Ctx) {
    // The shield's origin answers with `age: 25`, as a cache would.
    let aged_origin = Proxy::start_adding(ctx.origin.port, "age: 25");
    let shield = ctx.start_edge(&shield_config(
        aged_origin.port,
        r#"{"warning_sample_rate": "1"}"#,
        &["iad-va-us"],
    ));
    let edge = ctx.start_edge(&toward_shield(
        ctx.origin.port,
        &config_with_plan(r#"{"default":["iad-va-us"]}"#),
        shield.port,
    ));

    // TTL: a marker (60 s) that is 25 s old at the shield has 35 s left.
    let r = get_from(ctx, &edge, "127.0.0.2", "/release/stable.txt", &[]);
    assert_eq!(r.status, 200);
    let line = edge.wait_for_log_lines("splunk", 1)[0]["event"].clone();
    assert_eq!(line["routing"]["shield"], "iad-va-us");
    assert_eq!(line["response"]["ttl"], 35, "{line}");
    let at_shield = shield.wait_for_log_lines("splunk", 1)[0]["event"].clone();
    assert_eq!(
        at_shield["response"]["ttl"], 60,
        "the shield's own TTL counts from its origin fetch"
    );

    // Purge keys from the object's metadata reach the edge's copy.
    ctx.origin.set_metadata(
        "kubernetes-release",
        "release/latest-1.txt",
        "surrogate-key",
        "stable-markers",
    );
    let r = get_from(ctx, &edge, "127.0.0.2", "/release/latest-1.txt", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("surrogate-key"),
        Some("markers release/latest-1.txt stable-markers"),
        "the edge keeps the object's own key"
    );

    // One object, whatever the hostname and the alias.
    let before = shield.log_lines("splunk").len();
    for (host, path) in [
        ("dl.k8s.io", "/v1.31.0/bin/linux/amd64/kubectl"),
        ("cdn.dl.k8s.io", "/release/v1.31.0/bin/linux/amd64/kubectl"),
        ("cdn.dl.k8s.io", "/v1.31.0/bin/linux/amd64/kubectl"),
    ] {
        let host_header = format!("host: {host}");
        let r = get_from(ctx, &edge, "127.0.0.2", path, &["-H", &host_header]);
        assert_eq!(r.status, 200, "{host}{path}");
    }
    let lines = shield.wait_for_log_lines("splunk", before + 3);
    for line in &lines[before..] {
        let request = &line["event"]["request"];
        assert_eq!(request["host"], "dl.k8s.io", "{request}");
        assert_eq!(
            request["path"], "/release/v1.31.0/bin/linux/amd64/kubectl",
            "{request}"
        );
    }
}

/// A shield that refuses the connection, or says nothing within the
/// plan's first-byte timeout, passes the request to the next candidate,
/// and the service log says so.
fn shield_failover(ctx: &Ctx) {
    let shield = ctx.start_edge(&shield_config(
        ctx.origin.port,
        r#"{"warning_sample_rate": "1"}"#,
        &["iad-va-us"],
    ));
    let first = ranks_first(RELEASE);
    let dead_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (stall_port, _) = start_faulty(Fault::Stall);
    for (what, first_port) in [("refused", dead_port), ("stalled", stall_port)] {
        let plan = format!(
            r#"{{"groups":{{"na-east":["{first}","iad-va-us"]}},"timeouts":{{"first_byte_ms":1000,"between_bytes_ms":1000}}}}"#
        );
        let edge_origin = Proxy::start(ctx.origin.port);
        let edge = ctx.start_edge(
            &toward_shield(edge_origin.port, &config_with_plan(&plan), shield.port)
                .shielding_site(first, Site::At(loopback(first_port))),
        );
        let before = shield.log_lines("splunk").len();
        // Well inside the 15 s the platform would wait without the plan's
        // timeout.
        let r = get_from(ctx, &edge, "127.0.0.2", RELEASE, &["--max-time", "8"]);
        assert_eq!(r.status, 200, "{what}");
        let line = edge.wait_for_log_lines("splunk", 1)[0]["event"].clone();
        assert_eq!(line["routing"]["shield"], "iad-va-us", "{what}: {line}");
        assert_eq!(
            shield.wait_for_log_lines("splunk", before + 1).len(),
            before + 1,
            "{what}: the next candidate served"
        );
        assert!(
            origin_requests(&edge_origin).is_empty(),
            "{what}: the edge went to the origin"
        );
        assert!(
            edge.wait_for_service_events(1)
                .iter()
                .any(|w| w["kind"] == "shield"
                    && w["message"]
                        .as_str()
                        .unwrap_or("")
                        .contains(&format!("shield {first} gave no answer"))),
            "{what}: the failed shield is reported"
        );
    }
}

/// `dl-edge-ops report --json` over some lines of Viceroy output.
fn report_of(ctx: &Ctx, lines: &str) -> serde_json::Value {
    use std::io::Write;
    let mut child = std::process::Command::new(&ctx.ops)
        .args(["report", "--json", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run dl-edge-ops");
    child
        .stdin
        .take()
        .expect("its stdin")
        .write_all(lines.as_bytes())
        .expect("feed it the lines");
    let out = child.wait_with_output().expect("dl-edge-ops report");
    assert!(out.status.success(), "dl-edge-ops report failed");
    serde_json::from_slice(&out.stdout).expect("a JSON report")
}

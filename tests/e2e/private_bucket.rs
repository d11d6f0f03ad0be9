//! Private buckets: origin requests signed with GCS HMAC keys, checked by a
//! verifying proxy in front of the emulator.

use dl_edge_testkit::http::curl;
use dl_edge_testkit::proxy::{Proxy, RequestHead};
use dl_edge_testkit::stack::mentions;
use dl_edge_testkit::viceroy::ViceroyConfig;

use crate::Ctx;

pub const CASES: &[crate::Case] = &[("signed_requests_pass_and_a_wrong_key_is_reported", signed)];

const ACCESS: &str = "GOOG1E2EACCESSKEY";
const SECRET: &str = "e2e-hmac-secret-value";

/// An edge whose `gcs` backend is `gate`, with these Config Store items
/// and, given a secret, HMAC keys for `kubernetes-release`.
fn edge_config(gate: &Proxy, config: &str, secret: Option<&str>) -> ViceroyConfig {
    let viceroy = ViceroyConfig::on_loopback(gate.port).config_json(config);
    match secret {
        Some(secret) => viceroy
            .secret("hmac.kubernetes-release.access_key", ACCESS)
            .secret("hmac.kubernetes-release.secret_key", secret),
        None => viceroy,
    }
}

/// What the verifying proxy checks: SigV4 with these keys, as GCS's
/// S3-compatible API would.
struct Verify {
    access_key: String,
    secret_key: String,
}

fn signed(ctx: &Ctx) {
    let verify = Verify {
        access_key: ACCESS.into(),
        secret_key: SECRET.into(),
    };
    let gate = Proxy::start_gated(ctx.origin.port, move |head| signature_valid(head, &verify));
    let config = r#"{"signed_buckets": "kubernetes-release", "warning_sample_rate": "1"}"#;

    let edge = ctx.start_edge(&edge_config(&gate, config, Some(SECRET)));
    let r = curl(
        &ctx.work,
        edge.port,
        &edge.url("/release/v1.31.0/bin/linux/amd64/kubectl"),
        &["-H", "Range: bytes=0-9"],
    );
    assert_eq!(r.status, 206, "a valid signature is accepted");
    assert_eq!(
        r.body,
        ctx.origin.object(
            "kubernetes-release",
            "release/v1.31.0/bin/linux/amd64/kubectl"
        )[..10]
    );
    let r = curl(
        &ctx.work,
        edge.port,
        &edge.url("/ci/v1.33.0-alpha.1.111+4bd4a6da5c0b0f/kubernetes-server-linux-amd64.tar.gz"),
        &["-I"],
    );
    assert_eq!(
        r.status, 403,
        "an unsigned bucket is not signed, and this proxy refuses it"
    );
    let seen = gate.seen();
    let signed_head = seen
        .iter()
        .find(|h| h.line.contains("kubectl"))
        .expect("the kubectl request");
    assert!(signed_head
        .header("authorization")
        .unwrap()
        .starts_with(&format!("AWS4-HMAC-SHA256 Credential={ACCESS}/")));
    assert!(signed_head
        .header("authorization")
        .unwrap()
        .contains("/auto/s3/aws4_request"));
    assert!(seen
        .iter()
        .filter(|h| h.line.contains("/ci/"))
        .all(|h| h.header("authorization").is_none()));
    let text = edge.output();
    let signature = signed_head
        .header("authorization")
        .unwrap()
        .rsplit("Signature=")
        .next()
        .unwrap();
    assert!(
        !text.contains(signature) && !text.contains(SECRET),
        "a signature or secret was logged"
    );

    // The wrong key: the origin refuses, the client gets a 502 and the
    // service log says which bucket and why.
    let wrong = ctx.start_edge(&edge_config(&gate, config, Some("not-the-secret")));
    let r = curl(
        &ctx.work,
        wrong.port,
        &wrong.url("/release/stable.txt"),
        &[],
    );
    assert_eq!(r.status, 502);
    assert_eq!(
        r.text(),
        "bad gateway: the origin refused the service's credentials\n"
    );
    let errors = wrong.wait_for_service_events(1);
    assert!(
        errors.iter().any(|e| e["level"] == "error"
            && e["kind"] == "origin"
            && e["message"]
                .as_str()
                .unwrap_or("")
                .contains("refused the signed request for bucket kubernetes-release (403)")),
        "{errors:?}"
    );
    let line = &wrong.wait_for_log_lines("splunk", 1)[0]["event"];
    assert_eq!(line["response"]["status"], 502);
    assert_eq!(line["error"]["kind"], "origin");
    assert!(!wrong.output().contains("not-the-secret"));

    // No keys at all for a signed bucket: a clear 503 and an error, nothing sent.
    let before = gate.requests().len();
    let keyless = ctx.start_edge(&edge_config(&gate, config, None));
    let r = curl(
        &ctx.work,
        keyless.port,
        &keyless.url("/release/stable.txt"),
        &[],
    );
    assert_eq!(r.status, 503);
    let errors = keyless.wait_for_service_events(1);
    assert!(mentions(
        &errors,
        "has no hmac.kubernetes-release.access_key"
    ));
    assert_eq!(
        gate.requests().len(),
        before,
        "nothing but Viceroy's start-up probe reached the origin"
    );
}

/// Recomputes the request's SigV4 signature from what it signed, with the
/// proxy's keys, and compares.
fn signature_valid(head: &RequestHead, verify: &Verify) -> bool {
    let Some(auth) = head.header("authorization") else {
        return false;
    };
    let field = |name: &str| {
        auth.split([' ', ','])
            .find_map(|part| part.strip_prefix(name))
            .unwrap_or("")
    };
    let credential: Vec<&str> = field("Credential=").split('/').collect();
    let [access_key, date, region, service, "aws4_request"] = credential[..] else {
        return false;
    };
    if access_key != verify.access_key {
        return false;
    }
    let signed: Vec<&str> = field("SignedHeaders=").split(';').collect();
    let values: Option<Vec<(&str, &str)>> = signed
        .iter()
        .map(|n| head.header(n).map(|v| (*n, v)))
        .collect();
    let (Some(values), Some(amz_date)) = (values, head.header("x-amz-date")) else {
        return false;
    };
    if !amz_date.starts_with(date) {
        return false;
    }
    let mut parts = head.line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let request = dl_edge::origin::sigv4::Unsigned {
        method,
        canonical_path: path,
        canonical_query: query,
        headers: &values,
        payload_sha256: head.header("x-amz-content-sha256").unwrap_or(""),
    };
    let scope = dl_edge::origin::sigv4::Scope { region, service };
    let (_, expected) =
        dl_edge::origin::sigv4::signature(&request, amz_date, scope, &verify.secret_key);
    field("Signature=") == expected
}

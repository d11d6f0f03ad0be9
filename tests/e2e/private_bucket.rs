//! Private buckets: origin requests signed with GCS HMAC keys, checked by a
//! verifying proxy in front of the emulator.

use crate::http::curl;
use crate::proxy::{Proxy, Verify};
use crate::Ctx;

pub const CASES: &[crate::Case] = &[("signed_requests_pass_and_a_wrong_key_is_reported", signed)];

const ACCESS: &str = "GOOG1E2EACCESSKEY";
const SECRET: &str = "e2e-hmac-secret-value";

fn keys(secret: &str) -> String {
    format!(
        "\n[local_server.secret_stores]\ndl_edge_secrets = [{{ key = \"hmac.kubernetes-release.access_key\", data = \"{ACCESS}\" }}, {{ key = \"hmac.kubernetes-release.secret_key\", data = \"{secret}\" }}]\n"
    )
}

fn signed(ctx: &Ctx) {
    let verify = Verify {
        access_key: ACCESS.into(),
        secret_key: SECRET.into(),
    };
    let gate = Proxy::start_verifying(ctx.origin.port, verify);
    let config = r#"{"signed_buckets": "kubernetes-release", "warning_sample_rate": "1"}"#;

    let edge = ctx.edge_with_toml(gate.port, config, &keys(SECRET));
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
    let wrong = ctx.edge_with_toml(gate.port, config, &keys("not-the-secret"));
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
    let errors = wrong.wait_for_log_lines("dl_edge_service", 1);
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
    let keyless = ctx.edge_with_toml(gate.port, config, "");
    let r = curl(
        &ctx.work,
        keyless.port,
        &keyless.url("/release/stable.txt"),
        &[],
    );
    assert_eq!(r.status, 503);
    let errors = keyless.wait_for_log_lines("dl_edge_service", 1);
    assert!(errors.iter().any(|e| e["message"]
        .as_str()
        .unwrap_or("")
        .contains("has no hmac.kubernetes-release.access_key")));
    assert_eq!(
        gate.requests().len(),
        before,
        "nothing but Viceroy's start-up probe reached the origin"
    );
}

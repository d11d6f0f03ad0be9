//! AWS Signature Version 4, as GCS accepts it with HMAC keys on its
//! S3-compatible XML API (product rule 10): service `s3`, region `auto`,
//! and `x-amz-content-sha256` carrying the hash of the (empty) payload.
//!
//! Pure: the time comes in as an argument, as `YYYYMMDDTHHMMSSZ`. Verified
//! against AWS's published examples in the tests below.

use hmac::{Hmac, Mac};

use crate::primitives::few;
use crate::primitives::hex::encode;
use sha2::{Digest, Sha256};

/// SHA-256 of the empty payload, hex: what a GET or HEAD signs.
pub const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// An HMAC key pair. The secret never leaves this module's arguments: it is
/// not `Debug`, so it cannot end up in a log line by accident.
pub struct Credentials {
    pub access_key: String,
    pub secret_key: String,
}

/// Where a signature is valid.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub region: &'a str,
    pub service: &'a str,
}

/// The scope GCS's S3-compatible API expects.
pub const GCS: Scope<'static> = Scope {
    region: "auto",
    service: "s3",
};

/// A request to sign: the canonical path must already be percent-encoded
/// (as `route::encode_object` does; `+` as `%2B`); the query is in its
/// canonical form (sorted, encoded), empty for object GETs. `headers` are
/// the headers to sign, names in any case; `host` and `x-amz-date` must be
/// among them.
pub struct Unsigned<'a> {
    pub method: &'a str,
    pub canonical_path: &'a str,
    pub canonical_query: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub payload_sha256: &'a str,
}

/// The `Authorization` header value for a request signed at `amz_date`.
pub fn authorization(
    request: &Unsigned<'_>,
    amz_date: &str,
    scope: Scope<'_>,
    credentials: &Credentials,
) -> String {
    let (signed_headers, signature) = signature(request, amz_date, scope, &credentials.secret_key);
    let date = &amz_date[..amz_date.len().min(8)];
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{date}/{}/{}/aws4_request, SignedHeaders={signed_headers}, Signature={signature}",
        credentials.access_key, scope.region, scope.service
    )
}

/// The signed header list and the hex signature.
pub fn signature(
    request: &Unsigned<'_>,
    amz_date: &str,
    scope: Scope<'_>,
    secret: &str,
) -> (String, String) {
    let mut headers: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.to_ascii_lowercase(),
                v.split_whitespace().collect::<Vec<_>>().join(" "),
            )
        })
        .collect();
    few::sort_by(&mut headers, |a, b| a < b);
    let signed_headers = headers
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical_headers: String = headers.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    let canonical_request = format!(
        "{}\n{}\n{}\n{canonical_headers}\n{signed_headers}\n{}",
        request.method, request.canonical_path, request.canonical_query, request.payload_sha256
    );
    let date = &amz_date[..amz_date.len().min(8)];
    let credential_scope = format!("{date}/{}/{}/aws4_request", scope.region, scope.service);
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{credential_scope}\n{}",
        encode(&Sha256::digest(canonical_request.as_bytes()))
    );
    let mut key = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    for part in [scope.region, scope.service, "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    (
        signed_headers,
        encode(&hmac(&key, string_to_sign.as_bytes())),
    )
}

/// The headers that sign a GCS object GET or HEAD at `unix_seconds`:
/// `x-amz-date`, `x-amz-content-sha256` and `authorization`, over `host`.
pub fn gcs_object_headers(
    method: &str,
    host: &str,
    canonical_path: &str,
    unix_seconds: i64,
    credentials: &Credentials,
) -> [(&'static str, String); 3] {
    let date = crate::primitives::utc::amz_date(unix_seconds);
    let request = Unsigned {
        method,
        canonical_path,
        canonical_query: "",
        headers: &[
            ("host", host),
            ("x-amz-content-sha256", EMPTY_PAYLOAD_SHA256),
            ("x-amz-date", &date),
        ],
        payload_sha256: EMPTY_PAYLOAD_SHA256,
    };
    let authorization = authorization(&request, &date, GCS, credentials);
    [
        ("x-amz-date", date),
        ("x-amz-content-sha256", EMPTY_PAYLOAD_SHA256.to_owned()),
        ("authorization", authorization),
    ]
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The credentials of AWS's SigV4 test suite.
    fn suite() -> Credentials {
        Credentials {
            access_key: "AKIDEXAMPLE".into(),
            secret_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        }
    }

    const SUITE_SCOPE: Scope<'static> = Scope {
        region: "us-east-1",
        service: "service",
    };

    /// AWS SigV4 test suite, `get-vanilla`.
    #[test]
    fn aws_test_suite_get_vanilla() {
        let request = Unsigned {
            method: "GET",
            canonical_path: "/",
            canonical_query: "",
            headers: &[
                ("Host", "example.amazonaws.com"),
                ("X-Amz-Date", "20150830T123600Z"),
            ],
            payload_sha256: EMPTY_PAYLOAD_SHA256,
        };
        assert_eq!(
            authorization(&request, "20150830T123600Z", SUITE_SCOPE, &suite()),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    /// AWS SigV4 test suite, `get-vanilla-query-order-key-case`.
    #[test]
    fn aws_test_suite_get_vanilla_query_order_key_case() {
        let request = Unsigned {
            method: "GET",
            canonical_path: "/",
            canonical_query: "Param1=value1&Param2=value2",
            headers: &[
                ("Host", "example.amazonaws.com"),
                ("X-Amz-Date", "20150830T123600Z"),
            ],
            payload_sha256: EMPTY_PAYLOAD_SHA256,
        };
        let (_, sig) = signature(
            &request,
            "20150830T123600Z",
            SUITE_SCOPE,
            &suite().secret_key,
        );
        assert_eq!(
            sig,
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        );
    }

    /// The S3 documentation's "GET Object" example: a byte range of
    /// `examplebucket/test.txt`, with `x-amz-content-sha256` signed.
    #[test]
    fn aws_s3_documentation_get_object() {
        let request = Unsigned {
            method: "GET",
            canonical_path: "/test.txt",
            canonical_query: "",
            headers: &[
                ("Host", "examplebucket.s3.amazonaws.com"),
                ("Range", "bytes=0-9"),
                ("x-amz-content-sha256", EMPTY_PAYLOAD_SHA256),
                ("x-amz-date", "20130524T000000Z"),
            ],
            payload_sha256: EMPTY_PAYLOAD_SHA256,
        };
        let credentials = Credentials {
            access_key: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
        };
        let scope = Scope {
            region: "us-east-1",
            service: "s3",
        };
        assert_eq!(
            authorization(&request, "20130524T000000Z", scope, &credentials),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn gcs_headers_sign_host_date_and_payload() {
        let credentials = Credentials {
            access_key: "GOOG1EXAMPLE".into(),
            secret_key: "secret".into(),
        };
        let headers = gcs_object_headers(
            "GET",
            "storage.googleapis.com",
            "/b/o",
            1_795_257_906,
            &credentials,
        );
        assert_eq!(headers[0], ("x-amz-date", "20261121T104506Z".to_owned()));
        assert!(headers[2].1.starts_with(
            "AWS4-HMAC-SHA256 Credential=GOOG1EXAMPLE/20261121/auto/s3/aws4_request, \
             SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature="
        ));
        assert!(!headers[2].1.contains("secret"));
    }

    #[test]
    fn a_different_key_or_path_changes_the_signature() {
        let headers = [
            ("host", "storage.googleapis.com"),
            ("x-amz-date", "20261121T104506Z"),
        ];
        let sign = |path: &str, secret: &str| {
            let request = Unsigned {
                method: "GET",
                canonical_path: path,
                canonical_query: "",
                headers: &headers,
                payload_sha256: EMPTY_PAYLOAD_SHA256,
            };
            signature(&request, "20261121T104506Z", GCS, secret).1
        };
        let base = sign(
            "/k8s-release-dev/ci/v1.36.0-alpha.1.111%2B0123abcd/kubelet",
            "secret",
        );
        assert_ne!(
            base,
            sign(
                "/k8s-release-dev/ci/v1.36.0-alpha.1.111+0123abcd/kubelet",
                "secret"
            )
        );
        assert_ne!(
            base,
            sign(
                "/k8s-release-dev/ci/v1.36.0-alpha.1.111%2B0123abcd/kubelet",
                "other"
            )
        );
        assert_eq!(base.len(), 64);
    }
}

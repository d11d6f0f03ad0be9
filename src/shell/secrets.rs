//! The Secret Store `dl_edge_secrets`: the one place that opens it and
//! names what it holds. Values never reach a log line.

use fastly::SecretStore;

/// The store's name, as `fastly.toml` sets it up.
pub const STORE: &str = "dl_edge_secrets";
/// The token that makes a shield believe an edge's `dl-edge-shield` header.
pub const SHIELD_TOKEN: &str = "shield_token";
/// The token that turns on the `dl-edge-*` debug headers for a client.
pub const DEBUG_TOKEN: &str = "debug_token";
/// The salt of hashed client IPs (`log_client_ip = hashed`).
pub const LOG_IP_SALT: &str = "log_ip_salt";

/// The secret's bytes, or `None` when the store or the secret is missing.
pub fn bytes(name: &str) -> Option<Vec<u8>> {
    let store = SecretStore::open(STORE).ok()?;
    let secret = store.try_get(name).ok()??;
    Some(secret.plaintext().to_vec())
}

/// A secret that is UTF-8 text.
pub fn text(name: &str) -> Option<String> {
    String::from_utf8(bytes(name)?).ok()
}

/// The name of one half of a signed bucket's HMAC key pair
/// (`access_key` or `secret_key`).
pub fn hmac_key(bucket: &str, half: &str) -> String {
    format!("hmac.{bucket}.{half}")
}

//! Executing the shield choice: which hop a request takes, and whether this
//! instance is itself the shield.
//!
//! The edge chooses (the client's IP and geo are only known there) and
//! tells the shield in the `dl-edge-shield` header, `<shield code>;<token>`.
//! The shield believes the header only with the token from the Secret Store,
//! so a client cannot make a POP skip shielding or mark its own request as
//! a shield hop; a header without the right token is ignored. A shield
//! always goes to the origin, so no request is shielded twice.

use std::time::Duration;

use dl_edge::shield::{ShieldChoice, ShieldCode, ShieldTimeouts};
use fastly::shielding::Shield;
use fastly::Backend;
use subtle::ConstantTimeEq;

use super::secrets;

/// The header an edge sends to its shield.
pub const SHIELD_HEADER: &str = "dl-edge-shield";

/// Where this request's fetch goes next.
pub enum Hop {
    Origin,
    Shield(ShieldHop),
}

/// A shield to send the request through, and the candidates after it.
pub struct ShieldHop {
    pub code: String,
    pub backend: Backend,
    token: String,
    rest: std::vec::IntoIter<ShieldCode>,
    timeouts: ShieldTimeouts,
}

impl ShieldHop {
    /// The `dl-edge-shield` value this shield believes.
    pub fn header(&self) -> String {
        format!("{};{}", self.code, self.token)
    }

    /// The hop after this shield failed: the next usable candidate, or the
    /// origin when none is left (or when this POP is the next one). Each
    /// candidate skipped is said in `warnings`.
    pub fn next(self, warnings: &mut Vec<String>) -> (Hop, Option<String>) {
        walk(self.rest, self.token, self.timeouts, warnings)
    }
}

/// The hop, and what the log says about it.
pub struct Placement {
    pub hop: Hop,
    /// `edge` or `shield`.
    pub role: &'static str,
    /// The shield chosen (or, at a shield, the one this is).
    pub shield: Option<String>,
    pub rule: Option<String>,
    /// Problems for the service log.
    pub warnings: Vec<String>,
}

/// Decides the hop from the incoming shield header (if any) and the plan's
/// choice. Candidates unknown to the platform are skipped in order.
pub fn place(incoming: Option<&str>, choice: &ShieldChoice, timeouts: ShieldTimeouts) -> Placement {
    // The Secret Store is read only when a header or a candidate needs it.
    let token = (incoming.is_some() || !choice.candidates.is_empty())
        .then(token)
        .flatten();
    let mut warnings = Vec::new();
    if let Some(value) = incoming {
        match (value.split_once(';'), token.as_deref()) {
            (Some((code, given)), Some(token)) if same(given, token) => {
                return Placement {
                    hop: Hop::Origin,
                    role: "shield",
                    shield: Some(code.to_owned()),
                    rule: Some("edge-choice".to_owned()),
                    warnings,
                };
            }
            _ => warnings.push(format!(
                "a {SHIELD_HEADER} header without a valid token was ignored"
            )),
        }
    }
    let mut placement = Placement {
        hop: Hop::Origin,
        role: "edge",
        shield: None,
        rule: Some(choice.rule.clone()),
        warnings,
    };
    if choice.candidates.is_empty() {
        return placement;
    }
    let Some(token) = token else {
        placement.warnings.push(format!(
            "no {} in the {} secret store: shielding is off",
            secrets::SHIELD_TOKEN,
            secrets::STORE
        ));
        return placement;
    };
    let candidates = choice.candidates.clone().into_iter();
    let (hop, shield) = walk(candidates, token, timeouts, &mut placement.warnings);
    placement.hop = hop;
    placement.shield = shield;
    placement
}

/// The first usable candidate: a shield to go through, or the origin when
/// this POP is the candidate or none is usable. Each shield's backend is
/// built once, and only when it is reached.
fn walk(
    mut candidates: std::vec::IntoIter<ShieldCode>,
    token: String,
    timeouts: ShieldTimeouts,
    warnings: &mut Vec<String>,
) -> (Hop, Option<String>) {
    while let Some(code) = candidates.next() {
        let shield = match Shield::new(&code) {
            Ok(shield) => shield,
            Err(_) => {
                warnings.push(format!(
                    "shield POP {code} is unknown here; trying the next candidate"
                ));
                continue;
            }
        };
        if shield.running_on() {
            // This POP is the chosen shield: fetch from the origin here.
            return (Hop::Origin, Some(code.into_owned()));
        }
        let backend = shield
            .with_first_byte_timeout(Duration::from_millis(timeouts.first_byte_ms.into()))
            .with_between_bytes_timeout(Duration::from_millis(timeouts.between_bytes_ms.into()))
            .encrypted_backend();
        match backend {
            Ok(backend) => {
                let hop = ShieldHop {
                    code: code.to_string(),
                    backend,
                    token,
                    rest: candidates,
                    timeouts,
                };
                return (Hop::Shield(hop), Some(code.into_owned()));
            }
            Err(e) => warnings.push(format!("no backend for shield {code} ({e:?})")),
        }
    }
    warnings.push("no candidate shield was usable; fetching from the origin".to_owned());
    (Hop::Origin, None)
}

fn token() -> Option<String> {
    secret(secrets::SHIELD_TOKEN)
}

/// A panic on purpose, for a `dl-edge-debug: <debug_token>;panic` request:
/// operators (and the end-to-end tests) check that a panic still gets the
/// client a short 502 and the request its one log line. Without the
/// secret token it does nothing.
pub fn fire_drill(header: &str) {
    if let Some((token, "panic")) = header.split_once(';') {
        if is_debug_token(token) {
            panic!("fire drill: a panic asked for with the debug token");
        }
    }
}

/// Whether a client's `dl-edge-debug` value is the `debug_token` secret.
pub fn is_debug_token(given: &str) -> bool {
    secret(secrets::DEBUG_TOKEN).is_some_and(|token| same(given, &token))
}

/// A token: an empty one counts as none.
fn secret(name: &str) -> Option<String> {
    secrets::text(name).filter(|t| !t.is_empty())
}

/// Compares in constant time, so the comparison cannot leak how much of a
/// token a guess got right.
fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

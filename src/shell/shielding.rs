//! Executing the shield choice: which hop a request takes, and whether this
//! instance is itself the shield.
//!
//! The edge chooses (the client's IP and geo are only known there) and
//! tells the shield in the `dl-edge-shield` header, `<shield code>;<token>`.
//! The shield believes the header only with the token from the Secret Store,
//! so a client cannot make a POP skip shielding or mark its own request as
//! a shield hop; a header without the right token is ignored. A shield
//! always goes to the origin, so no request is shielded twice.

use dl_edge::shield::ShieldChoice;
use fastly::shielding::Shield;
use fastly::Backend;
use subtle::ConstantTimeEq;

use super::secrets;

/// The header an edge sends to its shield.
pub const SHIELD_HEADER: &str = "dl-edge-shield";

/// Where this request's fetch goes next.
pub enum Hop {
    Origin,
    Shield { backend: Backend, header: String },
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
pub fn place(incoming: Option<&str>, choice: &ShieldChoice) -> Placement {
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
    for code in &choice.candidates {
        let shield = match Shield::new(code) {
            Ok(shield) => shield,
            Err(_) => {
                placement.warnings.push(format!(
                    "shield POP {code} is unknown here; trying the next candidate"
                ));
                continue;
            }
        };
        placement.shield = Some(code.to_string());
        if shield.running_on() {
            // This POP is the chosen shield: fetch from the origin here.
            return placement;
        }
        match shield.encrypted_backend() {
            Ok(backend) => {
                placement.hop = Hop::Shield {
                    backend,
                    header: format!("{code};{token}"),
                };
                return placement;
            }
            Err(e) => placement
                .warnings
                .push(format!("no backend for shield {code} ({e:?})")),
        }
    }
    placement.shield = None;
    placement
        .warnings
        .push("no candidate shield was usable; fetching from the origin".to_owned());
    placement
}

fn token() -> Option<String> {
    secret(secrets::SHIELD_TOKEN)
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

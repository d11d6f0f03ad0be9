//! Executes one client request: view → decision → origin fetch or edge
//! reply → client, then exactly one log line per selecting endpoint.
//!
//! Stack depth: every 4 KiB of shadow stack a request reaches is a page
//! fault in its fresh instance. The steps (the client request view, the
//! log's start and finish, the fetch, the delivery) are kept out of line
//! so their locals do not pile up in one frame, and origin answers
//! travel as handles, or boxed where a `fastly::Response` (1,128 bytes on
//! wasm32) is kept: a fetch reached 34.8 KB deep before, 26.5 KB after,
//! 13.7 KB of it inside `fastly`'s send with the after-send hook
//! (docs/performance.md). The client's response is an
//! [`answer::Answer`] of a few words.
//!
//! What lives as long as the request is leaked, not dropped: the client
//! request (its URI, headers and geolocation record), the config, the
//! decision, and the origin headers the client's response passes on.
//! Each request runs in a fresh instance whose memory goes with it, so
//! nothing accumulates; in return the log record, which the panic hook
//! needs `'static`, and the client's response lend their text from them
//! instead of copying it (about 60 allocations a request fewer,
//! docs/performance.md).

mod allocator;
mod answer;
mod client;
mod config_store;
mod delivery;
mod environment;
mod headers;
mod logging;
mod origin;
mod outgoing;
mod secrets;
mod shielding;

use answer::Answer;
use dl_edge::config::Config;
use dl_edge::decision::{decide, Decision, Fetch};
use dl_edge::policy::overrides;
use dl_edge::request::range::RangeRequest;
use shielding::Hop;

/// The Config Store the service reads its tuning from.
pub const CONFIG_STORE: &str = "dl_edge_config";

/// Handles the client request of this Wasm instance.
pub fn handle_client_request() {
    // Leaked, as what lives as long as the request is (module doc).
    let client: &'static _ = Box::leak(Box::new(client::ClientRequest::take()));
    let store = config_store::ConfigStoreSource::open(CONFIG_STORE);
    let (mut config, warnings) = Config::load(&store);
    let applied = overrides::apply(&mut config, client.start_unix_seconds());
    let config: &'static Config = Box::leak(Box::new(config));
    let log = logging::RequestLog::begin(client, config, &warnings, &store.problems.take());
    log.overrides(applied);
    let decision: &'static _ = Box::leak(Box::new(decide(&client.view(), config)));
    log.update(|record| record.decided(decision));
    if let Some(header) = client.debug_header() {
        shielding::fire_drill(header);
    }
    // `origin` is the origin's answer a fetched response was made from:
    // dropped only after delivery (see `origin::Fetched::origin`).
    let (response, origin, ttl) = match decision {
        Decision::Reply(reply) => (
            Answer::text(reply.status(), &reply.headers(), reply.body()),
            None,
            None,
        ),
        Decision::Fetch(fetch) => {
            let locality = client.locality();
            let choice = config.shield_plan.choose(
                &fetch.classification,
                &fetch.target.path,
                locality.group,
            );
            let placement =
                shielding::place(client.shield_header(), &choice, config.shield_plan.timeouts);
            log.located(&locality, &placement);
            let to_edge = placement.role == "shield";
            let mut fetched = origin::fetch(client, fetch, config, placement.hop, to_edge);
            if fetched.refetch_whole {
                // If-Range failed on the range fetched: the whole object,
                // straight from the origin (a shield's backend is built
                // once per request, and this path is rare). Leaked like
                // the decision it stands in for.
                let whole: &'static _ = Box::leak(Box::new(Fetch {
                    range: RangeRequest::Whole,
                    ..(**fetch).clone()
                }));
                fetched = origin::fetch(client, whole, config, Hop::Origin, to_edge);
            }
            log.shields_failed(fetched.shield.as_deref(), &fetched.shield_failures);
            log.origin_warnings(&fetched.warnings);
            log.served_by(fetched.bucket, &fetched.failures);
            if let Some(error) = &fetched.origin_error {
                log.origin_failed(error);
            }
            log.update(|record| record.response.cache_state = fetched.cache_state);
            let mut response = fetched.response;
            if client.debug_header().is_some_and(shielding::is_debug_token) {
                response.set("dl-edge-bucket", fetched.bucket.to_owned());
                response.set(
                    "dl-edge-failover",
                    if fetched.failures.is_empty() {
                        "false"
                    } else {
                        "true"
                    },
                );
            }
            (response, fetched.origin, fetched.ttl)
        }
    };
    let head = matches!(decision, Decision::Fetch(f) if f.head);
    let status = response.status;
    let delivered = delivery::deliver(response, head);
    // Only delivery learns that a small body came up short and was
    // answered with a 502 instead.
    let (status, ttl) = match delivered.replaced {
        Some(status) => (status, None),
        None => (status, ttl),
    };
    log.update(|record| record.responded(status, delivered.length, ttl));
    log.finish(client, delivered);
    drop(origin);
}

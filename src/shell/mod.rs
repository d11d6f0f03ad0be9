//! Executes one client request: view → decision → origin fetch or edge
//! reply → client.

mod client;
mod config_store;
mod origin;

use dl_edge::config::Config;
use dl_edge::decision::{decide, Decision, Reply};
use fastly::Response;

/// The Config Store the service reads its tuning from.
pub const CONFIG_STORE: &str = "dl_edge_config";

/// Handles the client request of this Wasm instance.
pub fn handle_client_request() {
    let client = client::ClientRequest::take();
    let (config, warnings) = Config::load(&config_store::ConfigStoreSource::open(CONFIG_STORE));
    for warning in &warnings {
        eprintln!("dl-edge warning: {warning}");
    }
    match decide(&client.view(), &config) {
        Decision::Reply(reply) => reply_at_edge(reply).send_to_client(),
        Decision::Fetch(fetch) => origin::serve(&client, &fetch, &config),
    }
}

/// A response made at the edge: a preflight or a rejection.
fn reply_at_edge(reply: Reply) -> Response {
    let mut response = Response::from_status(reply.status());
    for (name, value) in reply.headers() {
        response.set_header(name, value);
    }
    response.set_body(reply.body());
    response
}

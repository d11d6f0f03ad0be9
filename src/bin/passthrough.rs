//! The baseline for side-by-side benchmarks: a Compute module that only
//! forwards the client request to the `gcs` backend, with the Host GCS
//! expects. scripts/bench runs it beside dl-edge under the same Viceroy and
//! emulator; whatever dl-edge costs more is the price of its decisions and
//! logging.

#[cfg(target_arch = "wasm32")]
fn main() {
    let mut request = fastly::Request::from_client();
    request.set_header("host", "storage.googleapis.com");
    match request.send("gcs") {
        Ok(response) => response.send_to_client(),
        Err(_) => fastly::Response::from_status(503).send_to_client(),
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("passthrough is a Fastly Compute program: build it with --target wasm32-wasip1");
    std::process::exit(2);
}

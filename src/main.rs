//! The Compute shell of dl-edge: builds the request view, executes the
//! core's decision, streams the body. Only meaningful on wasm32-wasip1; the
//! decisions themselves live in the `dl_edge` library.

#[cfg(target_arch = "wasm32")]
mod shell;

#[cfg(target_arch = "wasm32")]
fn main() {
    shell::handle_client_request();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("dl-edge is a Fastly Compute program: build it with --target wasm32-wasip1");
    std::process::exit(2);
}

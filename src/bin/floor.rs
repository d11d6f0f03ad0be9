//! The floor for side-by-side benchmarks: the pass-through plus the
//! platform work every dl-edge request must do, done the cheapest way and
//! with no decisions. Whatever dl-edge costs more than this module is its
//! own work (parsing, deciding, building the line); whatever this module
//! costs more than the pass-through is the platform's price for reading
//! the config, locating the client, counting the bytes sent and writing
//! the log line, which no implementation of the service can avoid (issue
//! 15, docs/performance.md).
//!
//! Per request, as dl-edge with the production store:
//! - the Config Store's `snapshot` and `overrides` (two reads);
//! - the client's geolocation (one read of its record);
//! - whether the platform offers the HTTP cache API (one question);
//! - the object from the `gcs` backend, its body passed to the client
//!   through the guest and counted, as dl-edge's delivery does: the
//!   platform gives no count of a body handed on whole, and the log line
//!   must say how many bytes the client got;
//! - one log line of a typical request line's length (1,200 bytes) to
//!   the `splunk` endpoint.
//!
//! It asks for the object by its bucket path, as the pass-through does.

#[cfg(target_arch = "wasm32")]
fn main() {
    use std::io::Write;

    let (handle, body) = fastly::handle::client_request_and_body();
    let ip = handle.client_ip_addr();
    let cache_api = http_cache_offered(&handle);
    let mut request = fastly::Request::from_handles(handle, Some(body));
    let store = fastly::config_store::ConfigStore::try_open("dl_edge_config").ok();
    let snapshot = store
        .as_ref()
        .and_then(|s| s.try_get("snapshot").ok().flatten());
    let overrides = store
        .as_ref()
        .and_then(|s| s.try_get("overrides").ok().flatten());
    let geo = ip.map(geo_record);
    request.set_header("host", "storage.googleapis.com");
    let bytes = match request.send("gcs") {
        Ok(response) => deliver_counted(response),
        Err(_) => {
            fastly::Response::from_status(503).send_to_client();
            0
        }
    };
    // What was read goes into the line, so that none of it is optimised
    // away; the rest of the line is padding to a typical length.
    let mut line = format!(
        "{{\"snapshot\":{},\"overrides\":{},\"geo\":{},\"cache_api\":{cache_api},\"bytes\":{bytes},\"pad\":\"",
        snapshot.map_or(0, |s| s.len()),
        overrides.map_or(0, |s| s.len()),
        geo.map_or(0, |g| g.len()),
    );
    // One copy, not a push a byte: the floor's own work stays out of
    // what it measures.
    line.push_str(&"x".repeat(1_198usize.saturating_sub(line.len())));
    line.push_str("\"}");
    if let Ok(mut endpoint) = fastly::log::Endpoint::try_from_name("splunk") {
        let _ = endpoint.write_all(line.as_bytes());
    }
}

/// Sends the origin's response with its body copied through the guest,
/// counting the bytes the platform took: read whole up to dl-edge's
/// threshold, streamed above it, with the `Content-Length` kept by manual
/// framing, as `shell::delivery` does. What it returns goes in the line.
#[cfg(target_arch = "wasm32")]
fn deliver_counted(response: fastly::Response) -> u64 {
    use dl_edge::telemetry::delivery::{copy_counted, read_exactly, stream_buffer, READ_WHOLE_MAX};
    use fastly::handle::BodyHandle;

    let length = response
        .get_header_str("content-length")
        .and_then(|v| v.parse::<u64>().ok());
    let (mut head, mut body) = response.into_handles();
    if length.is_some() {
        head.set_framing_headers_mode(fastly::http::FramingHeadersMode::ManuallyFromHeaders);
    }
    match length {
        Some(len) if len <= READ_WHOLE_MAX => match read_exactly(&mut body, len as usize) {
            Ok(whole) => {
                head.send_to_client(BodyHandle::from(whole));
                len
            }
            Err(_) => {
                fastly::Response::from_status(502).send_to_client();
                0
            }
        },
        _ => {
            let mut out = head.stream_to_client(BodyHandle::new());
            let (bytes, cut) =
                copy_counted(&mut body, &mut out, &mut stream_buffer(length), length);
            // A cut body is abandoned when `out` is dropped unfinished.
            if cut.is_none() {
                let _ = out.finish();
            }
            bytes
        }
    }
}

/// The platform's geolocation record for `ip`, as JSON text.
#[cfg(target_arch = "wasm32")]
fn geo_record(ip: std::net::IpAddr) -> Vec<u8> {
    let octets = match ip {
        std::net::IpAddr::V4(ip) => ip.octets().to_vec(),
        std::net::IpAddr::V6(ip) => ip.octets().to_vec(),
    };
    let mut record = vec![0u8; 1024];
    let mut written = 0;
    // SAFETY: the host writes at most `record.len()` bytes into `record`
    // and their count into `written`.
    let status = unsafe {
        fastly_sys::fastly_geo::lookup(
            octets.as_ptr(),
            octets.len(),
            record.as_mut_ptr(),
            record.len(),
            &mut written,
        )
    };
    record.truncate(if status.is_ok() { written } else { 0 });
    record
}

/// Whether the platform offers the HTTP cache API, asked of the client's
/// request as dl-edge asks it (`ClientRequest::offers_http_cache`).
#[cfg(target_arch = "wasm32")]
fn http_cache_offered(handle: &fastly::handle::RequestHandle) -> bool {
    let mut cacheable = 0;
    // SAFETY: the handle is the open client request; the host writes one
    // u32.
    let status = unsafe {
        fastly_sys::fastly_http_cache::is_request_cacheable(handle.as_u32(), &mut cacheable)
    };
    status != fastly_shared::FastlyStatus::UNSUPPORTED
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("floor is a Fastly Compute program: build it with --target wasm32-wasip1");
    std::process::exit(2);
}

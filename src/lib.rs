//! dl-edge's pure core: every decision about a download request, as values.
//!
//! Nothing here imports `fastly`, reads a clock or does I/O, so it is unit
//! tested and benchmarked natively and reused by native tools. The Compute
//! shell (`src/main.rs`, `src/shell/`) builds a [`decision::RequestView`],
//! calls [`decision::decide`] and executes the result. The modules follow a
//! request's life: path, route, classification, cache policy, response
//! headers, and the log record written at the end. See docs/request-handling.md for the rules in order.

pub mod cache;
pub mod classify;
pub mod client_tool;
pub mod conditional;
pub mod config;
pub mod config_check;
pub mod decision;
pub mod fnv;
pub mod locality;
pub mod log_endpoint;
pub mod log_record;
pub mod overrides;
pub mod path;
pub mod planner;
pub mod privacy;
pub mod range;
pub mod rejection;
pub mod report;
pub mod response;
pub mod route;
pub mod shield;
pub mod sigv4;
pub mod utc;
pub mod version;

#[cfg(test)]
mod fixtures;

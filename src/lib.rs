//! dl-edge's pure core: every decision about a download request, as values.
//!
//! Nothing here imports `fastly`, reads a clock or does I/O, so it is unit
//! tested and benchmarked natively and reused by native tools (`ops/`). The
//! Compute shell (`src/main.rs`, `src/shell/`) builds a
//! [`decision::RequestView`], calls [`decision::decide`] and executes the
//! result. See docs/request-handling.md for the rules in order.
//!
//! The modules are layers, listed here from the bottom up. Each imports
//! only from the layers above it in this list, never from one below it, and
//! no module imports one that imports it back: `tests/layers.rs` fails
//! otherwise.

pub mod primitives;

pub mod request;

pub mod artifact;

pub mod locality;

pub mod shield;

pub mod telemetry;

pub mod config;

pub mod origin;

pub mod policy;

pub mod decision;

//! dl-edge's test kit, a dev-only crate shared by the unit tests, the
//! end-to-end tests (`tests/e2e/`), the soak (`tests/soak/`), the
//! benchmarks, the examples and the scripts:
//!
//! - [`corpus`]: the rows of `tests/fixtures/urls.tsv`;
//! - [`geo`]: a client's geolocation record, as the platform gives it;
//! - [`viceroy`]: the one Viceroy config builder (the scripts call it
//!   through the `viceroy-config` binary);
//! - [`stack`]: the tools, fake-gcs-server seeded by `scripts/seed-origin`,
//!   and Viceroy instances in front of it;
//! - [`http`]: curl and raw-socket clients;
//! - [`proxy`]: the recording (or gated) proxy in front of the emulator,
//!   and origins that fail on purpose.
//!
//! It does not depend on the `dl-edge` library: the library's own unit
//! tests use the kit, and a dependency back would build two copies of the
//! library's types.

pub mod corpus;
pub mod geo;
pub mod hostile;
pub mod http;
pub mod proxy;
pub mod stack;
pub mod viceroy;

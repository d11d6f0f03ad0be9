//! A client's geolocation record as Fastly gives it (the fields it
//! documents for `client.geo`, as JSON text): the one the log record's
//! tests and the benchmarks read with `Geo::from_json`. Text, not a
//! `dl_edge` type, so the kit does not depend on the library.

/// A client in Ashburn, Virginia, on Microsoft's network.
pub const ASHBURN: &str = r#"{"as_name":"microsoft corporation","as_number":8075,"continent":"NA","country_code":"US","region":"VA","city":"ashburn"}"#;

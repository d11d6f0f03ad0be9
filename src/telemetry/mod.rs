//! The one log line per request: the record, what is kept private, which
//! client tool sent the request, and the line each log endpoint gets.

pub mod client_tool;
pub mod delivery;
pub mod endpoint;
pub mod privacy;
pub mod record;

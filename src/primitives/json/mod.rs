//! JSON both ways, without serde in the Wasm: config values read in place
//! ([`read`]) and log lines written field by field ([`write`]).

pub mod read;
pub mod write;

pub use read::{read, required, Error, Kind, Reader};
pub use write::{string, Object};

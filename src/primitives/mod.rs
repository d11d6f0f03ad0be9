//! Small pure building blocks every layer may use: a stable hash, hex and UTC
//! dates. They know nothing of requests.

pub mod fnv;
pub mod hex;
pub mod utc;

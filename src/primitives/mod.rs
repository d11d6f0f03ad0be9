//! Small pure building blocks every layer may use: a stable hash and UTC
//! dates. They know nothing of requests.

pub mod fnv;
pub mod utc;

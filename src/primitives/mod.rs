//! Small pure building blocks every layer may use: a stable hash, decimal
//! numbers, header lists, hex, environment blocks, UTC dates and JSON
//! config values. They know nothing of requests.

pub mod arena;
pub mod decimal;
pub mod environment;
pub mod few;
pub mod fnv;
pub mod headers;
pub mod hex;
pub mod json;
pub mod utc;
pub mod words;

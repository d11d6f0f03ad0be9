//! What the service does with what the config says: the cache policy and
//! surrogate keys, the response header rules, and the emergency overrides
//! applied to the config a request sees.

pub mod cache;
pub mod overrides;
pub mod response;

//! What the client sent, checked: the path decoded once, the host, the
//! range, the conditional headers, and every reason to refuse a request at
//! the edge.

pub mod conditional;
pub mod host;
pub mod path;
pub mod range;
pub mod rejection;

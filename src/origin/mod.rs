//! Where an object is fetched from: the route to a bucket and object, the
//! order of buckets to try, the origin request, and its signature for
//! private buckets.

pub mod route;
pub mod sigv4;

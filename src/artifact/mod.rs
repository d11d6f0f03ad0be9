//! What a path names: a release version, and the class of file (marker,
//! immutable artifact, mutable page) with its OS and architecture.

pub mod classify;
pub mod version;

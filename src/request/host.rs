//! The Host header.

/// The hostname of a Host header value: `dl.k8s.io:443` → `dl.k8s.io`,
/// `[::1]:7676` → `[::1]`.
pub fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |end| &host[..=end]);
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

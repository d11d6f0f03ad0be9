//! The Host header.

/// The hostname of a Host header value: `dl.k8s.io:443` → `dl.k8s.io`,
/// `[::1]:7676` → `[::1]`.
pub fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |end| &host[..=end]);
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

/// The hostname of a Host header value, if it is one: a name of letters,
/// digits, `-`, `.` and `_` (or a bracketed IPv6 literal), and an optional
/// port of one to five digits. `dl.k8s.io:a@evil.example` is none.
pub fn hostname(host: &str) -> Option<&str> {
    let (name, port) = if host.starts_with('[') {
        let end = host.find(']')?;
        host.split_at(end + 1)
    } else {
        match host.find(':') {
            Some(i) => host.split_at(i),
            None => (host, ""),
        }
    };
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    let name_ok = if name.starts_with('[') {
        name[1..name.len() - 1]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.'))
    } else {
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
    };
    (port_ok && name_ok).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::hostname;

    #[test]
    fn a_host_is_a_name_and_an_optional_numeric_port() {
        for (host, name) in [
            ("dl.k8s.io", "dl.k8s.io"),
            ("dl.k8s.io:443", "dl.k8s.io"),
            ("DL.K8S.IO:8080", "DL.K8S.IO"),
            ("[::1]:7676", "[::1]"),
            ("[::1]", "[::1]"),
            ("127.0.0.1:7676", "127.0.0.1"),
        ] {
            assert_eq!(hostname(host), Some(name), "{host}");
        }
        for host in [
            "dl.k8s.io:a@evil.example",
            "dl.k8s.io:",
            "dl.k8s.io:123456",
            "dl.k8s.io:80:80",
            "user@dl.k8s.io",
            "dl.k8s.io/x",
            "[::1",
            "[evil]:80",
            "",
            ":443",
        ] {
            assert_eq!(hostname(host), None, "{host}");
        }
    }
}

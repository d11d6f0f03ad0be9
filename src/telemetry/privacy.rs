//! What of the client's IP address a log line may carry.

use std::net::IpAddr;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How the client IP appears in the log record (`log_client_ip`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpMode {
    Full,
    /// IPv4 to its /24, IPv6 to its /48: enough for region and network
    /// questions, not enough to name a host.
    Truncated,
    /// HMAC-SHA256 with a salt from the Secret Store: the same client gets
    /// the same value, and nobody without the salt can reverse it.
    Hashed,
    None,
}

impl IpMode {
    /// The mode a `log_client_ip` value names.
    pub fn parse(value: &str) -> Option<IpMode> {
        match value {
            "full" => Some(IpMode::Full),
            "truncated" => Some(IpMode::Truncated),
            "hashed" => Some(IpMode::Hashed),
            "none" => Some(IpMode::None),
            _ => None,
        }
    }
}

/// The client IP as the log may show it. In `Hashed` mode without a salt
/// the address is truncated instead, never logged in full.
pub fn client_ip(ip: Option<IpAddr>, mode: IpMode, salt: Option<&[u8]>) -> Option<String> {
    let ip = ip?;
    match (mode, salt) {
        (IpMode::Full, _) => Some(text(ip)),
        (IpMode::Truncated, _) | (IpMode::Hashed, None) => Some(text(truncate(ip))),
        (IpMode::Hashed, Some(salt)) => Some(hash(ip, salt)),
        (IpMode::None, _) => None,
    }
}

/// The address as `Display` writes it. IPv4, most clients, is written
/// octet by octet: through `fmt` it cost about 3,000 instructions of
/// every log line.
fn text(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => crate::primitives::decimal::joined(v4.octets(), '.'),
        IpAddr::V6(v6) => v6.to_string(),
    }
}

fn truncate(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            IpAddr::from([a, b, c, 0])
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::from([s[0], s[1], s[2], 0, 0, 0, 0, 0])
        }
    }
}

fn hash(ip: IpAddr, salt: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(salt).expect("HMAC takes a key of any length");
    mac.update(text(ip).as_bytes());
    let digest = mac.finalize().into_bytes();
    format!("h:{}", crate::primitives::hex::encode(&digest[..16]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn addresses_are_written_as_display_writes_them() {
        for addr in [
            "0.0.0.0",
            "203.0.113.77",
            "10.0.0.1",
            "255.255.255.255",
            "1.20.100.200",
            "::1",
            "2001:db8::8a2e:370:7334",
            "::ffff:203.0.113.77",
        ] {
            let parsed: IpAddr = addr.parse().unwrap();
            assert_eq!(text(parsed), parsed.to_string(), "{addr}");
        }
    }

    #[test]
    fn truncated_keeps_the_network_only() {
        let t = |s| client_ip(ip(s), IpMode::Truncated, None);
        assert_eq!(t("203.0.113.77").as_deref(), Some("203.0.113.0"));
        assert_eq!(
            t("2001:db8:1234:5678::1").as_deref(),
            Some("2001:db8:1234::")
        );
    }

    #[test]
    fn full_and_none() {
        assert_eq!(
            client_ip(ip("203.0.113.77"), IpMode::Full, None).as_deref(),
            Some("203.0.113.77")
        );
        assert_eq!(client_ip(ip("203.0.113.77"), IpMode::None, None), None);
        assert_eq!(client_ip(None, IpMode::Full, None), None);
    }

    #[test]
    fn hashed_is_stable_salted_and_hides_the_address() {
        let a = client_ip(ip("203.0.113.77"), IpMode::Hashed, Some(b"salt-1")).unwrap();
        let again = client_ip(ip("203.0.113.77"), IpMode::Hashed, Some(b"salt-1")).unwrap();
        let other_salt = client_ip(ip("203.0.113.77"), IpMode::Hashed, Some(b"salt-2")).unwrap();
        let other_ip = client_ip(ip("203.0.113.78"), IpMode::Hashed, Some(b"salt-1")).unwrap();
        assert_eq!(a, again);
        assert_ne!(a, other_salt);
        assert_ne!(a, other_ip);
        assert!(a.starts_with("h:") && a.len() == 34, "{a}");
        assert!(!a.contains("203.0.113"));
    }

    #[test]
    fn hashed_without_a_salt_falls_back_to_truncated() {
        assert_eq!(
            client_ip(ip("203.0.113.77"), IpMode::Hashed, None).as_deref(),
            Some("203.0.113.0")
        );
    }
}
